"""The database's `uuid_v7()` (migrations 0013, 0023) makes the same ids as `reos.kit.ids.new_id`."""

from __future__ import annotations

import time
import uuid

import psycopg


def test_sql_ids_are_version_7_carry_the_millisecond_and_grow(app_conn: psycopg.Connection) -> None:
    before = time.time_ns() // 1_000_000
    rows = app_conn.execute("select uuid_v7() from generate_series(1, 2000)").fetchall()
    time.sleep(0.003)
    (later,) = app_conn.execute("select uuid_v7()").fetchone() or (None,)
    after = time.time_ns() // 1_000_000
    ids: list[uuid.UUID] = [row[0] for row in rows]
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7} and {i.variant for i in ids} == {uuid.RFC_4122}
    assert all(before - 5 <= i.int >> 80 <= after + 5 for i in ids)  # the two clocks may differ
    assert isinstance(later, uuid.UUID) and later > max(ids)


def test_every_random_bit_of_a_sql_id_varies(app_conn: psycopg.Connection) -> None:
    """The 12 bits after the version and the 62 after the variant are drawn anew for each id
    (0023 builds them from `random()`, whose doubles carry only 53 bits: one draw would leave the
    lowest bits always zero)."""
    ids = [row[0].int for row in app_conn.execute("select uuid_v7() from generate_series(1, 2000)")]
    random_bits = [*range(0, 62), *range(64, 76)]
    stuck = [bit for bit in random_bits if len({(i >> bit) & 1 for i in ids}) == 1]
    assert not stuck, f"bits that never change: {stuck}"
    assert {(i >> 62) & 3 for i in ids} == {2} and {(i >> 76) & 15 for i in ids} == {7}
