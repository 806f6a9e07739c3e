"""Partial updates (PATCH): the fields a client sent, with explicit nulls refused where a field
cannot be emptied, so every domain answers a `null` the same way."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from reos.errors import BadRequest


def sent_changes(data: BaseModel, *, not_null: Iterable[str] | None = None) -> dict[str, Any]:
    """The fields present in the request; `not_null` None means no field may be null."""
    changes = data.model_dump(exclude_unset=True)
    guarded = set(changes) if not_null is None else set(not_null)
    for field, value in changes.items():
        if value is None and field in guarded:
            raise BadRequest(f"{field} cannot be null", details={"field": field})
    return changes
