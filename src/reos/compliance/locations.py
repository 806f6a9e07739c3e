"""Where a recipient may be: each plausible (state, time zone) from the phone's area code,
the contact's mailing ZIP and the property's ZIP. Offline: `phonenumbers` (zones; the area
codes' states are kept in `area_codes`, generated from its geocoder) and `zipcodes`.

A phone number's area code names a state and one or more zones (each zone is a location).
A non-geographic number (toll-free 8XX, 500, …) names no place: it gives no location, not
"everywhere". Look-ups are cached per 7-digit prefix and per ZIP, and a batch's whole set of
locations per (prefix, ZIPs) (`resolve`): real lists repeat them. A plain +1 number never goes
through `phonenumbers.parse`: its prefix is looked up as a ready-made `PhoneNumber`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezone

from reos.compliance.area_codes import AREA_CODE_STATES

STATE_NAMES = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Washington D.C.": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "Washington State": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Puerto Rico": "PR",
    "Guam": "GU",
    "U.S. Virgin Islands": "VI",
    "Northern Mariana Islands": "MP",
    "American Samoa": "AS",
}
STATE_CODES = frozenset(STATE_NAMES.values())


@dataclass(frozen=True, slots=True)
class Location:
    """One place the recipient may be: a state (None outside the US states: federal rules
    apply) and an IANA time zone; `source` says which fact pointed there."""

    state: str | None
    tz: str
    source: str


def _state_of(description: str) -> str | None:
    """ "Florida" → FL; "Chicago, IL" → IL; "Ontario" → None (not a US state)."""
    if description in STATE_NAMES:
        return STATE_NAMES[description]
    _, _, tail = description.rpartition(", ")
    return tail if tail in STATE_CODES else None


@lru_cache(maxsize=65_536)
def _prefix_locations(prefix: str) -> tuple[Location, ...]:
    """Locations of every number starting with this +1 NPA-NXX prefix: each state the area code
    is placed in, with each of the prefix's zones."""
    states = AREA_CODE_STATES.get(prefix[2:5])
    if states is None:
        return ()  # toll-free, 500, 900…: no place
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(prefix[2:].ljust(10, "0")))
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    return tuple(
        Location(state=state or None, tz=zone, source="phone area code") for state in states for zone in zones
    )


def phone_prefix(e164: str) -> str | None:
    """The +1 NPA-NXX prefix that decides a number's locations; None outside the plan."""
    if e164.startswith("+1") and len(e164) == 12 and e164[1:].isdigit():
        return e164[:8]  # NANP numbers share 7-digit prefixes
    return None


def phone_locations(e164: str) -> tuple[Location, ...]:
    """Every location the number's area code names; () for a non-geographic number and for
    numbers outside the North American plan (the governor's rules are US law)."""
    prefix = phone_prefix(e164)
    return () if prefix is None else _prefix_locations(prefix)


@cache
def _zip_table() -> dict[str, tuple[str, str]]:
    """ZIP → (state, zone), built once from the `zipcodes` data (its own look-up scans).

    Read with `filter_by()` (a fresh list), not `list_all()`, which keeps its 42,789 dicts
    (and their lists) for the life of the process: every full cyclic garbage collection then
    walked them, 0.4 s of each 10,000-contact batch on the shared machine."""
    table: dict[str, tuple[str, str]] = {}
    for row in zipcodes.filter_by():  # type: ignore[no-untyped-call]
        if row.get("timezone") and row.get("state"):
            table[row["zip_code"]] = (row["state"], row["timezone"])
    return table


@lru_cache(maxsize=65_536)
def zip_location(zip_code: str | None, source: str) -> Location | None:
    if not zip_code:
        return None
    found = _zip_table().get(zip_code.strip()[:5])
    if found is None:
        return None
    return Location(state=found[0], tz=found[1], source=source)


def is_known_zip(zip_code: str) -> bool:
    return zip_code.strip()[:5] in _zip_table()


def locations(
    *, phone: str | None, mailing_zip: str | None = None, property_zip: str | None = None
) -> tuple[Location, ...]:
    """The recipient's every plausible location, without duplicates, in a stable order."""
    prefix = phone_prefix(phone) if phone else None
    return resolve(prefix, (mailing_zip,) if mailing_zip else (), property_zip)


@lru_cache(maxsize=65_536)
def resolve(
    prefix: str | None, mailing_zips: tuple[str, ...], property_zip: str | None
) -> tuple[Location, ...]:
    """Locations of a number with this prefix (`phone_prefix`; None: no place), these mailing
    ZIPs (in the order given) and this property ZIP: each (state, zone) once, the first source
    that names it kept, phone first."""
    found: list[Location] = list(_prefix_locations(prefix)) if prefix is not None else []
    for zip_code, source in [(z, "mailing ZIP") for z in mailing_zips] + [(property_zip, "property ZIP")]:
        place = zip_location(zip_code, source)
        if place is not None:
            found.append(place)
    seen: set[tuple[str | None, str]] = set()
    unique: list[Location] = []
    for place in found:
        key = (place.state, place.tz)
        if key not in seen:
            seen.add(key)
            unique.append(place)
    return tuple(unique)
