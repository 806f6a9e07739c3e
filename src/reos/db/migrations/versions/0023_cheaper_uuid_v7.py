"""`uuid_v7()` from bigints and `random()`: a tenth of the CPU per id

0013 took the random bits from `gen_random_uuid()`, which reads the operating system's strong
random source on every call, and the milliseconds through `extract()`'s numeric arithmetic: 4.3 s
of CPU per million ids on this machine, where the same layout built from two bigints costs 0.55 s
(`select count(uuid_v7()) from generate_series(1, 1000000)`). A million-row import makes 4.2 M
ids this way (its phones and emails, roles and signals), so that was ~16 s of its one merging
core (docs/benchmarks.md, "Imports", eleventh pass).

The 74 random bits now come from `random()`, the server's per-session generator, which the
server seeds from its strong source when the session starts. The ids must be unique and grow
with time; nothing uses them as secrets (share links carry their own tokens), and the unique
indexes would refuse a repeat. The layout is RFC 9562's, as before: 48 bits of Unix
milliseconds, the version 0111, 12 random bits, the variant 10, 62 random bits (two draws of 31,
since a double carries only 53).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 28672 is 0x7000, the version nibble; the sign bit of the second bigint is the variant's 1.
CHEAP = """
        CREATE OR REPLACE FUNCTION uuid_v7() RETURNS uuid
        LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
            SELECT encode(
                int8send((floor(date_part('epoch', clock_timestamp()) * 1000)::bigint << 16)
                         | 28672 | (random() * 4095)::int)
                || int8send((-9223372036854775807 - 1)
                            | ((random() * 2147483647)::bigint << 31)
                            | (random() * 2147483647)::bigint),
                'hex')::uuid
        $$
"""
# As 0013 made it.
STRONG = """
        CREATE OR REPLACE FUNCTION uuid_v7() RETURNS uuid
        LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
            SELECT encode(
                set_bit(set_bit(
                    overlay(uuid_send(gen_random_uuid()) PLACING
                        substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                    52, 1), 53, 1),
                'hex')::uuid
        $$
"""


def upgrade() -> None:
    op.execute(CHEAP)


def downgrade() -> None:
    op.execute(STRONG)
