"""Mapping targets of an import and the one table of header synonyms used to guess them.

A target is a field name of the property or contact API schemas, or one of the import's own
fields: the owner's names and mailing address, up to five phones (each with its line type and
DNC flag), up to three emails, and one yes/no column per motivated-seller signal.
"""

from __future__ import annotations

import re
from typing import Any

from reos.errors import Unprocessable
from reos.scoring.models import SIGNAL_KINDS

PHONES = 5
EMAILS = 3

PROPERTY_TARGETS = (
    "address",
    "unit",
    "city",
    "state",
    "zip_code",
    "county",
    "apn",
    "latitude",
    "longitude",
    "property_type",
    "bedrooms",
    "bathrooms",
    "square_feet",
    "lot_size_sqft",
    "year_built",
    "assessed_value",
    "estimated_value",
    "mortgage_balance",
    "last_sale_date",
    "last_sale_price",
    "tags",
)
# Equity is derived from value and balance in the database; a file's equity (amount or %)
# gives the mortgage balance when the file has none.
DERIVED_TARGETS = ("equity", "equity_percent")
OWNER_TARGETS = (
    "owner_name",
    "owner_first_name",
    "owner_last_name",
    "owner_entity_name",
    "owner_2_first_name",
    "owner_2_last_name",
    "mailing_street",
    "mailing_unit",
    "mailing_city",
    "mailing_state",
    "mailing_zip",
)
POINT_TARGETS = tuple(
    [t for i in range(1, PHONES + 1) for t in (f"phone_{i}", f"phone_{i}_type", f"phone_{i}_dnc")]
    + [f"email_{i}" for i in range(1, EMAILS + 1)]
)
SIGNAL_TARGETS: tuple[str, ...] = SIGNAL_KINDS
TARGETS: tuple[str, ...] = (
    *PROPERTY_TARGETS,
    *DERIVED_TARGETS,
    *OWNER_TARGETS,
    *POINT_TARGETS,
    *SIGNAL_TARGETS,
)


_WORDS = {
    "address": "Street address",
    "zip_code": "ZIP code",
    "apn": "APN (parcel number)",
    "lot_size_sqft": "Lot size (sq ft)",
    "square_feet": "Living area (sq ft)",
    "last_sale_date": "Last sale date",
    "last_sale_price": "Last sale price",
    "equity_percent": "Equity %",
    "owner_name": "Owner full name",
    "owner_entity_name": "Owner company / trust",
    "mailing_street": "Mailing street",
    "mailing_unit": "Mailing unit",
    "mailing_zip": "Mailing ZIP",
}


def target_label(target: str) -> str:
    """The words the import wizard shows for a target ("phone_2_dnc" → "Phone 2 DNC")."""
    if target in _WORDS:
        return _WORDS[target]
    if target in SIGNAL_TARGETS:
        from reos.scoring.rules import KIND_LABELS

        return f"Signal: {KIND_LABELS[target]}"
    words = target.replace("_", " ").replace(" dnc", " DNC").replace("owner 2", "2nd owner")
    return words[:1].upper() + words[1:]


TARGET_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Property", PROPERTY_TARGETS + DERIVED_TARGETS),
    ("Owner", OWNER_TARGETS),
    ("Phones and emails", POINT_TARGETS),
    ("Signals (yes / no or a date)", SIGNAL_TARGETS),
)


def header_key(header: str) -> str:
    """A header reduced to lower-case letters and digits: "Property Zip" → "propertyzip"."""
    return re.sub(r"[^a-z0-9%#]", "", header.lower()).replace("%", "percent").replace("#", "number")


def _phone_synonyms(i: int) -> dict[str, list[str]]:
    base = [f"Phone {i}", f"Phone{i}", f"Phone Number {i}", f"Owner Phone {i}", f"Contact Phone {i}"]
    base += [f"Owner 1 Phone {i}", f"Mobile {i}", f"Cell {i}"]
    if i == 1:
        base += ["Phone", "Phone Number", "Owner Phone", "Mobile", "Cell", "Cell Phone", "Telephone"]
    kind = [f"Phone {i} Type", f"Phone Type {i}", f"Phone {i} Line Type", f"Phone{i} Type"]
    dnc = [f"Phone {i} DNC", f"Phone {i} Do Not Call", f"DNC {i}", f"Phone{i} DNC", f"Phone {i} DNC Status"]
    if i == 1:
        kind += ["Phone Type", "Line Type"]
        dnc += ["DNC", "Do Not Call"]
    return {f"phone_{i}": base, f"phone_{i}_type": kind, f"phone_{i}_dnc": dnc}


# The one table: target → headers seen in exports of list tools and skip tracers
# (PropStream, BatchLeads, DealMachine, ListSource, REISift and the county-roll style).
SYNONYMS: dict[str, list[str]] = {
    "address": [
        "Property Address",
        "Address",
        "Site Address",
        "Situs Address",
        "Property Street",
        "Street Address",
        "Property Street Address",
        "Street",
        "Address 1",
        "Address Line 1",
        "Property Address Line 1",
        "Full Address",
        "Property Full Address",
        "Full Property Address",
    ],
    "unit": ["Unit", "Property Unit", "Unit Number", "Apt", "Suite", "Address Line 2", "Address 2"],
    "city": ["Property City", "City", "Site City", "Situs City", "Property Address City"],
    "state": ["Property State", "State", "Site State", "Situs State", "ST", "Property Address State"],
    "zip_code": [
        "Property Zip",
        "Zip",
        "Zip Code",
        "Zipcode",
        "Postal Code",
        "Site Zip",
        "Situs Zip",
        "Property Zip Code",
        "Property Postal Code",
        "ZIP5",
        "Property Address Zip",
        "Property Address Zipcode",
    ],
    "county": ["County", "Property County", "County Name", "Property Address County"],
    "apn": ["APN", "Parcel Number", "Parcel", "Parcel ID", "Assessor Parcel Number", "Parcel No", "PIN"],
    "latitude": ["Latitude", "Lat"],
    "longitude": ["Longitude", "Lng", "Lon", "Long"],
    "property_type": ["Property Type", "Type", "Land Use", "Property Use", "Use Code Description"],
    "bedrooms": ["Bedrooms", "Beds", "Bedroom Count", "BR", "Total Bedrooms"],
    "bathrooms": ["Bathrooms", "Baths", "Bathroom Count", "BA", "Total Bathrooms"],
    "square_feet": [
        "Sq Ft",
        "SqFt",
        "Square Feet",
        "Living Area",
        "Building Sqft",
        "Living Sq Ft",
        "Building Size",
        "Living Square Feet",
        "Building Square Feet",
        "Building Sq Ft",
    ],
    "lot_size_sqft": ["Lot Size", "Lot Size Sqft", "Lot Sq Ft", "Lot Square Feet", "Lot Area"],
    "year_built": ["Year Built", "Yr Built", "Built Year", "Effective Year Built"],
    "assessed_value": ["Assessed Value", "Total Assessed Value", "Tax Assessed Value", "Assessed Total"],
    "estimated_value": [
        "Estimated Value",
        "Est. Value",
        "Est Value",
        "AVM",
        "Market Value",
        "Estimated Market Value",
        "Value",
    ],
    "mortgage_balance": [
        "Mortgage Balance",
        "Est. Mortgage Balance",
        "Estimated Mortgage Balance",
        "Loan Balance",
        "Open Mortgage Balance",
        "Total Loan Balance",
        "Est. Loan Balance",
        "Est. Remaining Balance of Open Loans",
        "Est. Remaining Balance",
        "Open Loans Balance",
    ],
    "last_sale_date": [
        "Last Sale Date",
        "Sale Date",
        "Last Sold Date",
        "Recording Date",
        "Last Transfer Date",
        "Last Sale Recording Date",
        "Last Sale Recorded Date",
        "Sale Recording Date",
    ],
    "last_sale_price": ["Last Sale Price", "Sale Price", "Last Sold Price", "Last Sale Amount"],
    "tags": ["Tags", "Tag", "Lists", "List Name"],
    "equity": ["Est. Equity", "Estimated Equity", "Equity", "Equity Amount", "Est Equity"],
    "equity_percent": [
        "Equity %",
        "Equity Percent",
        "Est. Equity %",
        "Estimated Equity Percent",
        "LTV Equity",
    ],
    "owner_name": ["Owner Name", "Owner", "Owner 1 Name", "Owner 1 Full Name", "Owner Full Name", "Owners"],
    "owner_first_name": [
        "Owner 1 First Name",
        "Owner First Name",
        "First Name",
        "Owner1 First Name",
        "First",
    ],
    "owner_last_name": ["Owner 1 Last Name", "Owner Last Name", "Last Name", "Owner1 Last Name", "Last"],
    "owner_entity_name": ["Owner Company", "Company", "Company Name", "Entity Name", "Owner Entity"],
    "owner_2_first_name": ["Owner 2 First Name", "Owner2 First Name", "Co-Owner First Name"],
    "owner_2_last_name": ["Owner 2 Last Name", "Owner2 Last Name", "Co-Owner Last Name"],
    "mailing_street": [
        "Mailing Address",
        "Mail Address",
        "Mailing Street",
        "Owner Mailing Address",
        "Mailing Street Address",
        "Mail Street",
        "Mailing Address Line 1",
        "Owner Address",
        "Owner Address Line 1",
        "Mailing Full Address",
        "Full Mailing Address",
    ],
    "mailing_unit": [
        "Mailing Unit",
        "Mailing Unit #",
        "Mailing Unit Number",
        "Mail Unit",
        "Owner Mailing Unit",
        "Mailing Address 2",
        "Mailing Address Line 2",
        "Owner Address Line 2",
    ],
    "mailing_city": ["Mailing City", "Mail City", "Owner Mailing City", "Owner Address City", "Owner City"],
    "mailing_state": [
        "Mailing State",
        "Mail State",
        "Owner Mailing State",
        "Owner Address State",
        "Owner State",
    ],
    "mailing_zip": [
        "Mailing Zip",
        "Mail Zip",
        "Mailing Zip Code",
        "Owner Mailing Zip",
        "Mailing Postal Code",
        "Owner Address Zip",
        "Owner Address Zipcode",
        "Owner Zip",
    ],
    "email_1": ["Email 1", "Email", "Email Address", "Owner Email", "Email1", "Email Address 1"],
    "email_2": ["Email 2", "Email2", "Email Address 2"],
    "email_3": ["Email 3", "Email3", "Email Address 3"],
    "absentee_owner": ["Absentee", "Absentee Owner", "Non Owner Occupied", "Absentee Owned"],
    "out_of_state_owner": [
        "Out of State",
        "Out of State Owner",
        "Out-of-State Owner",
        "Out Of State Absentee",
    ],
    "tax_delinquent": ["Tax Delinquent", "Tax Default", "Delinquent Taxes", "Tax Lien", "Tax Delinquency"],
    "pre_foreclosure": [
        "Pre-Foreclosure",
        "Preforeclosure",
        "Pre Foreclosure",
        "Lis Pendens",
        "Foreclosure",
        "Notice of Default",
        "NOD",
        "In Foreclosure",
    ],
    "probate": ["Probate", "Deceased Owner", "Inherited", "Estate"],
    "vacant": [
        "Vacant",
        "Vacancy",
        "Vacant Property",
        "Is Vacant",
        "USPS Vacant",
        "Vacant Home",
        "Vacant Flag",
    ],
    "high_equity": ["High Equity"],
    "free_and_clear": ["Free and Clear", "Free & Clear", "Free And Clear Owner"],
    "long_tenure": ["Long Tenure", "Long Time Owner", "Long-Term Owner"],
    "code_violation": ["Code Violation", "Code Violations", "Code Enforcement"],
    "eviction": ["Eviction", "Evictions"],
    "divorce": ["Divorce"],
    "tired_landlord": ["Tired Landlord"],
}
for _i in range(1, PHONES + 1):
    SYNONYMS.update(_phone_synonyms(_i))

# header key → target; a header claimed twice keeps its first target.
_BY_KEY: dict[str, str] = {}
for _target, _headers in SYNONYMS.items():
    for _header in _headers:
        _BY_KEY.setdefault(header_key(_header), _target)
_BY_KEY.update({header_key(t): t for t in TARGETS})


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{target: column} for the headers this table recognises; the first column wins a target."""
    mapping: dict[str, str] = {}
    for header in headers:
        target = _BY_KEY.get(header_key(header))
        if target is not None and target not in mapping:
            mapping[target] = header
    # "Owner Name" is a fallback: split names win when both exist.
    if "owner_name" in mapping and ("owner_first_name" in mapping or "owner_last_name" in mapping):
        del mapping["owner_name"]
    return mapping


def check_mapping(mapping: Any, headers: list[str]) -> dict[str, str]:
    """The mapping as given, or 422 naming the unknown target or the missing column."""
    if not isinstance(mapping, dict):
        raise Unprocessable(
            "mapping must be a JSON object {target_field: source_column}", details={"field": "mapping"}
        )
    known = set(TARGETS)
    present = set(headers)
    checked: dict[str, str] = {}
    for target, column in mapping.items():
        if target not in known:
            raise Unprocessable(
                f"mapping: unknown target field {target!r}",
                details={"field": "mapping", "target": target, "targets": list(TARGETS)},
            )
        if column is None or column == "":
            continue
        if not isinstance(column, str):
            raise Unprocessable(
                f"mapping.{target}: the column must be a header name", details={"field": f"mapping.{target}"}
            )
        if column not in present:
            raise Unprocessable(
                f"mapping.{target}: the file has no column {column!r}",
                details={"field": f"mapping.{target}", "column": column, "columns": headers},
            )
        checked[target] = column
    if "address" not in checked:
        raise Unprocessable(
            "mapping: no column is mapped to address (the street line)",
            details={"field": "mapping.address", "columns": headers},
        )
    return checked
