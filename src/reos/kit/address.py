"""US state and ZIP code checks shared by every address field."""

from __future__ import annotations

import re

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
