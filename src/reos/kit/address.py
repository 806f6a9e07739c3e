"""US state and ZIP code checks shared by every address field."""

from __future__ import annotations

import functools
import re

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
