"""JSON that comes from outside: cursors, query parameters, form fields, cookies."""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes) -> Any:
    """`json.loads`, where nesting deeper than the parser can follow (`[[[[…`) is the
    `json.JSONDecodeError`, a ValueError, that every caller already answers as bad input. It
    was a RecursionError, which no caller caught: a 500."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nests deeper than can be read", "", 0) from None
