"""Demo data: a team with members of every role and a lived-in book of leads.

About 5,000 properties over real ZIP codes of the team's markets (the `zipcodes` data gives
city, county and centroid), their owners (people, LLCs, trusts, estates with heirs), phones
and emails with their facts, a pipeline funnel with its history on each timeline, notes and
tasks around "now". Everything comes from one seeded random generator, so two loads are the
same book (ids included) and screenshots stay stable; the dates follow the clock.

Rows are written with bulk INSERTs in chunks (no ORM unit of work per row): the whole demo
loads in a few seconds.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import zipcodes
from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from reos import demo_data as words
from reos.contacts.models import Contact, ContactPoint, PropertyContact
from reos.db.session import make_database, set_team, team_session
from reos.kit import clock
from reos.properties.models import Property
from reos.properties.pipeline import may_move
from reos.scoring import service as scoring
from reos.scoring.models import Signal
from reos.tasks.models import Task
from reos.teams import service as teams
from reos.teams.models import Account, Market, Membership, Role
from reos.teams.schemas import TeamSettingsUpdate
from reos.timeline.models import Note, PropertyEvent

ADMIN_EMAIL = "demo@example.com"
PASSWORD = "demo-password-123"
TEAM = "Sunbelt Acquisitions"
MEMBERS = [
    ("maria.lopez@example.com", "Maria Lopez", Role.manager),
    ("devon.hart@example.com", "Devon Hart", Role.agent),
    ("sam.reyes@example.com", "Sam Reyes", Role.viewer),
]
PROPERTY_COUNT = 5000
SEED = 20260601
# The first lead, as tests and the docs know it.
FIRST_PROPERTY = {
    "address": "4417 QUILLFEATHER LN",
    "zip_code": "33610",
    "property_type": "single_family",
    "bedrooms": 3,
    "bathrooms": Decimal("2.0"),
    "square_feet": 1480,
    "year_built": 1986,
    "estimated_value": Decimal(238000),
    "stage": "new",
}
# The funnel: most leads are new or being reached, few get further.
STAGE_WEIGHTS = {
    "new": 36,
    "outreach": 27,
    "qualified": 12,
    "negotiation": 7,
    "under_contract": 3,
    "closed_won": 3,
    "closed_lost": 7,
    "archived": 5,
}
# How long ago leads of each stage came in: (fewest days, most, most likely).
AGE_DAYS = {
    "new": (0.2, 75, 4),
    "outreach": (4, 150, 25),
    "qualified": (10, 240, 50),
    "negotiation": (15, 300, 70),
    "under_contract": (25, 320, 80),
    "closed_won": (45, 540, 170),
    "closed_lost": (45, 540, 150),
    "archived": (20, 540, 120),
}
PROPERTY_TYPES = [
    ("single_family", 70),
    ("condo", 8),
    ("townhouse", 6),
    ("multi_family", 8),
    ("mobile_home", 5),
    ("land", 3),
]
CHUNK = 2000

# Signals the demo's lists bring: the list that flagged it, and how many days ago (low, high).
IMPORTED_SIGNALS: dict[str, tuple[str, tuple[float, float]]] = {
    "vacant": ("Vacant, USPS flagged", (10, 400)),
    "tax_delinquent": ("Tax delinquent, 2+ years", (30, 900)),
    "pre_foreclosure": ("Pre-foreclosure / lis pendens", (5, 240)),
    "probate": ("Probate filings, last 90 days", (10, 90)),
    "tired_landlord": ("Absentee landlords, 10+ years", (30, 700)),
    "code_violation": ("Code violations export", (7, 500)),
    "eviction": ("Eviction filings", (20, 600)),
    "divorce": ("Divorce filings", (30, 700)),
}


# Ids are generated as text: they only ever travel to the database inside JSON.
Id = str


def _uuid(rng: random.Random) -> Id:
    """A random (version 4) UUID from the seeded generator, as text."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    """One value of (value, weight) pairs; a plain loop is several times faster than
    `random.choices` on lists this short, and it runs ~100,000 times."""
    roll = rng.random() * sum(w for _, w in pairs)
    for value, weight in pairs:
        roll -= weight
        if roll < 0:
            return value
    return pairs[-1][0]


def _money(amount: float, step: int) -> Decimal:
    """A round amount of dollars, as appraisers and list tools write them."""
    return Decimal(max(step, round(amount / step) * step))


def _county(raw: str) -> str:
    return raw.removesuffix(" County")


@dataclass
class _Zip:
    code: str
    city: str
    state: str
    county: str
    lat: float
    long: float
    area_codes: list[str]
    market: str | None


@functools.cache
def _places() -> tuple[dict[str | None, list[_Zip]], dict[str, list[_Zip]]]:
    """The ZIPs of the markets (and of a few counties outside them), by market; and the ZIPs
    of every state where owners live, by state. From the `zipcodes` data, read once."""
    wanted: dict[tuple[str, str], str | None] = {}
    for name, state, counties, _weight in words.MARKETS:
        for county in counties:
            wanted[(state, county)] = name
    for state, counties in words.OUTSIDE_MARKETS:
        for county in counties:
            wanted[(state, county)] = None
    owner_states = set(words.OWNER_STATES)
    by_market: dict[str | None, list[_Zip]] = {}
    by_state: dict[str, list[_Zip]] = {}
    for row in zipcodes.list_all():  # type: ignore[no-untyped-call]
        if row["zip_code_type"] != "STANDARD" or not row["active"] or not row["lat"]:
            continue
        state, county = row["state"], _county(row["county"])
        in_book = (state, county) in wanted
        if not in_book and state not in owner_states:
            continue
        place = _Zip(
            code=row["zip_code"],
            city=row["city"],
            state=state,
            county=county,
            lat=float(row["lat"]),
            long=float(row["long"]),
            area_codes=list(row["area_codes"]),
            market=wanted.get((state, county)),
        )
        by_state.setdefault(state, []).append(place)
        if in_book:
            by_market.setdefault(place.market, []).append(place)
    return by_market, by_state


@dataclass
class _Owner:
    id: Id
    kind: str
    first: str | None
    last: str | None
    name: str
    city: str
    state: str
    phones: list[str] = field(default_factory=list)


@dataclass
class _Members:
    admin: Id
    manager: Id
    agent: Id
    viewer: Id

    @property
    def workers(self) -> list[tuple[Id, int]]:
        """Who works leads, and how many of them (viewers only look)."""
        return [(self.agent, 5), (self.manager, 4), (self.admin, 2)]


class _Book:
    """Generates every row of the demo team in memory, one property at a time."""

    def __init__(self, *, team_id: uuid.UUID, members: _Members, now: datetime, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.team_id = str(team_id)
        self.members = members
        self.now = now
        self.markets: list[dict[str, Any]] = []
        self.properties: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.points: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        self.signals: list[dict[str, Any]] = []
        # Signals draw from their own stream, so the rest of the book stays what it was.
        self._signal_rng = random.Random(seed + 1)
        self._addresses: set[tuple[str, str]] = set()
        self._apns: set[tuple[str, str]] = set()
        self._point_values: set[str] = set()
        self._entity_names: set[str] = set()
        self._streets: dict[str, list[tuple[str, int]]] = {}
        self._landlords: list[_Owner] = []
        self._landlord_ids: set[Id] = set()
        self.by_market, self.by_state = _places()
        self.zip_33610 = next(z for z in self.by_market["Tampa Bay"] if z.code == "33610")

    # --- places ------------------------------------------------------------------------

    def _pick_zip(self) -> _Zip:
        if self.rng.random() < 0.04:
            return self.rng.choice(self.by_market[None])
        name = _weighted(self.rng, [(m[0], m[3]) for m in words.MARKETS])
        return self.rng.choice(self.by_market[name])

    def _street(self, place: _Zip) -> str:
        """A house number and a street of this ZIP (each ZIP has its own handful of streets,
        so neighbours share them), in USPS Publication 28 form."""
        streets = self._streets.get(place.code)
        if streets is None:
            streets = []
            for _ in range(self.rng.randint(6, 16)):
                name = self.rng.choice(words.STREET_NAMES)
                suffix = _weighted(self.rng, words.STREET_SUFFIXES)
                if self.rng.random() < 0.12:
                    name = f"{self.rng.choice(words.DIRECTIONALS)} {name}"
                streets.append((f"{name} {suffix}", self.rng.choice([2, 3, 4, 4, 4])))
            self._streets[place.code] = streets
        while True:
            street, digits = self.rng.choice(streets)
            number = self.rng.randint(10 ** (digits - 1), 10**digits - 1)
            address = f"{number} {street}"
            if (address, place.code) not in self._addresses:
                self._addresses.add((address, place.code))
                return address

    def _apn(self, place: _Zip) -> str | None:
        rng = self.rng
        if rng.random() < 0.07:
            return None
        while True:
            if place.state == "FL":
                apn = (
                    f"{rng.randint(1, 36):02d}-{rng.randint(26, 31)}-{rng.randint(15, 22)}-"
                    f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}-{rng.randint(10, 990):04d}"
                )
            elif place.state == "GA":
                apn = f"{rng.randint(10, 22)} {rng.randint(1, 300):04d} LL{rng.randint(1, 999):04d}"
            elif place.state == "TX":
                apn = f"{rng.randint(0, 99999):05d}-{rng.randint(0, 999):03d}-{rng.randint(0, 9999):04d}"
            elif place.state == "AZ":
                book, map_ = rng.randint(100, 999), rng.randint(10, 99)
                apn = f"{book}-{map_}-{rng.randint(100, 999)}{rng.choice('ABC')}"
            else:
                apn = (
                    f"{rng.randint(100, 999)}-{rng.randint(0, 99):02d}-"
                    f"{rng.randint(0, 99):02d}-{rng.randint(0, 999):03d}"
                )
            if (place.county, apn) not in self._apns:
                self._apns.add((place.county, apn))
                return apn

    # --- time --------------------------------------------------------------------------

    def _between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return start
        seconds = (end - start).total_seconds()
        return (start + timedelta(seconds=self.rng.uniform(0, seconds))).replace(microsecond=0)

    def _days_ago(self, low: float, high: float, mode: float) -> datetime:
        days = self.rng.triangular(low, high, mode)
        return (self.now - timedelta(days=days)).replace(second=0, microsecond=0)

    # --- the book ----------------------------------------------------------------------

    def build(self, count: int = PROPERTY_COUNT) -> None:
        for name, state, counties, _weight in words.MARKETS:
            self.markets.append(
                {
                    "id": _uuid(self.rng),
                    "team_id": self.team_id,
                    "name": name,
                    "states": [state],
                    "counties": counties,
                    "zip_codes": [],
                    "created_at": self.now - timedelta(days=600),
                }
            )
        market_ids = {m["name"]: m["id"] for m in self.markets}
        stages = list(STAGE_WEIGHTS.items())
        for index in range(count):
            first = index == 0
            place = self.zip_33610 if first else self._pick_zip()
            stage = FIRST_PROPERTY["stage"] if first else _weighted(self.rng, stages)
            self._property(place, str(stage), market_ids.get(place.market or ""), first=first)

    def _property(self, place: _Zip, stage: str, market_id: Id | None, *, first: bool) -> None:
        rng = self.rng
        prop_id = _uuid(rng)
        kind = str(FIRST_PROPERTY["property_type"]) if first else _weighted(rng, PROPERTY_TYPES)
        address = str(FIRST_PROPERTY["address"]) if first else self._street(place)
        if first:
            self._addresses.add((address, place.code))
        facts = self._facts(kind, place)
        if first:
            facts.update(
                {k: FIRST_PROPERTY[k] for k in ("bedrooms", "bathrooms", "square_feet", "year_built")}
            )
            facts["estimated_value"] = FIRST_PROPERTY["estimated_value"]
        unit = None
        if kind == "condo":
            unit = rng.choice(["APT", "UNIT", "#"]) + f" {rng.randint(1, 24)}{rng.choice(['', '', 'A', 'B'])}"
            unit = unit.replace("# ", "#")
        created_at = self._days_ago(*AGE_DAYS[stage])
        creator = rng.choice([self.members.admin, self.members.admin, self.members.manager])
        assignee: Id | None = None
        if stage != "new" or rng.random() < 0.45:
            assignee = _weighted(rng, self.members.workers)

        # --- owners and the people around the property ----------------------------------
        owner, absentee = self._owner(place, address, created_at)
        self.roles.append(self._role(prop_id, owner.id, "owner", created_at))
        people = [owner]
        if owner.kind == "person" and rng.random() < 0.35:
            spouse = self._person(owner_last=owner.last, place=(address, place), at=created_at)
            self.roles.append(self._role(prop_id, spouse.id, "co_owner", created_at))
            people.append(spouse)
        probate = owner.name.startswith("Estate of")
        if probate:
            for _ in range(rng.choice([1, 2, 2, 3])):
                heir_place = self._elsewhere(place)
                heir = self._person(
                    owner_last=owner.last if rng.random() < 0.6 else None,
                    place=(self._street(heir_place), heir_place),
                    at=created_at,
                )
                self.roles.append(self._role(prop_id, heir.id, "heir", created_at))
                people.append(heir)
        rented = absentee and kind in ("single_family", "multi_family", "townhouse", "condo")
        if rented and rng.random() < 0.3:
            tenant = self._person(owner_last=None, place=(address, place), at=created_at, phones=1)
            self.roles.append(self._role(prop_id, tenant.id, "tenant", created_at))

        # --- values and tags ----------------------------------------------------------
        tags = self._tags(facts, owner, place, absentee=absentee, probate=probate, rented=rented)
        list_source = rng.choice(words.LIST_SOURCES)
        self._signals(prop_id, tags, created_at, rented=rented)

        # --- history: created, assigned, stage moves, edits ---------------------------
        events: list[dict[str, Any]] = []

        def event(kind: str, at: datetime, actor: Id | None, data: dict[str, Any]) -> None:
            events.append(
                {
                    "id": _uuid(rng),
                    "team_id": self.team_id,
                    "property_id": prop_id,
                    "kind": kind,
                    "actor_id": actor,
                    "at": at,
                    "data": data,
                    "created_at": at,
                }
            )

        imported = rng.random() < 0.85
        event(
            "created",
            created_at,
            creator,
            {"source": "import", "list": list_source} if imported else {"source": "manual"},
        )
        path = self._path(stage)
        start = created_at + timedelta(hours=2)
        move_times = sorted(self._between(start, self.now - timedelta(minutes=5)) for _ in path)
        if assignee is not None:
            assigned_at = self._between(created_at + timedelta(minutes=10), (move_times or [self.now])[0])
            if rng.random() < 0.07:
                before = _weighted(rng, [(m, w) for m, w in self.members.workers if m != assignee])
                event("assigned", assigned_at, self.members.manager, {"from": None, "to": str(before)})
                assigned_at = self._between(assigned_at, self.now - timedelta(minutes=1))
                event(
                    "assigned", assigned_at, self.members.manager, {"from": str(before), "to": str(assignee)}
                )
            else:
                event("assigned", assigned_at, self.members.manager, {"from": None, "to": str(assignee)})
        current = "new"
        for target, at in zip(path, move_times, strict=True):
            assert may_move(current, target), (current, target)
            reason = rng.choice(words.STAGE_REASONS[target])
            event(
                "stage_changed",
                at,
                assignee or self.members.admin,
                {"from": current, "to": target, "reason": reason},
            )
            current = target
        assert current == stage
        provenance: dict[str, Any] = {}
        if not first and rng.random() < 0.22 and facts["estimated_value"] is not None:
            at = self._between(created_at + timedelta(hours=1), self.now - timedelta(minutes=2))
            actor = assignee or self.members.admin
            new_value = facts["estimated_value"]
            old_value = _money(float(new_value) * rng.uniform(0.82, 1.12), 500)
            event(
                "edited",
                at,
                actor,
                {"fields": {"estimated_value": {"old": str(old_value), "new": str(new_value)}}},
            )
            provenance["estimated_value"] = {"source": "manual", "by": str(actor), "at": at.isoformat()}
        events.sort(key=lambda e: e["at"])
        self.events.extend(events)
        stage_changed_at = move_times[-1] if move_times else created_at
        updated_at = max(e["at"] for e in events)

        lat = Decimal(place.lat + rng.uniform(-0.025, 0.025)).quantize(Decimal("0.000001"))
        long = Decimal(place.long + rng.uniform(-0.025, 0.025)).quantize(Decimal("0.000001"))
        self.properties.append(
            {
                "id": prop_id,
                "team_id": self.team_id,
                "address": address,
                "unit": unit,
                "city": place.city,
                "state": place.state,
                "zip_code": place.code,
                "county": place.county,
                "apn": self._apn(place),
                "latitude": lat,
                "longitude": long,
                "property_type": kind,
                **facts,
                "tags": tags,
                "custom": {},
                "market_id": market_id,
                "stage": stage,
                "stage_changed_at": stage_changed_at,
                "score": 0,
                "created_by_id": creator,
                "assigned_to_id": assignee,
                "created_at": created_at,
                "updated_at": updated_at,
                "provenance": provenance,
                "deleted_at": None,
                "merged_into_id": None,
            }
        )
        talker = next((p for p in people if p.kind == "person"), owner)
        notes = self._notes(prop_id, stage, owner, talker, place, facts, created_at, assignee, address)
        self._tasks(prop_id, stage, owner, talker, created_at, assignee, address, notes)

    def _facts(self, kind: str, place: _Zip) -> dict[str, Any]:
        rng = self.rng
        beds: int | None
        baths: Decimal | None
        sqft: int | None
        year: int | None
        lot: int | None
        if kind == "land":
            lot = int(rng.triangular(4000, 90000, 9000))
            value = _money(lot * rng.uniform(2.0, 9.0), 500)
            beds = baths = sqft = year = None
        else:
            low, high, mode, lots = {
                "single_family": (850, 3600, 1550, (4000, 20000, 7200)),
                "condo": (600, 1800, 1050, None),
                "townhouse": (1000, 2400, 1500, (1400, 3600, 2200)),
                "multi_family": (1600, 4800, 2400, (5000, 16000, 8000)),
                "mobile_home": (700, 1800, 1150, (4000, 12000, 6000)),
            }[kind]
            sqft = int(rng.triangular(low, high, mode)) // 10 * 10
            lot = int(rng.triangular(*lots)) // 10 * 10 if lots else None
            per_bed = 380 if kind == "multi_family" else 560
            beds = max(1, min(9, round(sqft / per_bed + rng.uniform(-0.6, 0.6))))
            baths_f = max(1.0, min(beds + 0.5, round((beds * 0.65 + rng.uniform(-0.4, 0.6)) * 2) / 2))
            baths = Decimal(str(baths_f))
            era = {"mobile_home": (1965, 2008, 1988), "condo": (1968, 2020, 1995)}.get(
                kind, (1915, 2023, 1978)
            )
            year = int(rng.triangular(*era))
            age_factor = 0.8 + 0.3 * (year - 1915) / 110
            ppsf: float = words.PRICE_PER_SQFT.get(place.market, words.PRICE_PER_SQFT[None])
            if kind == "mobile_home":
                ppsf = ppsf * 0.45
            value = _money(sqft * ppsf * age_factor * rng.lognormvariate(0, 0.18), 500)
        assessed = _money(float(value) * rng.uniform(0.62, 0.92), 10)
        mortgage: Decimal | None = None
        if rng.random() < 0.66:
            share = rng.uniform(1.02, 1.15) if rng.random() < 0.03 else rng.uniform(0.05, 0.95)
            mortgage = _money(float(value) * share, 100)
        sale_date: date | None = None
        sale_price: Decimal | None = None
        if rng.random() < 0.92:
            first_year = max(1975, year or 1975)
            sale_date = date(rng.randint(first_year, 2024), rng.randint(1, 12), rng.randint(1, 28))
            years = (self.now.date() - sale_date).days / 365.25
            sale_price = _money(float(value) / 1.045**years * rng.uniform(0.85, 1.1), 100)
        return {
            "bedrooms": beds,
            "bathrooms": baths,
            "square_feet": sqft,
            "lot_size_sqft": lot,
            "year_built": year,
            "assessed_value": assessed,
            "estimated_value": value,
            "mortgage_balance": mortgage,
            "last_sale_date": sale_date,
            "last_sale_price": sale_price,
        }

    def _path(self, stage: str) -> list[str]:
        """The stage moves that brought a lead to `stage`, each allowed by the pipeline."""
        rng = self.rng
        forward = ["outreach", "qualified", "negotiation", "under_contract", "closed_won"]
        if stage == "new":
            return ["outreach", "closed_lost", "new"] if rng.random() < 0.03 else []
        if stage in forward:
            path = forward[: forward.index(stage) + 1]
            if stage == "qualified" and rng.random() < 0.12:
                path = ["qualified"]  # the owner called in: no outreach needed
            if stage == "negotiation" and rng.random() < 0.15:
                path = ["outreach", "qualified", "negotiation", "qualified", "negotiation"]
            return path
        if stage == "closed_lost":
            reached = _weighted(
                rng, [("outreach", 45), ("qualified", 30), ("negotiation", 20), ("under_contract", 5)]
            )
            return [*forward[: forward.index(reached) + 1], "closed_lost"]
        # archived
        before = _weighted(rng, [("new", 40), ("outreach", 35), ("closed_lost", 25)])
        if before == "new":
            return ["archived"]
        if before == "outreach":
            return ["outreach", "archived"]
        return ["outreach", "closed_lost", "archived"]

    def _tags(
        self,
        facts: dict[str, Any],
        owner: _Owner,
        place: _Zip,
        *,
        absentee: bool,
        probate: bool,
        rented: bool,
    ) -> list[str]:
        rng = self.rng
        tags = []
        if absentee:
            tags.append("absentee")
        if owner.state != place.state:
            tags.append("out_of_state")
        if rng.random() < (0.16 if absentee else 0.04):
            tags.append("vacant")
        if rng.random() < 0.09:
            tags.append("tax_delinquent")
        if facts["mortgage_balance"] is not None and rng.random() < 0.06:
            tags.append("pre_foreclosure")
        if probate:
            tags += ["probate", "inherited"]
        value, mortgage = facts["estimated_value"], facts["mortgage_balance"]
        if mortgage is None:
            tags.append("free_and_clear")
        elif value and (value - mortgage) / value >= Decimal("0.5"):
            tags.append("high_equity")
        if rented and owner.id in self._landlord_ids and rng.random() < 0.6:
            tags.append("tired_landlord")
        if rng.random() < 0.05:
            tags.append("code_violation")
        sale = facts["last_sale_date"]
        if sale is not None and (self.now.date() - sale).days > 15 * 365:
            tags.append("long_tenure")
        return tags

    def _signals(self, prop_id: Id, tags: list[str], created_at: datetime, *, rented: bool) -> None:
        """The signals a list tool would have brought with the lead, each as of a date the list
        saw it. The other kinds (absentee, out of state, equity, free and clear, tenure) are the
        record's own facts: rescoring derives them."""
        rng = self._signal_rng
        kinds = [k for k in tags if k in IMPORTED_SIGNALS]
        if rented and rng.random() < 0.08:
            kinds.append("eviction")
        if rng.random() < 0.015:
            kinds.append("divorce")
        for kind in kinds:
            source_list, (low, high) = IMPORTED_SIGNALS[kind]
            seen = self.now - timedelta(days=rng.uniform(low, high))
            recorded = max(created_at, seen)
            self.signals.append(
                {
                    "id": _uuid(rng),
                    "team_id": self.team_id,
                    "property_id": prop_id,
                    "kind": kind,
                    "source": "import",
                    "observed_on": seen.date(),
                    "detail": {"list": source_list},
                    "created_at": recorded,
                    "updated_at": recorded,
                }
            )

    # --- contacts ------------------------------------------------------------------------

    def _elsewhere(self, place: _Zip) -> _Zip:
        if self.rng.random() < 0.3:
            return self.rng.choice(self.by_state[self.rng.choice(words.OWNER_STATES)])
        return self.rng.choice(self.by_state[place.state])

    def _owner(self, place: _Zip, address: str, at: datetime) -> tuple[_Owner, bool]:
        """The owner of a property and whether they live elsewhere."""
        rng = self.rng
        if self._landlords and rng.random() < 0.06:
            return rng.choice(self._landlords), True
        roll = rng.random()
        if roll < 0.10:
            home = self._elsewhere(place)
            owner = self._contact(
                kind="entity",
                first=None,
                last=None,
                entity=self._llc_name(),
                place=(self._street(home), home),
                at=at,
            )
            owner.phones = self._phones(owner, rng.choice([1, 1, 2]), home, at)
            self._landlords.append(owner)
            self._landlord_ids.add(owner.id)
            return owner, True
        if roll < 0.185:
            first, last = rng.choice(words.FIRST), rng.choice(words.LAST)
            if roll < 0.15:
                name = rng.choice(words.TRUST_FORMS).format(first=first, last=last)
                at_home = rng.random() < 0.6
            else:
                name = f"Estate of {first} {last}"
                at_home = True
            home = place if at_home else self._elsewhere(place)
            street = address if at_home else self._street(home)
            owner = self._contact(
                kind="entity", first=None, last=last, entity=name, place=(street, home), at=at
            )
            owner.phones = self._phones(owner, rng.choice([0, 1, 2]) if at_home else 1, home, at)
            return owner, not at_home
        absentee = rng.random() < 0.33
        home = self._elsewhere(place) if absentee else place
        owner = self._person(
            owner_last=None,
            place=(self._street(home) if absentee else address, home),
            at=at,
            phones=rng.choice([2, 2, 3]),
        )
        if absentee and rng.random() < 0.3:
            self._landlords.append(owner)
            self._landlord_ids.add(owner.id)
        return owner, absentee

    def _llc_name(self) -> str:
        rng = self.rng
        while True:
            stem = rng.choice(
                [
                    rng.choice(words.ENTITY_WORDS),
                    rng.choice(words.LAST),
                    rng.choice(words.STREET_NAMES).title(),
                ]
            )
            name = f"{stem} {rng.choice(words.LLC_SUFFIXES)}"
            if name not in self._entity_names:
                self._entity_names.add(name)
                return name

    def _person(
        self, *, owner_last: str | None, place: tuple[str, _Zip], at: datetime, phones: int | None = None
    ) -> _Owner:
        rng = self.rng
        person = self._contact(
            kind="person",
            first=rng.choice(words.FIRST),
            last=owner_last or rng.choice(words.LAST),
            entity=None,
            place=place,
            at=at,
        )
        person.phones = self._phones(
            person, phones if phones is not None else rng.choice([1, 2, 2, 3]), place[1], at
        )
        self._emails(person, at)
        return person

    def _contact(
        self,
        *,
        kind: str,
        first: str | None,
        last: str | None,
        entity: str | None,
        place: tuple[str, _Zip],
        at: datetime,
    ) -> _Owner:
        street, home = place
        contact_id = _uuid(self.rng)
        self.contacts.append(
            {
                "id": contact_id,
                "team_id": self.team_id,
                "kind": kind,
                "first_name": first if kind == "person" else None,
                "last_name": last if kind == "person" else None,
                "entity_name": entity,
                "street": street,
                "city": home.city,
                "state": home.state,
                "zip_code": home.code,
                "notes": None,
                "created_at": at,
                "updated_at": None,
            }
        )
        name = entity or f"{first} {last}"
        return _Owner(
            id=contact_id, kind=kind, first=first, last=last, name=name, city=home.city, state=home.state
        )

    def _phones(self, contact: _Owner, count: int, home: _Zip, at: datetime) -> list[str]:
        rng = self.rng
        area_codes = home.area_codes or ["813"]
        drawn = []
        for _ in range(count):
            while True:
                line = rng.randint(100, 9999)
                value = f"+1{rng.choice(area_codes)}555{line:04d}"
                if line != 1212 and value not in self._point_values:
                    self._point_values.add(value)
                    break
            status = _weighted(rng, [("valid", 40), ("unknown", 42), ("wrong", 18)])
            line_type = _weighted(rng, [("mobile", 55), ("landline", 28), ("voip", 10), ("unknown", 7)])
            dnc = line_type != "unknown" and rng.random() < 0.11
            checked = dnc or rng.random() < 0.7
            drawn.append((status, value, line_type, dnc, checked))
        # The best number first: valid before unknown before wrong.
        drawn.sort(key=lambda d: ("valid", "unknown", "wrong").index(d[0]))
        for position, (status, value, line_type, dnc, checked) in enumerate(drawn):
            self.points.append(
                {
                    "id": _uuid(rng),
                    "team_id": self.team_id,
                    "contact_id": contact.id,
                    "kind": "phone",
                    "value": value,
                    "is_primary": position == 0,
                    "position": position,
                    "status": status,
                    "line_type": line_type,
                    "dnc": dnc,
                    "dnc_checked_at": self._between(max(at, self.now - timedelta(days=120)), self.now)
                    if checked
                    else None,
                    "created_at": at,
                }
            )
        return [d[1] for d in drawn]

    def _emails(self, person: _Owner, at: datetime) -> None:
        rng = self.rng
        count = _weighted(rng, [(0, 35), (1, 50), (2, 15)])
        first, last = (person.first or "").lower(), (person.last or "").lower()
        for position in range(count):
            while True:
                local = rng.choice(
                    [
                        f"{first}.{last}",
                        f"{first}{last}{rng.randint(1, 99)}",
                        f"{first[:1]}{last}",
                        f"{last}.{first}{rng.randint(1, 9)}",
                    ]
                )
                value = f"{local}@{rng.choice(words.EMAIL_DOMAINS)}"
                if value not in self._point_values:
                    self._point_values.add(value)
                    break
            self.points.append(
                {
                    "id": _uuid(rng),
                    "team_id": self.team_id,
                    "contact_id": person.id,
                    "kind": "email",
                    "value": value,
                    "is_primary": position == 0,
                    "position": position,
                    "status": _weighted(rng, [("valid", 70), ("unknown", 25), ("wrong", 5)]),
                    "line_type": "unknown",
                    "dnc": False,
                    "dnc_checked_at": None,
                    "created_at": at,
                }
            )

    def _role(self, property_id: Id, contact_id: Id, role: str, at: datetime) -> dict[str, Any]:
        return {
            "id": _uuid(self.rng),
            "team_id": self.team_id,
            "property_id": property_id,
            "contact_id": contact_id,
            "role": role,
            "created_at": at,
        }

    # --- notes and tasks -----------------------------------------------------------------

    def _notes(
        self,
        prop_id: Id,
        stage: str,
        owner: _Owner,
        talker: _Owner,
        place: _Zip,
        facts: dict[str, Any],
        created_at: datetime,
        assignee: Id | None,
        address: str,
    ) -> list[dict[str, Any]]:
        rng = self.rng
        count = {
            "new": _weighted(rng, [(0, 80), (1, 20)]),
            "outreach": _weighted(rng, [(0, 40), (1, 40), (2, 20)]),
            "archived": _weighted(rng, [(0, 60), (1, 40)]),
        }.get(stage, rng.randint(1, 4))
        value = facts["estimated_value"] or Decimal(100000)
        fill = {
            "first": talker.first or "the owner",
            "their": "their",
            "phones": len(talker.phones) or 2,
            "owner_city": owner.city if owner.city != place.city else "Atlanta",
            "ask": int(value * Decimal("0.8") / 1000),
            "arv": int(value * Decimal("1.15") / 1000),
            "repairs": rng.randint(12, 65),
            "rent": f"{rng.randint(9, 24) * 100:,}",
            "day": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
            "buyer": rng.choice(words.BUYERS),
            "street": address,
        }
        notes: list[dict[str, Any]] = []
        for n in range(count):
            pool = (
                words.NOTES_EARLY
                if stage in ("new", "outreach", "archived") or n == 0
                else words.NOTES_WORKED
            )
            if stage in ("closed_won", "closed_lost") and n == count - 1:
                pool = words.NOTES_CLOSED[:1] if stage == "closed_won" else words.NOTES_CLOSED[1:]
            at = self._between(created_at + timedelta(hours=1), self.now - timedelta(minutes=3))
            note = {
                "id": _uuid(rng),
                "team_id": self.team_id,
                "property_id": prop_id,
                "contact_id": None,
                "author_id": assignee or self.members.admin,
                "body": rng.choice(pool).format(**fill),
                "created_at": at,
                "updated_at": None,
            }
            notes.append(note)
        notes.sort(key=lambda n: n["created_at"])
        self.notes.extend(notes)
        return notes

    def _tasks(
        self,
        prop_id: Id,
        stage: str,
        owner: _Owner,
        talker: _Owner,
        created_at: datetime,
        assignee: Id | None,
        address: str,
        notes: list[dict[str, Any]],
    ) -> None:
        rng = self.rng
        group = "closed" if stage in ("closed_won", "closed_lost", "archived") else stage
        open_chance = {
            "new": 0.12,
            "outreach": 0.7,
            "qualified": 0.85,
            "negotiation": 0.92,
            "under_contract": 0.95,
        }
        done_count = {
            "new": 0,
            "outreach": 1,
            "qualified": 2,
            "negotiation": 2,
            "under_contract": 3,
            "closed": 2,
        }[group]
        fill = {
            "first": talker.first or talker.name,
            "street": address.title(),
            "last4": talker.phones[0][-4:] if talker.phones else "0000",
        }
        who = assignee or self.members.admin

        def task(status: str, due_at: datetime, made: datetime, title_group: str) -> dict[str, Any]:
            priority = _weighted(
                rng,
                [
                    ("low", 15),
                    ("normal", 50),
                    ("high", 25),
                    ("urgent", 10 if group in ("new", "outreach") else 22),
                ],
            )
            sla = {
                "urgent": due_at + timedelta(hours=4),
                "high": due_at + timedelta(days=1),
                "normal": due_at + timedelta(days=3) if rng.random() < 0.5 else None,
                "low": None,
            }[priority]
            description = rng.choice(words.TASK_DESCRIPTIONS)
            return {
                "id": _uuid(rng),
                "team_id": self.team_id,
                "title": rng.choice(words.TASK_TITLES[title_group]).format(**fill),
                "description": description.format(**fill) if description else None,
                "property_id": prop_id,
                "contact_id": owner.id,
                "assignee_id": who,
                "created_by_id": rng.choice([who, self.members.manager]),
                "priority": priority,
                "status": status,
                "due_at": due_at,
                "sla_due_at": sla,
                "snoozed_until": None,
                "overdue_at": None,
                "sla_breached_at": None,
                "completed_at": None,
                "completed_by_id": None,
                "source_kind": None,
                "source_id": None,
                "created_at": made,
                "updated_at": None,
            }

        for _ in range(rng.randint(max(0, done_count - 1), done_count)):
            done_at = self._between(created_at + timedelta(hours=3), self.now - timedelta(minutes=30))
            due_at = self._quarter(done_at + timedelta(hours=rng.uniform(-30, 48)))
            if due_at < created_at:
                due_at = done_at.replace(second=0)
            made = self._between(created_at, min(done_at, due_at))
            row = task("done", due_at, made, "outreach" if group in ("closed", "outreach") else group)
            if rng.random() < 0.05:
                row.update(status="cancelled", updated_at=done_at)
            else:
                row.update(completed_at=done_at, completed_by_id=who, updated_at=done_at)
            self.tasks.append(row)
        if group != "closed" and rng.random() < open_chance[group]:
            due_at = self._quarter(self.now + timedelta(days=rng.uniform(-6, 9)))
            if due_at < created_at + timedelta(hours=2):
                due_at = self._quarter(created_at + timedelta(days=1))
            latest = min(due_at, self.now) - timedelta(minutes=10)
            made = self._between(max(created_at, due_at - timedelta(days=10)), latest)
            row = task("open", due_at, made, group)
            # The periodic sweep has already seen what is late: no burst of notifications
            # for months-old demo tasks on the first run.
            if due_at < self.now:
                row["overdue_at"] = min(self.now, due_at + timedelta(minutes=5))
            if row["sla_due_at"] is not None and row["sla_due_at"] < self.now:
                row["sla_breached_at"] = min(self.now, row["sla_due_at"] + timedelta(minutes=5))
            if notes and rng.random() < 0.2:
                row.update(
                    source_kind="note",
                    source_id=notes[-1]["id"],
                    created_at=max(made, min(notes[-1]["created_at"] + timedelta(minutes=2), latest)),
                )
            self.tasks.append(row)

    def _quarter(self, at: datetime) -> datetime:
        """A quarter hour of the working day (13:00-21:45 UTC, 9-6 Eastern) on the day of `at`."""
        return at.replace(
            hour=self.rng.randint(13, 21), minute=self.rng.choice([0, 15, 30, 45]), second=0, microsecond=0
        )


async def _bulk(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) a chunk per statement, each chunk one JSON
    document that the server unpacks with `json_populate_recordset`. Several times faster than
    an executemany of ORM inserts: no per-row work in Python beyond one `json.dumps`. (COPY
    would be faster still, but PostgreSQL refuses COPY FROM into tables with row-level
    security, and every one of these has it, forced.)"""
    if not rows:
        return
    table: Table = model.__table__
    names = [c.name for c in table.columns if c.computed is None and c.name in rows[0]]
    columns = ", ".join(f'"{name}"' for name in names)
    statement = text(
        f"insert into {table.name} ({columns}) "
        f"select {columns} from json_populate_recordset(null::{table.name}, cast(:rows as json))"
    )
    for start in range(0, len(rows), CHUNK):
        await session.execute(statement, {"rows": json.dumps(rows[start : start + CHUNK], default=str)})


async def populate(session: AsyncSession, *, team_id: uuid.UUID, members: _Members, now: datetime) -> _Book:
    """Write the demo book of leads into `team_id` (the session is scoped to it). Built whole,
    then written: generating in a thread while inserting starves the event loop of the GIL
    and is several times slower."""
    book = _Book(team_id=team_id, members=members, now=now)
    book.build()
    for model, rows in (
        (Market, book.markets),
        (Property, book.properties),
        (Contact, book.contacts),
        (ContactPoint, book.points),
        (PropertyContact, book.roles),
        (PropertyEvent, book.events),
        (Note, book.notes),
        (Task, book.tasks),
        (Signal, book.signals),
    ):
        await _bulk(session, model, rows)
    # Scored before anyone looks: the list's order and every breakdown are there on first login.
    await scoring.rescore_team(session, team_id=team_id, at=now)
    return book


async def load(app_url: str, owner_url: str, *, only_if_empty: bool) -> bool:
    db = make_database(app_url, owner_url)
    places: asyncio.Future[Any] | None = None
    try:
        async with team_session(db, None) as session:
            if only_if_empty and (await session.scalar(select(func.count()).select_from(Account))):
                return False
            if await teams.get_account_by_email(session, ADMIN_EMAIL) is not None:
                return False
            # Read the ZIP data while the accounts' passwords hash (argon2 releases the GIL).
            places = asyncio.ensure_future(asyncio.to_thread(_places))
            _admin, membership = await teams.create_user(
                session,
                email=ADMIN_EMAIL,
                password=PASSWORD,
                full_name="Jordan Demo",
                team_name=TEAM,
                operator=True,
            )
            assert membership is not None
            team_id = membership.team_id
            await set_team(session, team_id)
            await teams.update_team(
                session,
                team_id=team_id,
                changes=TeamSettingsUpdate(
                    postal_address="2100 N Florida Ave, Suite 300, Tampa, FL 33602",
                    brand_name="Sunbelt Home Buyers",
                    timezone="America/New_York",
                ),
            )
            by_role: dict[str, uuid.UUID] = {}
            for email, name, role in MEMBERS:
                account, _ = await teams.create_user(
                    session, email=email, password=PASSWORD, full_name=name, team_name=None, operator=False
                )
                member = Membership(team_id=team_id, account_id=account.id, role=role, is_active=True)
                session.add(member)
                await session.flush()
                by_role[role.value] = member.id
            members = _Members(
                admin=str(membership.id),
                manager=str(by_role[Role.manager.value]),
                agent=str(by_role[Role.agent.value]),
                viewer=str(by_role[Role.viewer.value]),
            )
            await places
            await populate(
                session, team_id=team_id, members=members, now=clock.now().replace(second=0, microsecond=0)
            )
            return True
    finally:
        if places is not None:
            await places
        await db.dispose()
