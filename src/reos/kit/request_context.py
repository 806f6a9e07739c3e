"""Facts about the current request (client address, user agent, request id) for audit records,
kept in a context variable so services need not take the request."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


_NONE = RequestContext()
# A frozen dataclass: the shared default can never be mutated.
current: ContextVar[RequestContext] = ContextVar("request_context", default=_NONE)
