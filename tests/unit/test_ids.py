"""Time-ordered row ids (`reos.kit.ids.new_id`, `new_id_texts`)."""

from __future__ import annotations

import time
import uuid

from reos.kit.ids import new_id, new_id_texts


def test_ids_are_version_7_with_the_rfc_variant() -> None:
    for _ in range(1000):
        value = new_id()
        assert value.version == 7
        assert value.variant == uuid.RFC_4122


def test_ids_carry_the_creation_millisecond_and_grow_with_time() -> None:
    before = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.003)
    second = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= first.int >> 80 <= second.int >> 80 <= after
    assert first < second


def test_ids_made_in_the_same_millisecond_differ() -> None:
    ids = [new_id() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    # 74 random bits: the low 62 bits alone are spread over their whole range.
    assert max(i.int & ((1 << 62) - 1) for i in ids) > 1 << 60


def test_ids_made_in_a_batch_have_the_same_layout_as_text() -> None:
    before = time.time_ns() // 1_000_000
    texts = new_id_texts(20_000)
    after = time.time_ns() // 1_000_000
    ids = [uuid.UUID(t) for t in texts]
    assert [str(i) for i in ids] == texts  # canonical text: lower case, dashes where UUIDs put them
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert all(before <= i.int >> 80 <= after for i in ids)
    assert len(set(ids)) == len(ids)
    assert max(i.int & ((1 << 62) - 1) for i in ids) > 1 << 60
    assert max((i.int >> 64) & 0xFFF for i in ids) > 1 << 10  # rand_a is random too
