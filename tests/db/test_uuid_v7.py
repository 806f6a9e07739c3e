"""The database's `uuid_v7()` (migration 0013) makes the same ids as `reos.kit.ids.new_id`."""

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
