"""Baseline for the HTTP load benchmark: the smallest ASGI app uvicorn can serve (no framework,
no middleware, no database), so the product's figure can be read against what this machine and
server can do at all."""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})
