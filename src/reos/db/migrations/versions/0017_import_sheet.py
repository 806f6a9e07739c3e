"""`imports.sheet`: the worksheet of a workbook that an import reads

An XLSX import read the workbook's first worksheet, whatever it held; a workbook that opens on a
notes or summary sheet had its list left unread. The sheet is now chosen (by name, or the first
whose header row has a street address) when the file is uploaded, and kept with the import so
its run reads the same one.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("imports", sa.Column("sheet", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("imports", "sheet")
