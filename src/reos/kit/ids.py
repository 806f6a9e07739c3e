"""Row ids: UUID version 7 (RFC 9562), time-ordered.

A random (version 4) id puts each new row's index entries on a random leaf page of every index
that holds the id: the primary key, `(team_id, id)`, and every index whose leading columns are
equal for a batch of rows (an import's rows share `created_at`, score 0 and stage `new`). At a
million rows those indexes outgrow the buffer cache, so every insert reads and dirties a cold
page and, after each checkpoint, writes it whole to the WAL again. Ids that grow with time land
on the rightmost pages, which stay in cache. Creation order is also what most lists sort by.

74 of the 128 bits stay random, so ids remain unguessable; they reveal their creation time to
the millisecond, which every API answer shows anyway (`created_at`). The database's own
`uuid_v7()` (migration 0013) makes the same layout for rows created in SQL.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable

_VERSION = 0x7 << 76
_VARIANT = 0b10 << 62
_RAND_A = ((1 << 12) - 1) << 64
_RAND_B = (1 << 62) - 1


def _layout(millis: int, rand: bytes) -> int:
    """48 bits of Unix milliseconds, the version, 74 of the 80 random bits, the variant."""
    bits = int.from_bytes(rand, "big")
    return millis << 80 | _VERSION | (bits & _RAND_A) | _VARIANT | (bits & _RAND_B)


def new_id() -> uuid.UUID:
    """A fresh time-ordered id."""
    return uuid.UUID(int=_layout(time.time_ns() // 1_000_000, os.urandom(10)))


def new_id_texts(count: int) -> list[str]:
    """`count` fresh time-ordered ids as text, for bulk writers (an import's COPY payloads): the
    layout of `new_id`, with one clock read and one draw of randomness for the batch."""
    millis = time.time_ns() // 1_000_000
    pool = os.urandom(10 * count)
    out = []
    for i in range(0, 10 * count, 10):
        # uuid.UUID's text, without building a UUID for each.
        h = f"{_layout(millis, pool[i : i + 10]):032x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def parse_id(value: str | None) -> uuid.UUID | None:
    """An id from a form or a query string, or None for anything that is not one."""
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def parse_ids(values: Iterable[str]) -> list[uuid.UUID]:
    """The ids among `values` (check boxes, a page's echo of what it shows), skipping the rest."""
    return [i for i in map(parse_id, values) if i is not None]
