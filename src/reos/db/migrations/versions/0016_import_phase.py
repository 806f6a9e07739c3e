"""`imports.phase`: what a running import is doing now

Progress counted only the rows read; at a million rows the merge that follows is four fifths of
the run, and the page sat at 99 % for minutes. The phase is "reading" while the file is read,
then each step of the merge (`imports.engine.MERGE_STEPS`), and null once the import ends.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("imports", sa.Column("phase", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("imports", "phase")
