"""import drafts: the web wizard keeps an uploaded file as a draft import while its columns are mapped

A draft holds the stored file and the mapping being edited; starting it turns it into a queued
import. Drafts never reach the API's import list, and the nightly maintenance removes drafts
left for more than a day together with their files.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_imports_status_valid"), "imports", type_="check")
    op.create_check_constraint(
        op.f("ck_imports_status_valid"),
        "imports",
        "status in ('draft', 'queued', 'running', 'completed', 'failed', 'undone')",
    )


def downgrade() -> None:
    op.execute("delete from imports where status = 'draft'")
    op.drop_constraint(op.f("ck_imports_status_valid"), "imports", type_="check")
    op.create_check_constraint(
        op.f("ck_imports_status_valid"),
        "imports",
        "status in ('queued', 'running', 'completed', 'failed', 'undone')",
    )
