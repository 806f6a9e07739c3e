"""Passwords, signed tokens and single-use tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from reos.auth import security
from reos.errors import Unauthorized
from reos.kit import clock
from reos.settings import get_settings

ACCOUNT, TEAM, SESSION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def issue(
    type: security.TokenType = "access",
    lifetime: timedelta = timedelta(minutes=15),
    session_id: uuid.UUID | None = None,
) -> str:
    token, _ = security.issue_token(
        account_id=ACCOUNT, team_id=TEAM, version=3, type=type, lifetime=lifetime, session_id=session_id
    )
    return token


def test_passwords_hash_and_verify() -> None:
    digest = security.hash_password("correct horse")
    assert digest.startswith("$argon2") and "correct horse" not in digest
    assert security.verify_password(digest, "correct horse")
    assert not security.verify_password(digest, "Correct horse")
    assert not security.verify_password("not-a-hash", "correct horse")


def test_an_access_token_round_trips_its_claims() -> None:
    with clock.frozen_at(datetime(2026, 2, 1, 9, 0, tzinfo=UTC)):
        claims = security.decode_token(issue(), "access")
    assert (claims.account_id, claims.team_id, claims.version, claims.type) == (ACCOUNT, TEAM, 3, "access")
    assert claims.session_id is None
    assert claims.expires_at == datetime(2026, 2, 1, 9, 15, tzinfo=UTC)


def test_a_refresh_token_carries_its_session() -> None:
    claims = security.decode_token(issue("refresh", timedelta(days=30), session_id=SESSION), "refresh")
    assert claims.session_id == SESSION


def test_a_token_of_another_type_is_refused() -> None:
    with pytest.raises(Unauthorized, match="token is required"):
        security.decode_token(issue("refresh", session_id=SESSION), "access")
    with pytest.raises(Unauthorized):
        security.decode_token(issue("access"), "web")


def test_expiry_follows_the_app_clock() -> None:
    with clock.frozen_at(datetime(2026, 2, 1, 9, 0, tzinfo=UTC)):
        token = issue()
        with clock.shifted(timedelta(minutes=14, seconds=59)):
            security.decode_token(token, "access")
        with clock.shifted(timedelta(minutes=15)), pytest.raises(Unauthorized, match="expired"):
            security.decode_token(token, "access")


def test_a_token_issued_in_the_apps_future_is_accepted_then() -> None:
    # The app clock may run ahead of the wall clock (tests, a corrected clock): a token must work
    # at the time it was issued.
    with clock.shifted(timedelta(days=2)):
        security.decode_token(issue(), "access")


@pytest.mark.parametrize(
    "tamper",
    [
        # The signature's first character carries only significant bits (its last may be padding).
        lambda t: (
            t.rsplit(".", 1)[0]
            + "."
            + ("B" if t.rsplit(".", 1)[1][0] == "A" else "A")
            + t.rsplit(".", 1)[1][1:]
        ),
        lambda t: jwt.encode(jwt.decode(t, options={"verify_signature": False}), "another-key-" * 4),
        lambda t: jwt.encode({"sub": str(ACCOUNT), "exp": 4102444800}, get_settings().secret_key),
        lambda t: "not.a.token",
        lambda t: "",
    ],
    ids=["bad-signature", "other-key", "missing-claims", "garbage", "empty"],
)
def test_forged_or_broken_tokens_are_refused(tamper: Callable[[str], str]) -> None:
    with pytest.raises(Unauthorized):
        security.decode_token(tamper(issue()), "access")


def test_an_unsigned_token_is_refused() -> None:
    payload = jwt.decode(issue(), options={"verify_signature": False})
    forged = jwt.encode(payload, key="", algorithm="none")
    with pytest.raises(Unauthorized):
        security.decode_token(forged, "access")


def test_random_tokens_are_stored_only_as_their_hash() -> None:
    token, digest = security.random_token()
    other, other_digest = security.random_token()
    assert token != other and digest != other_digest
    assert len(token) >= 40 and len(digest) == 64
    assert security.token_hash(token) == digest and digest != token


def test_csrf_tokens_are_bound_to_one_session() -> None:
    token = security.csrf_token(SESSION)
    assert security.csrf_matches(SESSION, token)
    assert not security.csrf_matches(uuid.uuid4(), token)
    assert not security.csrf_matches(SESSION, None)
    tampered = token[:-1] + ("1" if token[-1] == "0" else "0")
    assert not security.csrf_matches(SESSION, tampered)
