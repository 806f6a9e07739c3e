"""US state and ZIP code checks shared by every address field, and street lines in USPS form."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import usaddress
from scourgify import normalize_address_record
from scourgify.exceptions import AddressNormalizationError, AddressValidationError
from usaddress import RepeatedLabelError


@functools.cache
def unit_designators() -> tuple[str, ...]:
    """The USPS secondary unit designators a normalised unit starts with ("APT", "STE", "#")."""
    from scourgify import address_constants

    return tuple(sorted(set(address_constants.OCCUPANCY_TYPE_ABBREVIATIONS.values())))


US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)
# ASCII digits only: `\d` alone also matches other scripts' digits (e.g. fullwidth "３３６１０").
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$", re.ASCII)


def normalise_state(value: str) -> str:
    code = value.strip().upper()
    if code not in US_STATES:
        raise ValueError(f"{value!r} is not a US state code (two letters, e.g. TX)")
    return code


def normalise_zip(value: str) -> str:
    match = _ZIP.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a ZIP code (12345 or 12345-6789)")
    five, four = match.groups()
    return f"{five}-{four}" if four else five


@functools.lru_cache(maxsize=65536)
def normalise_street(line: str, unit: str | None = None) -> tuple[str, str | None]:
    """A street line (and unit) in USPS Publication 28 form: "4417 Quillfeather Lane apt 3" →
    ("4417 QUILLFEATHER LN", "APT 3"). A line the parser cannot read is kept, tidied (upper
    case, single spaces): a typed address is never refused for its style alone. Cached, since
    lead lists repeat street lines."""
    tidy = " ".join(line.replace(",", " ").split()).upper()
    tidy_unit = " ".join(unit.split()).upper() if unit and unit.strip() else None
    try:
        parsed = normalize_address_record(
            {
                "address_line_1": line,
                "address_line_2": unit or None,
                # Placeholders: the parser insists on them, and they do not change the street.
                "city": "AUSTIN",
                "state": "TX",
                "postal_code": "78701",
            }
        )
    except (AddressNormalizationError, AddressValidationError, RepeatedLabelError):
        return tidy, tidy_unit
    street = parsed.get("address_line_1") or tidy
    second = parsed.get("address_line_2") or tidy_unit
    return street, second


# What may close a one-line address: a comma before the place, or a ZIP at the end. A state code
# alone is no sign ("12 OAK CT" is a court), and lines without either ("4417 Quillfeather Ln")
# are never parsed: the parser costs ~0.1-0.2 ms a line, more than the rest of a row.
_PLACE_HINT = re.compile(r",|\d{5}(?:-?\d{4})?\s*$", re.ASCII)
_PLACE_LABELS = frozenset(("PlaceName", "StateName", "ZipCode", "CountryName"))
# "12 Oak St, 33610 Tampa": a ZIP written before its city, as lists from Europe do. The parser
# reads such a ZIP as a unit number or the city as a country, so the place is put in US order,
# a comma after each part ("…, Tampa, 33610"), before it is parsed.
_ZIP_FIRST = re.compile(r",\s*(\d{5}(?:-\d{4})?)\s+([^\d,]+?)\s*(?:,\s*([A-Za-z]{2}))?\s*$")


@dataclass(frozen=True)
class PlaceTail:
    """A one-line address cut in two: the street line and the place written after it."""

    street: str
    city: str | None
    state: str | None
    zip_code: str | None


def split_place(line: str) -> PlaceTail | None:
    """The street line and the place of a one-line address: "12 Oak St, Apt 4, Tampa, FL 33610" →
    "12 Oak St Apt 4", Tampa, FL, 33610, for lists that write a whole address in one cell. None
    when the line does not end in a place with a ZIP, or a city and a state (the parser labels
    the words; a directional such as "NE" after the street is not a state), and for a line
    without a comma when that place names no state."""
    if not _PLACE_HINT.search(line):
        return None
    zip_first = _ZIP_FIRST.search(line)
    if zip_first is not None:
        zip_code, city, state = zip_first.groups()
        line = f"{line[: zip_first.start()]}, {city}, {state + ', ' if state else ''}{zip_code}"
    try:
        tokens = usaddress.parse(line)
    except (RepeatedLabelError, ValueError):
        return None
    cut = len(tokens)
    while cut > 0 and tokens[cut - 1][1] in _PLACE_LABELS:
        cut -= 1
    place: dict[str, list[str]] = {}
    for word, label in tokens[cut:]:
        place.setdefault(label, []).append(word.strip(" ,;"))
    if not ("ZipCode" in place or ("PlaceName" in place and "StateName" in place)):
        return None
    if "," not in line and "StateName" not in place:
        # A number closing a line without a comma or a state is as likely the house or road
        # number of a rural route ("123 County Road 10000") as a ZIP.
        return None
    street = " ".join(word.strip(" ,;") for word, _ in tokens[:cut]).strip()
    if not street or any(label in _PLACE_LABELS for _, label in tokens[:cut]):
        return None

    def words(label: str) -> str | None:
        return " ".join(w for w in place.get(label, []) if w) or None

    return PlaceTail(street, words("PlaceName"), words("StateName"), words("ZipCode"))
