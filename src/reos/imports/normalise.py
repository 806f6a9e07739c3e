"""One file row → the values that land: addresses in USPS form, ZIPs, states, numbers, dates,
owners, phones (E.164), emails (lower case), signals — and the problems found, by column.

Pure functions over plain data, so chunks of rows are normalised in worker processes. A row
is refused (an error row) when it has no usable address — a street and either a ZIP or a city
and a state — or when its ZIP or state is malformed; a bad value elsewhere (a phone, a number,
a date) is dropped and reported while the row still lands.

Street lines are normalised once per distinct street (the house number is set aside first),
since lists repeat street names heavily and the USPS parser costs about 100 µs a call.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from reos.compliance.area_codes import AREA_CODE_STATES
from reos.imports.mapping import EMAILS, PHONES
from reos.imports.reader import UnreadableRow
from reos.kit.address import US_STATES, normalise_street, normalise_zip, split_place
from reos.kit.ids import new_id_texts
from reos.scoring.models import SIGNAL_KINDS

STATE_NAMES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "PUERTO RICO": "PR",
}  # fmt: skip
PROPERTY_TYPES = {
    "single family": "single_family", "single family residential": "single_family", "sfr": "single_family",
    "single family residence": "single_family", "sfh": "single_family", "residential": "single_family",
    "single_family": "single_family", "house": "single_family",
    "condo": "condo", "condominium": "condo", "townhouse": "townhouse", "townhome": "townhouse",
    "multi family": "multi_family", "multi-family": "multi_family", "multifamily": "multi_family",
    "multi_family": "multi_family", "duplex": "multi_family", "triplex": "multi_family",
    "fourplex": "multi_family", "quadplex": "multi_family", "mfr": "multi_family",
    "apartment": "multi_family", "mobile home": "mobile_home", "mobile_home": "mobile_home",
    "manufactured": "mobile_home", "manufactured home": "mobile_home", "land": "land",
    "vacant land": "land", "lot": "land", "commercial": "commercial", "other": "other",
}  # fmt: skip
LINE_TYPES = {
    "mobile": "mobile", "wireless": "mobile", "cell": "mobile", "cellular": "mobile", "m": "mobile",
    "landline": "landline", "land line": "landline", "residential": "landline", "wired": "landline",
    "l": "landline", "fixed": "landline", "voip": "voip", "v": "voip", "unknown": "unknown",
}  # fmt: skip
FALSY = frozenset(["", "n", "no", "false", "f", "0", "none", "null", "-", "unknown", "u", "0.0"])
_ENTITY = re.compile(
    r"\b(LLC|L\.L\.C\.?|INC|CORP|CORPORATION|COMPANY|CO|TRUST|TR|TRUSTEE|TRUSTEES|ESTATE|EST|LP|LTD|LLP|"
    r"PARTNERS|PARTNERSHIP|HOLDINGS|PROPERTIES|INVESTMENTS|BANK|ASSOCIATION|ASSN|CHURCH|CITY OF|"
    r"COUNTY OF|STATE OF|HOUSING|AUTHORITY|FUND|GROUP|VENTURES|REALTY)\b",
    re.IGNORECASE,
)
_HOUSE = re.compile(r"^\s*(\d+[A-Za-z]?(?:-\d+[A-Za-z]?)?)\s+(\S.*)$")
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$", re.ASCII)
_NOT_DIGITS = re.compile(r"[^0-9]")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$", re.ASCII)
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@"  # the local part
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,}$",
    re.ASCII,
)
_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"),  # ISO, Excel's dates as written by the reader
    re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$"),  # US month/day/year
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_STREET_CACHE_MAX = 200_000


@dataclass(frozen=True)
class Plan:
    """What a worker needs to normalise rows: the headers and each target's column index, and
    the mapped ones of each repeated group of targets (a row reads only the columns it has)."""

    headers: tuple[str, ...]
    columns: dict[str, int]

    @classmethod
    def build(cls, headers: list[str], mapping: dict[str, str]) -> Plan:
        index = {h: i for i, h in enumerate(headers)}
        return cls(tuple(headers), {t: index[c] for t, c in mapping.items() if c in index})

    def _slots(self, targets: Iterable[str]) -> tuple[tuple[str, int, str], ...]:
        return tuple(
            (t, self.columns[t], self.headers[self.columns[t]]) for t in targets if t in self.columns
        )

    @functools.cached_property
    def numbers(self) -> tuple[tuple[str, int, str, Callable[[str], Any]], ...]:
        """(target, column, header, parse) of every mapped number, in the order they are read."""
        parsers: dict[str, Callable[[str], Any]] = {
            **{t: functools.partial(integer, low=low, high=high) for t, (low, high) in _INTS.items()},
            "bathrooms": functools.partial(decimal, places=1, high=100),
            **{t: decimal for t in _MONEY},
            "latitude": functools.partial(decimal, places=6, low=-90, high=90),
            "longitude": functools.partial(decimal, places=6, low=-180, high=180),
        }
        return tuple((t, i, h, parsers[t]) for t, i, h in self._slots(parsers))

    @functools.cached_property
    def phones(self) -> tuple[tuple[int, int, str, int | None, int | None], ...]:
        """(position, column, header, type column, DNC column) of every mapped phone."""
        return tuple(
            (_position(t), i, h, self.columns.get(f"{t}_type"), self.columns.get(f"{t}_dnc"))
            for t, i, h in self._slots(_PHONE_TARGETS)
        )

    @functools.cached_property
    def emails(self) -> tuple[tuple[int, int, str], ...]:
        """(position, column, header) of every mapped email."""
        return tuple((_position(t), i, h) for t, i, h in self._slots(_EMAIL_TARGETS))

    @functools.cached_property
    def signals(self) -> tuple[tuple[str, int, str], ...]:
        """(kind, column, header) of every mapped signal."""
        return self._slots(SIGNAL_KINDS)


@dataclass
class Point:
    kind: str
    value: str
    position: int
    line_type: str | None
    dnc: bool | None
    column: str


@dataclass
class Person:
    role: str
    kind: str
    first_name: str | None
    last_name: str | None
    entity_name: str | None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


@dataclass
class Row:
    """A normalised row: property values by field, its owners, points and signals, and problems
    as (column, reason); `refused` rows do not land."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    refused: bool = False


# --- values ----------------------------------------------------------------------------------


def tidy(value: str) -> str:
    return " ".join(value.split())


_street_cache: dict[str, tuple[str, str | None]] = {}


def street_line(line: str, unit: str | None = None) -> tuple[str, str | None]:
    """USPS form of a street line and unit, normalising the part after the house number once."""
    match = _HOUSE.match(line)
    if match is None:
        return normalise_street(line, unit or None)
    if unit:
        street, _ = street_line(line)
        return street, _unit(unit)
    number, rest = match.groups()
    key = rest.upper()
    found = _street_cache.get(key)
    if found is None:
        plain = _plain_street(rest)
        if plain is not None:
            found = (plain, None)
        else:
            street, second = normalise_street("1 " + rest)
            found = (street[2:], second) if street.startswith("1 ") else ("", None)
        if len(_street_cache) >= _STREET_CACHE_MAX:
            _street_cache.clear()
        _street_cache[key] = found
    if not found[0]:
        return normalise_street(line)
    return f"{number.upper()} {found[0]}", found[1]


@functools.cache
def _street_words() -> tuple[dict[str, str], frozenset[str], dict[str, str]]:
    """The USPS suffix table of the address parser, every word the parser could read as
    something other than part of a street name (a directional, a suffix, a unit designator),
    and the directionals with their abbreviations."""
    from scourgify import address_constants as k

    suffixes = {key: value for key, value in k.STREET_TYPE_ABBREVIATIONS.items() if " " not in key}
    special = {
        *k.STREET_TYPE_ABBREVIATIONS,
        *k.STREET_TYPE_ABBREVIATIONS.values(),
        *k.DIRECTIONAL_REPLACEMENTS,
        *k.DIRECTIONAL_REPLACEMENTS.values(),
        *k.AMBIGUOUS_DIRECTIONALS,
        *k.OCCUPANCY_TYPE_ABBREVIATIONS,
        *k.OCCUPANCY_TYPE_ABBREVIATIONS.values(),
        *k.CITY_ABBRS,
        *k.PROBLEM_ST_TYPE_ABBRVS,
        *k.KNOWN_ODDITIES,
    }
    directionals = dict(k.DIRECTIONAL_REPLACEMENTS)
    directionals.update({value: value for value in k.DIRECTIONAL_REPLACEMENTS.values()})
    return suffixes, frozenset(special), directionals


def _plain_street(rest: str) -> str | None:
    """ "Oakwood Street" → "OAKWOOD ST" without the address parser (a CRF model, ~0.3 ms a call):
    only for the plain shape — an optional directional, name words of letters that mean nothing
    else to the parser, then a USPS suffix — where the parser's answer is the same (checked on
    every distinct street of the benchmark's lead lists). None: ask the parser."""
    words = rest.upper().split()
    if len(words) < 2 or len(words) > 5:
        return None
    suffixes, special, directionals = _street_words()
    suffix = suffixes.get(words[-1].rstrip("."))
    if suffix is None:
        return None
    prefix = directionals.get(words[0].rstrip("."))
    name = words[1:-1] if prefix is not None else words[:-1]
    if not name:
        return None
    for word in name:
        if not (word.isascii() and word.isalpha() and len(word) > 1) or word in special:
            return None
    return " ".join([prefix, *name, suffix] if prefix is not None else [*name, suffix])


@functools.lru_cache(maxsize=10_000)
def _unit(unit: str) -> str | None:
    return normalise_street("1 A ST", unit)[1]


# ZIPs and states repeat through a list (a few thousand distinct in a million rows): each distinct
# cell is read once.
@functools.lru_cache(maxsize=65_536)
def zip_code(value: str) -> str:
    text = value.strip()
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and len(text) in (3, 4):
        # Spreadsheets drop the leading zeros of New England and New Jersey ZIPs.
        text = text.zfill(5)
    elif text.isdigit() and len(text) in (7, 8):
        text = text.zfill(9)
    match = _ZIP.match(text)
    if not match:
        raise ValueError(f"{value.strip()!r} is not a ZIP code (12345 or 12345-6789)")
    five, four = match.groups()
    return f"{five}-{four}" if four else five


def _zip_from(value: str, *, in_text: bool) -> str:
    """A ZIP column's value (`zip_code`: a spreadsheet may have dropped its leading zeros), or one
    written in an address's text, which lost none and is taken as written."""
    return normalise_zip(value) if in_text else zip_code(value)


@functools.lru_cache(maxsize=4_096)
def state_code(value: str) -> str:
    text = tidy(value).upper().replace(".", "")
    if text in US_STATES:
        return text
    found = STATE_NAMES.get(text)
    if found is None:
        raise ValueError(f"{value.strip()!r} is not a US state")
    return found


@functools.cache
def _zip_places() -> dict[str, tuple[str, str, str | None]]:
    """ZIP → (city, state, county), read once per process from the `zipcodes` data."""
    import zipcodes

    table: dict[str, tuple[str, str, str | None]] = {}
    for row in zipcodes.list_all():  # type: ignore[no-untyped-call]
        county = row.get("county") or None
        if county and county.endswith(" County"):
            county = county[: -len(" County")]
        table[row["zip_code"]] = (row.get("city") or "", row.get("state") or "", county)
    return table


def warm() -> None:
    """Build the lookup tables now (in the workers' fork server), not in the first chunk."""
    _zip_places()
    _street_words()


def zip_place(zip5: str) -> tuple[str, str, str | None] | None:
    return _zip_places().get(zip5)


def phone(value: str) -> str:
    """E.164 for North American numbers (a fast path: plain digits checked against the area
    codes in service), else the full `phonenumbers` check."""
    text = value.strip()
    if text.endswith(".0"):
        text = text[:-2]
    digits = _NOT_DIGITS.sub("", text) if text.isascii() else "".join(c for c in text if c.isdigit())
    if not text.startswith("+") or text.startswith("+1"):
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        if (
            len(digits) == 10
            and digits[:3] in AREA_CODE_STATES
            and digits[3] not in "01"
            and digits[4:6] != "11"
        ):
            return "+1" + digits
        raise ValueError(f"{text!r} is not a valid phone number")
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text!r} is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(value: str) -> str:
    text = value.strip().lower()
    if text.isascii():
        if len(text) <= 320 and _EMAIL.match(text):
            return text
        raise ValueError(f"{value.strip()!r} is not an email address")
    from reos.contacts.service import normalise_email
    from reos.errors import AppError

    try:
        return normalise_email(text)
    except AppError as exc:
        raise ValueError(f"{value.strip()!r} is not an email address") from exc


# Lists repeat their numbers (bedrooms, years, rounded values): each distinct one is parsed once.
@functools.lru_cache(maxsize=65_536)
def decimal(value: str, *, places: int = 2, low: float = 0, high: float = 10**12) -> Decimal:
    text = value.strip().replace("$", "").replace(",", "").replace(" ", "")
    if text.endswith("%"):
        text = text[:-1]
    if not _NUMBER.match(text):
        raise ValueError(f"{value.strip()!r} is not a number")
    try:
        number = round(Decimal(text), places)
    except InvalidOperation as exc:
        raise ValueError(f"{value.strip()!r} is not a number") from exc
    if not low <= number <= high:
        raise ValueError(f"{value.strip()!r} is out of range ({low:g} to {high:g})")
    return number


def integer(value: str, *, low: int, high: int) -> int:
    number = decimal(value, places=0, low=low, high=high)
    return int(number)


@functools.lru_cache(maxsize=20_000)
def day(value: str) -> date:
    text = value.strip()
    for i, pattern in enumerate(_DATE_FORMATS):
        match = pattern.match(text)
        if match is None:
            continue
        a, b, c = (int(g) for g in match.groups())
        if i == 1:
            year = c + (2000 if c < 50 else 1900) if c < 100 else c
            a, b, c = year, a, b
        try:
            return date(a, b, c)
        except ValueError:
            break
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")


def truthy(value: str) -> bool:
    return value.strip().lower() not in FALSY


YES = frozenset(["y", "yes", "true", "t", "1", "x", "on", "checked", "active", "\u2713", "\u2714"])


@functools.lru_cache(maxsize=4_096)
def signal_flag(value: str, kind: str) -> bool:
    """Whether a signal column's cell says the property has the signal: a yes, the signal's own
    name ("Vacant" under Vacant), a number other than 0 (an amount owed, years, a count) or a
    date (when it was recorded); no for the usual no's. Anything else ("maybe", "occupied") is
    a ValueError: guessing would give a lead points it may not deserve."""
    text = tidy(value).lower()
    if text in FALSY:
        return False
    if text in YES or text.replace("-", " ").replace("_", " ") == kind.replace("_", " "):
        return True
    try:
        return decimal(text, low=-(10**12)) != 0
    except ValueError:
        pass
    try:
        day(text)
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not yes or no (nor an amount or a date)") from None
    return True


def split_name(full: str) -> Person:
    name = tidy(full)
    if _ENTITY.search(name):
        return Person("owner", "entity", None, None, name[:200])
    if "," in name:
        last, _, first = name.partition(",")
        return Person("owner", "person", tidy(first)[:100] or None, tidy(last)[:100] or None, None)
    first, _, last = name.rpartition(" ")
    if not first:
        return Person("owner", "person", None, last[:100], None)
    return Person("owner", "person", first[:100], last[:100], None)


# --- a row -------------------------------------------------------------------------------------

_INTS = {
    "bedrooms": (0, 100),
    "square_feet": (0, 10_000_000),
    "lot_size_sqft": (0, 2_000_000_000),
    "year_built": (1600, 2100),
}
_MONEY = ("assessed_value", "estimated_value", "mortgage_balance", "last_sale_price")
_PHONE_TARGETS = tuple(f"phone_{n}" for n in range(1, PHONES + 1))
_EMAIL_TARGETS = tuple(f"email_{n}" for n in range(1, EMAILS + 1))


def _position(target: str) -> int:
    """ "phone_2" → 1: the place of a numbered target among its kind."""
    return int(target.rsplit("_", 1)[1]) - 1


def blank(cells: list[str]) -> bool:
    """A row with nothing in it: skipped, not counted (spreadsheets pad files with them)."""
    return not isinstance(cells, UnreadableRow) and not any(c.strip() for c in cells)


def normalise_row(plan: Plan, number: int, cells: list[str]) -> Row:
    columns = plan.columns
    headers = plan.headers
    row = Row(number)
    if isinstance(cells, UnreadableRow):
        row.problems.append((None, cells.reason))
        row.refused = True
        return row
    width = len(cells)

    def at(i: int | None) -> str:
        return cells[i].strip() if i is not None and i < width else ""

    def get(target: str) -> str:
        return at(columns.get(target))

    def column(target: str) -> str | None:
        i = columns.get(target)
        return headers[i] if i is not None else None

    values = row.values

    # Address: a street and either a ZIP or a city and a state. A list that writes the whole
    # address in one cell ("12 Oak St, Tampa, FL 33610") gives its place where columns give none.
    line = tidy(get("address"))
    if not line:
        row.problems.append((column("address"), "no street address"))
        row.refused = True
    raw_zip, raw_state, raw_city = get("zip_code"), get("state"), get("city")
    # Where a value came from, for its problem: its column, or the street address cell.
    zip_from, state_from = "zip_code", "state"
    tail = split_place(line) if line else None
    if tail is not None:
        line = tail.street
        if not raw_zip and tail.zip_code:
            raw_zip, zip_from = tail.zip_code, "address"
        if not raw_state and tail.state:
            raw_state, state_from = tail.state, "address"
        raw_city = raw_city or tail.city or ""
    zip5 = ""
    if raw_zip:
        try:
            values["zip_code"] = _zip_from(raw_zip, in_text=zip_from == "address")
            zip5 = values["zip_code"][:5]
        except ValueError as exc:
            row.problems.append((column(zip_from), str(exc)))
            row.refused = True
    if raw_state:
        try:
            values["state"] = state_code(raw_state)
        except ValueError as exc:
            row.problems.append((column(state_from), str(exc)))
            row.refused = True
    city = tidy(raw_city)[:100]
    if city:
        values["city"] = city.upper()
    county = tidy(get("county"))
    if county.upper().endswith(" COUNTY"):
        county = county[: -len(" COUNTY")]
    if county:
        values["county"] = county[:100]
    if zip5 and not row.refused:
        place = zip_place(zip5)
        if place is not None:
            values.setdefault("city", place[0])
            values.setdefault("state", place[1])
            if place[2]:
                values.setdefault("county", place[2])
    if not row.refused and not zip5 and not (values.get("city") and values.get("state")):
        row.problems.append((column("zip_code") or column("city"), "no ZIP code, and no city and state"))
        row.refused = True
    if row.refused:
        return row
    values.setdefault("zip_code", "")
    values.setdefault("city", "")
    values.setdefault("state", "")
    street, unit = street_line(line, tidy(get("unit")) or None)
    values["address"] = street[:200]
    if unit:
        values["unit"] = unit[:40]

    apn = tidy(get("apn"))
    if apn:
        values["apn"] = apn[:64]
    for target, i, header, parse in plan.numbers:
        raw = at(i)
        if raw:
            try:
                values[target] = parse(raw)
            except ValueError as exc:
                row.problems.append((header, str(exc)))
    raw = get("last_sale_date")
    if raw:
        try:
            values["last_sale_date"] = day(raw)
        except ValueError as exc:
            row.problems.append((column("last_sale_date"), str(exc)))
    raw = get("property_type")
    if raw:
        values["property_type"] = PROPERTY_TYPES.get(tidy(raw).lower(), "other")
    raw = get("tags")
    if raw:
        tags = [tidy(t).lower()[:60] for t in re.split(r"[,;|]", raw)]
        values["tags"] = list(dict.fromkeys(t for t in tags if t))[:50]
    # A list's equity (an amount or a percent) is kept as the mortgage balance it implies, which
    # needs the estimated value; a mortgage balance the list gives itself wins.
    for target in ("equity", "equity_percent"):
        raw = get(target)
        if not raw or "mortgage_balance" in values:
            continue
        try:
            if target == "equity":
                amount = decimal(raw, low=-(10**12))
            else:
                share = decimal(raw, places=4, low=-1000, high=1000)
        except ValueError as exc:
            row.problems.append((column(target), str(exc)))
            continue
        value = values.get("estimated_value")
        if value is None:
            row.problems.append((column(target), "an equity needs the estimated value on the same row"))
            break
        if target == "equity_percent":
            amount = value * share / 100
        values["mortgage_balance"] = max(Decimal(0), round(value - amount, 2))
        break

    # Owners: names split or whole, and their mailing address.
    people = row.people
    first, last = tidy(get("owner_first_name")), tidy(get("owner_last_name"))
    entity = tidy(get("owner_entity_name"))
    if entity:
        people.append(Person("owner", "entity", None, None, entity[:200]))
    elif first or last:
        joined = f"{first} {last}".strip()
        if _ENTITY.search(last) or (_ENTITY.search(joined) and not first):
            people.append(Person("owner", "entity", None, None, joined[:200]))
        else:
            people.append(Person("owner", "person", first[:100] or None, last[:100] or None, None))
    elif get("owner_name"):
        people.append(split_name(get("owner_name")))
    first2, last2 = tidy(get("owner_2_first_name")), tidy(get("owner_2_last_name"))
    if first2 or last2:
        people.append(Person("co_owner", "person", first2[:100] or None, last2[:100] or None, None))
    if people:
        mail_line = tidy(get("mailing_street"))
        mailing: dict[str, str | None] = {"street": None, "city": None, "state": None, "zip_code": None}
        mail_tail = split_place(mail_line) if mail_line else None
        if mail_tail is not None:
            mail_line = mail_tail.street
        if mail_line:
            # A unit stays on the delivery line ("500 OAK AVE APT 4B"), as USPS prints it: the
            # contact has one street line, and mail without the unit does not arrive.
            street, unit = street_line(mail_line, tidy(get("mailing_unit")) or None)
            mailing["street"] = (f"{street} {unit}" if unit else street)[:200]
            mail_city = get("mailing_city")
            if not mail_city and mail_tail is not None:
                mail_city = mail_tail.city or ""
            mailing["city"] = tidy(mail_city).upper()[:100] or None
            for target, key in (("mailing_state", "state"), ("mailing_zip", "zip_code")):
                raw, source = get(target), target
                if not raw and mail_tail is not None and getattr(mail_tail, key):
                    raw, source = getattr(mail_tail, key), "mailing_street"
                if raw:
                    try:
                        in_text = source == "mailing_street"
                        mailing[key] = (
                            _zip_from(raw, in_text=in_text) if key == "zip_code" else state_code(raw)
                        )
                    except ValueError as exc:
                        row.problems.append((column(source), str(exc)))
        for person in people:
            person.street, person.city = mailing["street"], mailing["city"]
            person.state, person.zip_code = mailing["state"], mailing["zip_code"]

    # Phones and emails, with the skip tracer's line type and DNC flag.
    seen: set[str] = set()
    for position, i, header, type_at, dnc_at in plan.phones:
        raw = at(i)
        if not raw:
            continue
        try:
            value = phone(raw)
        except ValueError as exc:
            row.problems.append((header, str(exc)))
            continue
        if value in seen:
            continue
        seen.add(value)
        kind = at(type_at)
        dnc = at(dnc_at)
        row.points.append(
            Point(
                "phone",
                value,
                position,
                LINE_TYPES.get(kind.lower(), "unknown") if kind else None,
                truthy(dnc) if dnc else None,
                header,
            )
        )
    for position, i, header in plan.emails:
        raw = at(i)
        if not raw:
            continue
        try:
            value = email(raw)
        except ValueError as exc:
            row.problems.append((header, str(exc)))
            continue
        if value not in seen:
            seen.add(value)
            row.points.append(Point("email", value, position, None, None, header))
    if row.points and not people:
        row.problems.append((None, "phones and emails need an owner name; they were not imported"))
        row.points = []

    for kind, i, header in plan.signals:
        raw = at(i)
        if not raw:
            continue
        try:
            if signal_flag(raw, kind):
                row.signals.append(kind)
        except ValueError as exc:
            row.problems.append((header, str(exc)))
    return row


# --- COPY payloads -----------------------------------------------------------------------------

ROW_COLUMNS = (
    "row_no", "new_id", "address", "unit", "city", "state", "zip_code", "county", "apn", "latitude",
    "longitude", "property_type", "bedrooms", "bathrooms", "square_feet", "lot_size_sqft", "year_built",
    "assessed_value", "estimated_value", "mortgage_balance", "last_sale_date", "last_sale_price", "tags",
    "signal_kinds",
)  # fmt: skip
VALUE_FIELDS = ROW_COLUMNS[2:22]
CONTACT_COLUMNS = (
    "row_no", "contact_id", "role", "kind", "first_name", "last_name", "entity_name", "street", "city",
    "state", "zip_code",
)  # fmt: skip
POINT_COLUMNS = ("row_no", "kind", "value", "position", "line_type", "dnc", "source_column")
ERROR_COLUMNS = ("row_no", "source_column", "reason", "raw", "landed")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        # Most values hold nothing to escape: two scans in C, not a translation through a dict
        # (a sixth of the normaliser's time).
        if "\\" not in value and value.isprintable():
            return value
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _array(values: list[str]) -> str:
    inner = ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + inner + "}"


@dataclass
class Chunk:
    """A chunk of rows as COPY text (one payload per staging table) and its tallies."""

    first: int
    rows: int
    refused: int
    stage: bytes
    contacts: bytes
    points: bytes
    errors: bytes


def _id_stream() -> Iterator[str]:
    while True:
        yield from new_id_texts(256)


def process_chunk(plan: Plan, first: int, batch: list[list[str]]) -> Chunk:
    """Normalise rows `first`, `first + 1`, … into COPY payloads (runs in a worker process)."""
    next_id = _id_stream().__next__
    stage: list[str] = []
    contacts: list[str] = []
    points: list[str] = []
    errors: list[str] = []
    refused = 0
    counted = 0
    headers = plan.headers
    for offset, cells in enumerate(batch):
        number = first + offset
        if blank(cells):
            continue
        counted += 1
        row = normalise_row(plan, number, cells)
        if row.problems:
            # Lists, not an object: JSONB would sort the keys, and the report keeps the file's order.
            raw = json.dumps({"columns": headers, "values": cells}, ensure_ascii=False)
            for source, reason in row.problems:
                errors.append(
                    "\t".join(
                        (str(number), _text(source), _text(reason), _text(raw), "f" if row.refused else "t")
                    )
                )
        if row.refused:
            refused += 1
            continue
        values = row.values
        line = [str(number), next_id()]
        line.extend(map(_text, map(values.get, VALUE_FIELDS)))
        line.append(_text(_array(values["tags"])) if "tags" in values else "\\N")
        line.append(_text(_array(sorted(row.signals))) if row.signals else "\\N")
        stage.append("\t".join(line))
        for person in row.people:
            contacts.append(
                "\t".join(
                    (
                        str(number),
                        next_id(),
                        person.role,
                        person.kind,
                        _text(person.first_name),
                        _text(person.last_name),
                        _text(person.entity_name),
                        _text(person.street),
                        _text(person.city),
                        _text(person.state),
                        _text(person.zip_code),
                    )
                )
            )
        for point in row.points:
            points.append(
                "\t".join(
                    (
                        str(number),
                        point.kind,
                        _text(point.value),
                        str(point.position),
                        _text(point.line_type),
                        _text(point.dnc),
                        _text(point.column),
                    )
                )
            )

    def payload(lines: list[str]) -> bytes:
        return ("\n".join(lines) + "\n").encode() if lines else b""

    return Chunk(first, counted, refused, payload(stage), payload(contacts), payload(points), payload(errors))
