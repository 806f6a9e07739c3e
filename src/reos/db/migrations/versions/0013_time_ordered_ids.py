"""time-ordered ids for rows created in SQL: `uuid_v7()`

Rows created by the application get UUID version 7 ids (`reos.kit.ids.new_id`); set-based
inserts (an import's merge, derived signals, the board counts) call this function so their ids
grow with time as well and their index entries append instead of landing on random pages.
Existing ids stay as they are: both kinds are plain UUIDs and nothing depends on the version.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The Unix milliseconds overwrite the first 6 bytes of a random (version 4) UUID; setting
    # bits 4 and 5 of byte 6 turns its version nibble 0100 into 0111. The variant stays RFC 9562.
    op.execute(
        """
        CREATE FUNCTION uuid_v7() RETURNS uuid
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
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION uuid_v7()")
