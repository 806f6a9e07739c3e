"""The filter language without a database: parsing, the errors it names, the SQL it compiles
to, keyset cursors, and the CSV cell guard of exports."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Numeric, String, Table, Uuid, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY

from reos.compliance.area_codes import AREA_CODE_STATES
from reos.errors import BadRequest, Unprocessable
from reos.kit import filters
from reos.kit.filters import FilterField, SortKey
from reos.kit.text import local_numbers, phone_prefix, words_query
from reos.properties.listing import safe_cell

T = Table(
    "things",
    MetaData(),
    Column("id", Uuid),
    Column("name", String),
    Column("size", Integer),
    Column("price", Numeric),
    Column("born", Date),
    Column("seen", DateTime(timezone=True)),
    Column("kind", String),
    Column("labels", ARRAY(String)),
)
FIELDS = {
    "name": FilterField(type="text", expr=T.c.name, nullable=False),
    "size": FilterField(type="integer", expr=T.c.size),
    "price": FilterField(type="number", expr=T.c.price),
    "born": FilterField(type="date", expr=T.c.born),
    "seen": FilterField(type="datetime", expr=T.c.seen, nullable=False),
    "kind": FilterField(type="enum", expr=T.c.kind, choices=("a", "b")),
    "labels": FilterField(type="tags", expr=T.c.labels, sortable=False),
}


def sql(doc: dict[str, Any]) -> str:
    clause = filters.compile_filter(filters.parse_document(doc), FIELDS)
    assert clause is not None
    compiled = (
        select(T.c.id)
        .where(clause)
        .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    return str(compiled).split("WHERE", 1)[1].strip()


def error_of(doc: Any) -> tuple[str, str]:
    with pytest.raises(Unprocessable) as caught:
        filters.compile_filter(filters.parse_document(doc), FIELDS)
    return caught.value.details["field"], caught.value.message


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def test_conditions_compile_to_bound_typed_comparisons() -> None:
    assert sql({"all": [cond("size", "gte", "3")]}) == "things.size >= 3"
    assert sql({"all": [cond("name", "eq", "Ann")]}) == "lower(things.name) = 'ann'"
    assert sql({"all": [cond("price", "between", [1, "2.5"])]}) == "things.price BETWEEN 1 AND 2.5"
    assert sql({"all": [cond("size", "ne", 2)]}) == "things.size IS DISTINCT FROM 2"
    assert (
        sql({"all": [cond("kind", "not_in", ["a"])]}) == "things.kind IS NULL OR (things.kind NOT IN ('a'))"
    )
    assert sql({"all": [cond("size", "is_null")]}) == "things.size IS NULL"
    assert sql({"all": [cond("labels", "is_null")]}) == "cardinality(things.labels) = 0"
    assert sql({"all": [cond("labels", "has_all", ["X Y"])]}) == "things.labels @> ARRAY['x y']"
    assert sql({"all": [cond("labels", "has_any", ["a", "b"])]}) == "things.labels && ARRAY['a', 'b']"
    # LIKE wildcards a user types are literal.
    assert sql({"all": [cond("name", "contains", "50%_")]}) == "things.name ILIKE '%%50\\%%\\_%%'"
    assert sql({"all": [cond("name", "starts_with", "ab")]}) == "things.name ILIKE 'ab%%'"
    nested = sql({"any": [cond("size", "lt", 1), {"all": [cond("size", "gt", 5), cond("kind", "eq", "b")]}]})
    assert nested == "things.size < 1 OR things.size > 5 AND things.kind = 'b'"


def test_empty_groups() -> None:
    assert filters.compile_filter(filters.parse_document({}), FIELDS) is None
    assert filters.compile_filter(filters.parse_document(""), FIELDS) is None
    assert sql({"any": []}) == "false"
    # An empty group inside says nothing (SQLAlchemy folds the `true` away).
    assert sql({"all": [cond("size", "eq", 1), {"all": []}]}) == "things.size = 1"


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"all": [cond("color", "eq", "red")]}, "filter.all[0].field", "unknown field 'color'"),
        ({"all": [cond("name", "lt", "x")]}, "filter.all[0].op", "does not take the operator 'lt'"),
        ({"all": [cond("name", "is_null")]}, "filter.all[0].op", "does not take"),
        ({"all": [cond("size", "eq", True)]}, "filter.all[0].value", "whole number"),
        ({"all": [cond("size", "eq", 1.5)]}, "filter.all[0].value", "whole number"),
        ({"all": [cond("size", "eq", None)]}, "filter.all[0].value", "a value is required"),
        ({"all": [cond("price", "gt", "NaN")]}, "filter.all[0].value", "finite"),
        ({"all": [cond("born", "gt", "yesterday")]}, "filter.all[0].value", "YYYY-MM-DD"),
        ({"all": [cond("seen", "gt", "soon")]}, "filter.all[0].value", "ISO 8601"),
        ({"all": [cond("kind", "eq", "c")]}, "filter.all[0].value", "one of a, b"),
        ({"all": [cond("size", "in", [])]}, "filter.all[0].value", "non-empty list"),
        ({"all": [cond("size", "between", [1])]}, "filter.all[0].value", "list of 2"),
        ({"all": [cond("name", "eq", "x" * 201)]}, "filter.all[0].value", "at most 200"),
        (
            {"any": [{"all": [{"any": [cond("size", "in", [1, "x"])]}]}]},
            "filter.any[0].all[0].any[0].value[1]",
            "",
        ),
        ({"all": [{"field": "size"}]}, "filter.all[0].op", "Field required"),
        ({"every": []}, "filter.every", "Extra inputs"),
        ("[1, 2]", "filter", "valid dictionary"),
        ("{", "filter", "not valid JSON"),
    ],
)
def test_errors_name_the_part_that_is_wrong(doc: Any, field: str, words: str) -> None:
    where, message = error_of(doc)
    assert where == field
    assert words in message


def test_depth_and_size_are_bounded() -> None:
    deep: dict[str, Any] = {"all": [cond("size", "eq", 1)]}
    for _ in range(filters.MAX_DEPTH + 1):
        deep = {"all": [deep]}
    assert "nest at most" in error_of(deep)[1]
    many = {"all": [{"all": [cond("size", "eq", n) for n in range(60)]} for _ in range(2)]}
    assert error_of(many) == ("filter", f"filter: a filter has at most {filters.MAX_CONDITIONS} conditions")


def test_sort_text_and_sort_errors() -> None:
    assert filters.parse_sort(None) is None and filters.parse_sort(" , ") is None
    assert filters.parse_sort("-size, name,+price") == [
        SortKey(field="size", dir="desc"),
        SortKey(field="name", dir="asc"),
        SortKey(field="price", dir="asc"),
    ]
    with pytest.raises(Unprocessable):
        filters.parse_sort("a,b,c,d,e,f")
    with pytest.raises(Unprocessable) as caught:
        filters.compile_sort([SortKey(field="labels")], FIELDS)
    assert caught.value.details["field"] == "sort[0].field"
    assert "labels" not in caught.value.details["allowed"]
    terms = filters.compile_sort([SortKey(field="size"), SortKey(field="size", dir="desc")], FIELDS)
    assert [t.name for t in terms] == ["size"]


def test_keyset_condition_puts_nulls_last_in_both_directions() -> None:
    last = uuid.UUID("00000000-0000-4000-8000-000000000001")

    def after(keys: list[SortKey], values: list[Any]) -> str:
        terms = filters.compile_sort(keys, FIELDS)
        clause = filters.after(terms, values, T.c.id, last, id_desc=terms[-1].desc)
        return str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))

    assert after([SortKey(field="size", dir="desc")], [3]) == (
        "things.size < 3 OR things.size IS NULL OR things.size = 3 AND things.id < "
        "'00000000-0000-4000-8000-000000000001'"
    )
    # After a null only other nulls remain, ordered by id.
    assert after([SortKey(field="size")], [None]) == (
        "things.size IS NULL AND things.id > '00000000-0000-4000-8000-000000000001'"
    )
    # A column without nulls needs no null branch.
    assert "IS NULL" not in after([SortKey(field="name")], ["b"])


def test_cursors_round_trip_and_belong_to_their_sort() -> None:
    keys = [
        SortKey(field="price", dir="desc"),
        SortKey(field="born"),
        SortKey(field="seen"),
        SortKey(field="size"),
    ]
    terms = filters.compile_sort(keys, FIELDS)
    row_id = uuid.uuid4()
    values = [Decimal("12.50"), date(2020, 2, 29), datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC), None]
    cursor = filters.encode_cursor(terms, values, row_id)
    assert filters.decode_cursor(cursor, terms) == (values, row_id)
    flipped = filters.compile_sort([SortKey(field="price"), *keys[1:]], FIELDS)
    for bad_terms, bad_cursor in ((flipped, cursor), (terms, "nope"), (terms, "e30"), (terms, cursor[:-3])):
        with pytest.raises(BadRequest):
            filters.decode_cursor(bad_cursor, bad_terms)


def test_search_text_is_built_from_words_only() -> None:
    assert words_query("4417 Quill") == "4417 & quill:*"  # typed words whole, the last a prefix
    assert words_query("x' | !y:* & (z)") == "x & y & z:*"
    assert words_query("192-834-0021") == "(192 & 834 & 0021:*) | 1928340021:*"
    assert words_query("%_ -") is None
    assert phone_prefix("(813) 555-01") == "+181355501"
    assert phone_prefix("1 813 555 0142") == "+18135550142"
    assert phone_prefix("+44 20") == "+4420"
    assert phone_prefix("12") is None and phone_prefix("main st") is None


def test_a_seven_digit_local_number_is_tried_in_every_area_code_in_service() -> None:
    numbers = local_numbers("555-7711")
    assert "+18135557711" in numbers and "+12125557711" in numbers
    assert len(numbers) == len(AREA_CODE_STATES) == len(set(numbers))
    assert all(n.startswith("+1") and n.endswith("5557711") and len(n) == 12 for n in numbers)
    assert local_numbers("(555) 7711") == numbers
    # Not a local number: an exchange starting with 0 or 1, other lengths, "+", words.
    for text in ("155-7711", "055-7711", "555-771", "813-555-7711", "+555 7711", "5557711 main"):
        assert local_numbers(text) == [], text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("+18135550142", "+18135550142"),  # a stored phone stays dialable
        ("+1813555014=", "'+1813555014="),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Main St", "Main St"),
        (Decimal("-5.00"), "-5.00"),
        (None, ""),
        (["a", "=b"], "a; =b"),
        (True, "true"),
        (date(2024, 5, 1), "2024-05-01"),
    ],
)
def test_csv_cells_never_run_as_formulas(value: Any, cell: str) -> None:
    assert safe_cell(value) == cell
