"""Route class whose OpenAPI summary is the first line of the endpoint's docstring."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute


class DocstringRoute(APIRoute):
    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        if kwargs.get("summary") is None and endpoint.__doc__:
            kwargs["summary"] = endpoint.__doc__.strip().splitlines()[0].rstrip(".")
        super().__init__(path, endpoint, **kwargs)
