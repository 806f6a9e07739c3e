"""Import column mapping without a database: guesses from the headers list tools really export,
the synonym table, and the 422s a bad mapping gets."""

from __future__ import annotations

import pytest

from reos.errors import Unprocessable
from reos.imports import mapping
from reos.imports.mapping import check_mapping, guess_mapping, header_key

# A PropStream-style export with skip-trace columns (the headers of the issue).
PROPSTREAM = [
    "Property Address", "Property City", "Property State", "Property Zip", "County", "APN",
    "Owner 1 First Name", "Owner 1 Last Name", "Owner 2 First Name", "Owner 2 Last Name",
    "Mailing Address", "Mailing City", "Mailing State", "Mailing Zip", "Property Type", "Bedrooms",
    "Bathrooms", "Sq Ft", "Lot Size", "Year Built", "Estimated Value", "Assessed Value", "Est. Equity",
    "Equity %", "Last Sale Date", "Last Sale Price", "Tax Delinquent", "Vacant", "Pre-Foreclosure",
    "Probate", "Phone 1", "Phone 1 Type", "Phone 1 DNC", "Phone 2", "Phone 2 Type", "Phone 2 DNC",
    "Phone 3", "Phone 3 Type", "Phone 3 DNC", "Phone 4", "Phone 5", "Email 1", "Email 2",
]  # fmt: skip


def test_propstream_headers_map_every_column() -> None:
    guessed = guess_mapping(PROPSTREAM)
    assert set(guessed.values()) == set(PROPSTREAM)
    assert guessed["address"] == "Property Address"
    assert guessed["zip_code"] == "Property Zip"
    assert guessed["apn"] == "APN"
    assert guessed["owner_first_name"] == "Owner 1 First Name"
    assert guessed["owner_2_last_name"] == "Owner 2 Last Name"
    assert guessed["mailing_zip"] == "Mailing Zip"
    assert guessed["square_feet"] == "Sq Ft"
    assert guessed["equity"] == "Est. Equity"
    assert guessed["equity_percent"] == "Equity %"
    assert guessed["tax_delinquent"] == "Tax Delinquent"
    assert guessed["pre_foreclosure"] == "Pre-Foreclosure"
    for i in (1, 2, 3):
        assert guessed[f"phone_{i}"] == f"Phone {i}"
        assert guessed[f"phone_{i}_type"] == f"Phone {i} Type"
        assert guessed[f"phone_{i}_dnc"] == f"Phone {i} DNC"
    assert guessed["phone_5"] == "Phone 5"
    assert guessed["email_2"] == "Email 2"
    # The guess is a valid mapping as it stands.
    assert check_mapping(guessed, PROPSTREAM) == guessed


def test_batchleads_and_county_roll_synonyms() -> None:
    headers = [
        "Situs Address", "Situs City", "ST", "Zipcode", "Parcel Number", "Owner Name", "Mail Address",
        "Mail City", "Mail State", "Mail Zip", "Beds", "Baths", "Living Area", "Yr Built", "AVM",
        "Loan Balance", "Sale Date", "Absentee Owner", "Out-of-State Owner", "Lis Pendens", "USPS Vacant",
        "Free & Clear", "Phone", "Line Type", "Do Not Call", "Email Address",
    ]  # fmt: skip
    guessed = guess_mapping(headers)
    assert guessed == {
        "address": "Situs Address",
        "city": "Situs City",
        "state": "ST",
        "zip_code": "Zipcode",
        "apn": "Parcel Number",
        "owner_name": "Owner Name",
        "mailing_street": "Mail Address",
        "mailing_city": "Mail City",
        "mailing_state": "Mail State",
        "mailing_zip": "Mail Zip",
        "bedrooms": "Beds",
        "bathrooms": "Baths",
        "square_feet": "Living Area",
        "year_built": "Yr Built",
        "estimated_value": "AVM",
        "mortgage_balance": "Loan Balance",
        "last_sale_date": "Sale Date",
        "absentee_owner": "Absentee Owner",
        "out_of_state_owner": "Out-of-State Owner",
        "pre_foreclosure": "Lis Pendens",
        "vacant": "USPS Vacant",
        "free_and_clear": "Free & Clear",
        "phone_1": "Phone",
        "phone_1_type": "Line Type",
        "phone_1_dnc": "Do Not Call",
        "email_1": "Email Address",
    }


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("property address", "address"),
        ("PROPERTY_ADDRESS", "address"),
        ("  Property-Zip ", "zip_code"),
        ("Equity Percent", "equity_percent"),
        ("Phone #", "phone_1"),  # "#" reads as "number": Phone Number
        ("zip_code", "zip_code"),  # a target's own name is always understood
        ("owner_entity_name", "owner_entity_name"),
        ("Favourite Colour", None),
    ],
)
def test_header_keys_ignore_case_spacing_and_punctuation(header: str, target: str | None) -> None:
    guessed = guess_mapping([header])
    assert guessed.get(target or "") == (header if target else None)
    if target is None:
        assert guessed == {}


def test_first_column_wins_and_split_names_beat_the_full_name() -> None:
    guessed = guess_mapping(["Address", "Street", "Owner Name", "First Name", "Last Name"])
    assert guessed["address"] == "Address"
    assert "owner_name" not in guessed
    assert guessed["owner_first_name"] == "First Name"
    assert guess_mapping(["Address", "Owner Name"])["owner_name"] == "Owner Name"


def test_header_key() -> None:
    assert header_key("Est. Equity %") == "estequitypercent"
    assert header_key("Parcel #") == "parcelnumber"


def test_every_synonym_names_a_known_target() -> None:
    assert set(mapping.SYNONYMS) <= set(mapping.TARGETS)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"address": "Property Address", "bogus": "APN"}, "mapping"),
        ({"address": "No Such Column"}, "mapping.address"),
        ({"zip_code": "Property Zip"}, "mapping.address"),
        ({"address": 7}, "mapping.address"),
    ],
)
def test_a_bad_mapping_is_a_422_naming_the_field(given: dict[str, object], field: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        check_mapping(given, PROPSTREAM)
    assert raised.value.details["field"] == field


def test_a_mapping_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(Unprocessable):
        check_mapping(["address"], PROPSTREAM)


def test_empty_columns_are_dropped_from_a_mapping() -> None:
    assert check_mapping({"address": "Property Address", "apn": ""}, PROPSTREAM) == {
        "address": "Property Address"
    }


def test_snake_case_exports_and_the_owner_address_columns() -> None:
    """A DealMachine-style export: snake_case headers, the owner's address as "owner address"."""
    headers = [
        "property_address_full", "property_address_line_1", "property_address_city",
        "property_address_state", "property_address_zipcode", "property_address_county", "owner_1_name",
        "owner_1_firstname", "owner_1_lastname", "owner_address_line_1", "owner_address_city",
        "owner_address_state", "owner_address_zip", "vacant_home", "building_square_feet", "parcel_id",
    ]  # fmt: skip
    guessed = guess_mapping(headers)
    assert guessed == {
        "address": "property_address_line_1",
        "city": "property_address_city",
        "state": "property_address_state",
        "zip_code": "property_address_zipcode",
        "county": "property_address_county",
        "owner_first_name": "owner_1_firstname",
        "owner_last_name": "owner_1_lastname",
        "mailing_street": "owner_address_line_1",
        "mailing_city": "owner_address_city",
        "mailing_state": "owner_address_state",
        "mailing_zip": "owner_address_zip",
        "vacant": "vacant_home",
        "square_feet": "building_square_feet",
        "apn": "parcel_id",
    }


def test_a_full_propstream_export_maps_its_mailing_unit_recording_date_and_loans() -> None:
    headers = [
        "Address", "Unit #", "Mailing Address", "Mailing Unit #", "Last Sale Recording Date",
        "Est. Remaining balance of Open Loans", "In Foreclosure",
    ]  # fmt: skip
    guessed = guess_mapping(headers)
    assert guessed == {
        "address": "Address",
        "unit": "Unit #",
        "mailing_street": "Mailing Address",
        "mailing_unit": "Mailing Unit #",
        "last_sale_date": "Last Sale Recording Date",
        "mortgage_balance": "Est. Remaining balance of Open Loans",
        "pre_foreclosure": "In Foreclosure",
    }
