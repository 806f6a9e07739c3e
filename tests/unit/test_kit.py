"""kit helpers: keyset cursors and limits, US state and ZIP normalisers."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from reos.errors import BadRequest
from reos.kit.address import PlaceTail, normalise_state, normalise_zip, split_place
from reos.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, clamp_limit, decode_cursor, encode_cursor, page

# --- pagination ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 29, 16, 8, 22, 123456, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_a_cursor_round_trips_its_key(moment: datetime) -> None:
    row_id = uuid.uuid4()
    cursor = encode_cursor(moment, row_id)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    created_at, decoded_id = decode_cursor(cursor)
    assert created_at == moment and created_at.utcoffset() == moment.utcoffset()
    assert decoded_id == row_id


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor!",
        "%%%%",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _b64({"created_at": "2026-01-01"}),
        _b64(["2026-01-01T00:00:00+00:00"]),
        _b64(["yesterday", str(uuid.uuid4())]),
        _b64(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
        _b64([1, 2]),
        _b64(None),
    ],
)
def test_a_bad_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest, match="cursor is not valid"):
        decode_cursor(cursor)


def test_limits_default_and_clamp() -> None:
    assert clamp_limit(None) == DEFAULT_LIMIT == 50
    assert clamp_limit(1) == 1
    assert clamp_limit(MAX_LIMIT) == MAX_LIMIT == 200
    for bad in (0, -1, MAX_LIMIT + 1):
        with pytest.raises(BadRequest) as caught:
            clamp_limit(bad)
        assert caught.value.details == {"limit": bad}


def test_page_trims_the_extra_row_and_points_after_the_last_kept() -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [(base - timedelta(minutes=n), uuid.uuid4()) for n in range(4)]

    kept, cursor = page(rows, 3, key=lambda r: r)
    assert kept == rows[:3]
    assert cursor is not None and decode_cursor(cursor) == rows[2]

    kept, cursor = page(rows[:3], 3, key=lambda r: r)
    assert kept == rows[:3] and cursor is None
    assert page([], 3, key=lambda r: r) == ([], None)


# --- addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "code"), [("FL", "FL"), (" tx ", "TX"), ("dc", "DC"), ("Pr", "PR")])
def test_state_codes_are_normalised(raw: str, code: str) -> None:
    assert normalise_state(raw) == code


@pytest.mark.parametrize("raw", ["", "XX", "Florida", "F L", "FLA", "ZZ"])
def test_unknown_states_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a US state code"):
        normalise_state(raw)


@pytest.mark.parametrize(
    ("raw", "zip_code"),
    [("33610", "33610"), (" 33610 ", "33610"), ("33610-1234", "33610-1234"), ("336101234", "33610-1234")],
)
def test_zip_codes_are_normalised(raw: str, zip_code: str) -> None:
    assert normalise_zip(raw) == zip_code


@pytest.mark.parametrize(
    ("line", "tail"),
    [
        ("12 Oak St, Tampa, FL 33610", PlaceTail("12 Oak St", "Tampa", "FL", "33610")),
        ("12 Oak St, Apt 4, Tampa, FL 33610-1234", PlaceTail("12 Oak St Apt 4", "Tampa", "FL", "33610-1234")),
        (
            "400 W Main Street Apt 5, Springfield IL 62701",
            PlaceTail("400 W Main Street Apt 5", "Springfield", "IL", "62701"),
        ),
        (
            "9 N Saint Louis Ave, St. Louis, MO 63101",
            PlaceTail("9 N Saint Louis Ave", "St. Louis", "MO", "63101"),
        ),
        (
            "4417 Quillfeather Lane, Tampa, FL, 33610",
            PlaceTail("4417 Quillfeather Lane", "Tampa", "FL", "33610"),
        ),
        ("5 Lime Ct, Orlando, Florida", PlaceTail("5 Lime Ct", "Orlando", "Florida", None)),
        ("12 Oak St, 33610", PlaceTail("12 Oak St", None, None, "33610")),
        ("12 Oak St, 33610 Tampa", PlaceTail("12 Oak St", "Tampa", None, "33610")),
        ("12 Oak St, 33610 Tampa, FL", PlaceTail("12 Oak St", "Tampa", "FL", "33610")),
        ("12 Oak St, 33610 Tampa FL", PlaceTail("12 Oak St", "Tampa", "FL", "33610")),
        (
            "12 Oak St, Apt 4, 33701-1234 Saint Petersburg",
            PlaceTail("12 Oak St Apt 4", "Saint Petersburg", None, "33701-1234"),
        ),
        ("77 Harbor View Dr Atlanta GA 30301", PlaceTail("77 Harbor View Dr", "Atlanta", "GA", "30301")),
    ],
)
def test_a_one_line_address_is_cut_into_street_and_place(line: str, tail: PlaceTail) -> None:
    assert split_place(line) == tail


@pytest.mark.parametrize(
    "line",
    [
        "4417 Quillfeather Lane",  # no place written
        "500 OAK AVE APT 4B",
        "100 MAIN ST NE",  # a directional, not Nebraska
        "1200 Oak Ave, NE",
        "12 OAK CT",  # a court, not Connecticut
        "12 Oak St, Apt 4",  # a comma inside the street line
        "Tampa, FL 33610",  # a place and no street
        "123 County Road 10000",  # a road's number, not a ZIP: no comma, no state
        "12 Oak St 33610",
        "",
    ],
)
def test_a_street_line_without_a_place_is_left_whole(line: str) -> None:
    assert split_place(line) is None


@pytest.mark.parametrize(
    "raw",
    ["", "3361", "336100", "33610-123", "33610 1234", "ABCDE", "33610-", "３３６１０", "٣٣٦١٠"],
)
def test_bad_zip_codes_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a ZIP code"):
        normalise_zip(raw)
