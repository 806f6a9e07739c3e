"""JSON that comes from outside: cursors, query parameters, form fields, cookies."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator


def loads(text: str | bytes) -> Any:
    """`json.loads`, where nesting deeper than the parser can follow (`[[[[…`) is the
    `json.JSONDecodeError`, a ValueError, that every caller already answers as bad input. It
    was a RecursionError, which no caller caught: a 500."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nests deeper than can be read", "", 0) from None


# How deep a free-form JSON object from a client may nest, and how large it may be written out.
# Deeper than ~255 levels, Pydantic cannot serialise a value back into a response (a 500 after
# the row was written), and evidence or settings never need more than a few levels.
MAX_DEPTH = 16
MAX_BYTES = 64 * 1024


def _depth(value: Any, limit: int) -> int:
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return 0
    if limit <= 0:
        return 1
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def bounded(value: dict[str, Any]) -> dict[str, Any]:
    """A client's free-form JSON object, refused (ValueError: a 422 naming the field) when it
    nests deeper than `MAX_DEPTH` or is larger than `MAX_BYTES` written out."""
    if _depth(value, MAX_DEPTH + 1) > MAX_DEPTH:
        raise ValueError(f"nests deeper than {MAX_DEPTH} levels")
    if len(json.dumps(value, default=str)) > MAX_BYTES:
        raise ValueError(f"is larger than {MAX_BYTES // 1024} KB")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(bounded)]
