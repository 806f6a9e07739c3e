"""Idempotency keys on unsafe API requests (DESIGN §4).

Scope: (team, account, method, path, key), taken from the caller's access token. The first
request claims the key in its own short transaction (`running`), runs, and stores its status
and body (`done`). Then:
  same key + same body       → the stored answer, replayed (and the effect happened once);
  same key + another body    → 422;
  same key while still running → 409;
  a 5xx answer or a crash releases the claim, so the client may retry.
Another team or account using the same key gets its own independent result.
Requests without a valid bearer token pass through untouched (they will answer 401 anyway).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any, cast

import structlog
from sqlalchemy import String, delete, select
from sqlalchemy.dialects.postgresql import insert
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reos.auth import security
from reos.db.session import Database, team_session
from reos.errors import AppError
from reos.idempotency.models import IdempotencyKey
from reos.kit import clock
from reos.kit.ids import new_id

log = structlog.get_logger(__name__)
HEADER = b"idempotency-key"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
KEY_LIFETIME = timedelta(hours=24)
REPLAYED_HEADERS = ("content-type", "location", "etag")
PATH_MAX = cast(String, IdempotencyKey.__table__.c.path.type).length or 500


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(HEADER)
        claims = _claims(headers.get(b"authorization"))
        if key is None or claims is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255:
            await _send_error(send, 400, "bad_request", "Idempotency-Key must have 1 to 255 characters")
            return

        body = await _read_body(receive)
        digest = hashlib.sha256(body).hexdigest()
        db: Database = scope["app"].state.db
        scope_key = {
            "team_id": claims.team_id,
            "account_id": claims.account_id,
            "method": scope["method"],
            "path": scope["path"]
            + ("?" + scope["query_string"].decode() if scope.get("query_string") else ""),
            "key": key.decode("latin-1"),
        }
        # What the key's row cannot hold is refused here: this middleware runs outside the
        # app's error handlers, so a NUL or an overlong path had been a bare 500.
        if len(scope_key["path"]) > PATH_MAX or "\x00" in scope_key["path"] + scope_key["key"]:
            await _send_error(
                send,
                400,
                "bad_request",
                f"a request with an Idempotency-Key needs a path and query of at most {PATH_MAX} "
                "characters, and neither they nor the key may hold a NUL character",
            )
            return
        claimed, existing = await _claim(db, scope_key, digest)
        if not claimed:
            assert existing is not None
            if existing.request_hash != digest:
                await _send_error(
                    send,
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different request body",
                )
            elif existing.state == "running":
                await _send_error(
                    send,
                    409,
                    "idempotency_in_progress",
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                )
            else:
                await _replay(send, existing)
            return

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def replay_body() -> Message:
            nonlocal body
            chunk, body = body, b""
            return {"type": "http.request", "body": chunk, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await _release(db, scope_key)
            raise
        if captured["status"] >= 500:
            await _release(db, scope_key)
        else:
            await _store(db, scope_key, captured)


def _claims(authorization: bytes | None) -> security.TokenClaims | None:
    if not authorization or not authorization.lower().startswith(b"bearer "):
        return None
    try:
        return security.decode_token(authorization[7:].decode("latin-1").strip(), "access")
    except AppError:
        return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            return b"".join(chunks)


def _where(scope_key: dict[str, Any]) -> list[Any]:
    return [getattr(IdempotencyKey, name) == value for name, value in scope_key.items()]


async def _claim(db: Database, scope_key: dict[str, Any], digest: str) -> tuple[bool, IdempotencyKey | None]:
    now = clock.now()
    async with team_session(db, scope_key["team_id"]) as session:
        # An expired key is free again.
        await session.execute(
            delete(IdempotencyKey).where(*_where(scope_key), IdempotencyKey.expires_at <= now)
        )
        inserted = await session.scalar(
            insert(IdempotencyKey)
            .values(
                id=new_id(),
                created_at=now,
                request_hash=digest,
                state="running",
                expires_at=now + KEY_LIFETIME,
                **scope_key,
            )
            .on_conflict_do_nothing(index_elements=["team_id", "account_id", "method", "path", "key"])
            .returning(IdempotencyKey.id)
        )
        if inserted is not None:
            return True, None
        existing = await session.scalar(select(IdempotencyKey).where(*_where(scope_key)))
        return False, existing


async def _release(db: Database, scope_key: dict[str, Any]) -> None:
    async with team_session(db, scope_key["team_id"]) as session:
        await session.execute(
            delete(IdempotencyKey).where(*_where(scope_key), IdempotencyKey.state == "running")
        )


async def _store(db: Database, scope_key: dict[str, Any], captured: dict[str, Any]) -> None:
    kept = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in captured["headers"]
        if name.decode("latin-1").lower() in REPLAYED_HEADERS
    }
    async with team_session(db, scope_key["team_id"]) as session:
        row = await session.scalar(select(IdempotencyKey).where(*_where(scope_key)))
        if row is None:
            return
        row.state = "done"
        row.response_status = captured["status"]
        row.response_headers = kept
        row.response_body = captured["body"]


async def _replay(send: Send, row: IdempotencyKey) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (row.response_headers or {}).items()]
    headers.append((b"idempotent-replayed", b"true"))
    body = row.response_body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": row.response_status or 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
