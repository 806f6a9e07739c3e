"""Text matching helpers shared by the list filters."""

from __future__ import annotations


def contains_pattern(q: str | None) -> str | None:
    """An ILIKE pattern matching `q` anywhere, with LIKE's wildcards taken literally; None for
    an empty query."""
    if q is None or not q.strip():
        return None
    escaped = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
