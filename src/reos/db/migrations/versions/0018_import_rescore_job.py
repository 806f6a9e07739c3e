"""`imports.rescore_job_id`: the rescoring that scores an import's leads

The import's report says when its leads are scored. It had looked for a rescoring that began
after the import finished, which misses the one that does the work when it began earlier and
waits to be retried (the queueing lock folds the import's rescoring into it), and depends on two
machines' clocks agreeing. The import now keeps the id of that job: the one it queued, or the one
already waiting that stands for it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("imports", sa.Column("rescore_job_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("imports", "rescore_job_id")
