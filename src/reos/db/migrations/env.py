"""Alembic environment: migrations always run as the owner role."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from reos.db.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # Procrastinate's queue comes from its own SQL (migration 0002), not from our models.
    return not (name or "").startswith(("procrastinate_", "idx_procrastinate_"))


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "the owner URL is passed in by reos.db.migrate"
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable, target_metadata=target_metadata, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
