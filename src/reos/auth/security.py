"""Password hashing (argon2), signed tokens (JWT) and single-use random tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reos.errors import Unauthorized
from reos.kit import clock
from reos.settings import get_settings

TokenType = Literal["access", "refresh", "web"]
ALGORITHM = "HS256"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Spend the time of a real verification so unknown emails answer like wrong passwords."""
    verify_password(_dummy_hash(), password)


@dataclass(frozen=True)
class TokenClaims:
    account_id: uuid.UUID
    team_id: uuid.UUID
    version: int
    type: TokenType
    session_id: uuid.UUID | None
    expires_at: datetime


def issue_token(
    *,
    account_id: uuid.UUID,
    team_id: uuid.UUID,
    version: int,
    type: TokenType,
    lifetime: timedelta,
    session_id: uuid.UUID | None = None,
) -> tuple[str, datetime]:
    now = clock.now()
    expires = now + lifetime
    payload: dict[str, Any] = {
        "sub": str(account_id),
        "team": str(team_id),
        "ver": version,
        "typ": type,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": str(session_id or uuid.uuid4()),
    }
    return jwt.encode(payload, get_settings().secret_key, algorithm=ALGORITHM), expires


def decode_token(token: str, expected: TokenType) -> TokenClaims:
    claims = _verified_claims(token, get_settings().secret_key)
    if claims.type != expected:
        raise Unauthorized(f"a {expected} token is required")
    # Expiry is checked against the app clock (not the wall clock) so tests can move time, and on
    # every call: only the signature check and parsing are remembered.
    if claims.expires_at <= clock.now():
        raise Unauthorized("token expired")
    return claims


# A client sends the same token with every request until it expires; its signature check and
# parsing (about a tenth of a millisecond) give the same answer every time for the same key.
# A token that fails raises, and exceptions are not cached.
@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret_key: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            # Time claims are checked by decode_token against the app clock: PyJWT would compare
            # `iat` with the wall clock and refuse a token issued while the clock is moved.
            options={
                "require": ["sub", "team", "ver", "typ", "exp", "jti"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        token_type = payload["typ"]
        if token_type not in ("access", "refresh", "web"):
            raise Unauthorized("token is not valid")
        return TokenClaims(
            account_id=uuid.UUID(payload["sub"]),
            team_id=uuid.UUID(payload["team"]),
            version=int(payload["ver"]),
            type=token_type,
            session_id=uuid.UUID(payload["jti"]) if token_type != "access" else None,
            expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=UTC),
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("token is not valid") from exc


def random_token() -> tuple[str, str]:
    """Return (token for the user, its SHA-256 for storage): the database never holds the token."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_id: uuid.UUID) -> str:
    """CSRF token bound to one browser session (synchronizer token derived by HMAC)."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(session_id: uuid.UUID, candidate: str | None) -> bool:
    return candidate is not None and hmac.compare_digest(csrf_token(session_id), candidate)
