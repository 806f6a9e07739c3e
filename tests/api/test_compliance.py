"""The governor through the API: the check contract, the stores it reads, the attempts ledger
with caps across channels and numbers, opt-outs by keyword across channels, the review queue,
DNC uploads read by a job, batch decisions in a fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from reos.compliance import service as compliance
from reos.db.session import Database, team_session
from reos.kit import clock
from tests.fixtures.api import Member, add_member
from tests.fixtures.jobs import run_jobs

NOON_FL = "2026-07-15T14:00:00Z"  # 10:00 EDT, a Wednesday
NOW = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)


def uniq_phone(prefix: str = "813") -> str:
    return f"+1{prefix}5{uuid.uuid4().int % 10**6:06d}"


async def check(client: httpx.AsyncClient, member: Member, **body: Any) -> httpx.Response:
    payload = {"channel": "sms", "at": NOON_FL} | body
    return await client.post("/api/v1/compliance/check", json=payload, headers=member.headers)


async def person_with_phones(
    client: httpx.AsyncClient, member: Member, *phones: str, zip_code: str = "33602"
) -> tuple[str, list[str]]:
    contact = await client.post(
        "/api/v1/contacts",
        json={"first_name": "Owen", "last_name": "Gov", "zip_code": zip_code},
        headers=member.headers,
    )
    assert contact.status_code == 201, contact.text
    cid = contact.json()["id"]
    ids = []
    for phone in phones:
        kind = "email" if "@" in phone else "phone"
        point = await client.post(
            f"/api/v1/contacts/{cid}/points",
            json={"kind": kind, "value": phone, "dnc_checked_at": NOON_FL},
            headers=member.headers,
        )
        assert point.status_code == 201, point.text
        ids.append(point.json()["id"])
    return cid, ids


def codes(response: httpx.Response, key: str = "reasons") -> set[str]:
    return {r["code"] for r in response.json()[key]}


async def test_check_contract(client: httpx.AsyncClient, admin: Member) -> None:
    allowed = await check(client, admin, to="+18135550142", mailing_zip="33602", property_zip="33610")
    assert allowed.status_code == 200, allowed.text
    body = allowed.json()
    assert set(body) == {"allowed", "reasons", "warnings", "next_allowed_at", "rule_set"}
    assert body["allowed"] is True and body["reasons"] == [] and body["rule_set"] == "us-2025.1"
    assert codes(allowed, "warnings") == {"dnc_unchecked"}  # an unknown number was never checked

    late = await check(client, admin, to="+18135550142", at="2026-07-16T00:03:00Z")  # 20:03 EDT
    assert late.json()["allowed"] is False and codes(late) == {"quiet_hours"}
    assert late.json()["next_allowed_at"] == "2026-07-16T12:00:00Z"
    assert all(set(r) == {"code", "message"} for r in late.json()["reasons"])

    unknown = await check(client, admin, to="+18005550100")
    assert codes(unknown) == {"unknown_location"} and unknown.json()["next_allowed_at"] is None

    email = await check(client, admin, channel="email", to="Owner@Example.com", at="2026-07-15T07:00:00Z")
    assert email.json() == {
        "allowed": True,
        "reasons": [],
        "warnings": [],
        "next_allowed_at": None,
        "rule_set": "us-2025.1",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "not a phone"}, "to"),
        ({"to": "+18135550142", "channel": "fax"}, "channel"),
        ({"to": "nobody", "channel": "email"}, "to"),
        ({"to": "+18135550142", "at": "tomorrow"}, "at"),
        ({"to": "+18135550142", "at": "2026-07-15T14:00:00"}, "at"),
        ({"to": "+18135550142", "mailing_zip": "ABCDE"}, "mailing_zip"),
        ({"to": "+18135550142", "property_zip": "00000"}, "property_zip"),
        ({"to": "+18135550142", "subject": "the blue house"}, "subject"),
        ({"to": "+18135550142", "automated": "often"}, "automated"),
        ({"to": "+18135550142", "extra": 1}, "extra"),
    ],
)
async def test_check_bad_input_names_the_field(
    client: httpx.AsyncClient, admin: Member, body: dict[str, Any], field: str
) -> None:
    response = await check(client, admin, **body)
    assert response.status_code == 422, response.text
    assert field in {d["field"].split(".")[-1] for d in response.json()["error"]["details"]}


async def test_check_has_no_side_effects_and_reads_the_point(
    client: httpx.AsyncClient, admin: Member
) -> None:
    phone = uniq_phone()
    _, (point_id,) = await person_with_phones(client, admin, phone)
    for _ in range(5):
        assert (await check(client, admin, to=phone)).json()["allowed"] is True
    attempts = await client.get("/api/v1/compliance/attempts", headers=admin.headers)
    assert attempts.json()["items"] == []
    # The known point's state applies: an opt-out recorded on it blocks the check.
    out = await client.post("/api/v1/compliance/opt-outs", json={"point_id": point_id}, headers=admin.headers)
    assert out.status_code == 201, out.text
    assert codes(await check(client, admin, to=phone)) == {"opted_out"}


async def test_caps_count_calls_and_texts_across_the_persons_numbers(
    client: httpx.AsyncClient, admin: Member
) -> None:
    first, second = uniq_phone(), uniq_phone()
    _, (a, b) = await person_with_phones(client, admin, first, second)
    with clock.frozen_at(NOW + timedelta(hours=1)):
        for channel, point, minutes in (("call", a, 0), ("sms", b, 10), ("call", b, 20)):
            logged = await client.post(
                "/api/v1/compliance/attempts",
                json={
                    "channel": channel,
                    "point_id": point,
                    "at": (NOW + timedelta(minutes=minutes)).isoformat(),
                },
                headers=admin.headers,
            )
            assert logged.status_code == 201, logged.text
            assert logged.json()["rule_set"] == "us-2025.1"
        fourth = await client.post(
            "/api/v1/compliance/attempts",
            json={"channel": "sms", "point_id": a, "at": (NOW + timedelta(minutes=30)).isoformat()},
            headers=admin.headers,
        )
    assert fourth.status_code == 409, fourth.text
    details = fourth.json()["error"]["details"]
    assert {r["code"] for r in details["reasons"]} == {"frequency_cap"}
    assert details["next_allowed_at"] == "2026-07-16T14:00:00+00:00"  # the first call ages out
    # The check sees the same cap on the other number, without counting itself.
    capped = await check(client, admin, to=first, at=(NOW + timedelta(minutes=40)).isoformat())
    assert codes(capped) == {"frequency_cap"}
    later = await check(client, admin, to=first, at="2026-07-16T14:00:00Z")
    assert later.json()["allowed"] is True


async def test_subject_limits_the_cap_and_team_cap(client: httpx.AsyncClient, admin: Member) -> None:
    phone = uniq_phone()
    _, (point,) = await person_with_phones(client, admin, phone)
    props = []
    for street in ("1 Cap St", "2 Cap St"):
        created = await client.post(
            "/api/v1/properties",
            json={"address": street, "city": "Tampa", "state": "FL", "zip_code": "33602"},
            headers=admin.headers,
        )
        props.append(created.json()["id"])
    with clock.frozen_at(NOW + timedelta(hours=1)):
        for minutes in (0, 5, 10):
            logged = await client.post(
                "/api/v1/compliance/attempts",
                json={
                    "channel": "call",
                    "point_id": point,
                    "property_id": props[0],
                    "at": (NOW + timedelta(minutes=minutes)).isoformat(),
                },
                headers=admin.headers,
            )
            assert logged.status_code == 201, logged.text
    at = (NOW + timedelta(minutes=30)).isoformat()
    assert codes(await check(client, admin, to=phone, at=at, subject=props[0])) == {"frequency_cap"}
    assert (await check(client, admin, to=phone, at=at, subject=props[1])).json()["allowed"] is True
    assert codes(await check(client, admin, to=phone, at=at)) == {"frequency_cap"}  # no subject: all count
    changed = await client.patch("/api/v1/compliance/settings", json={"team_cap": 2}, headers=admin.headers)
    assert changed.status_code == 200 and changed.json() == {"strict_dnc": False, "team_cap": 2}
    assert codes(await check(client, admin, to=phone, at=at, subject=props[1])) == {"team_cap"}


async def test_keyword_opt_out_holds_every_channel_until_start(
    client: httpx.AsyncClient, admin: Member
) -> None:
    phone, other, mail = uniq_phone(), uniq_phone(), f"owner{uuid.uuid4().hex[:8]}@example.com"
    cid, _ = await person_with_phones(client, admin, phone, other, mail)
    stop = await client.post(
        "/api/v1/compliance/inbound", json={"phone": phone, "body": " Stop! "}, headers=admin.headers
    )
    assert stop.json()["outcome"] == "opt_out" and stop.json()["contact_id"] == cid
    for channel, to in (("sms", phone), ("call", other), ("email", mail)):
        assert "opted_out" in codes(await check(client, admin, channel=channel, to=to)), channel
    listed = await client.get("/api/v1/compliance/opt-outs?active=true", headers=admin.headers)
    row = next(r for r in listed.json()["items"] if r["contact_id"] == cid)
    assert row["message"] == " Stop! " and row["keyword"] == "STOP" and row["source"] == "keyword"
    yes = await client.post(
        "/api/v1/compliance/inbound", json={"phone": phone, "body": "yes"}, headers=admin.headers
    )
    assert yes.json()["outcome"] == "opt_in"
    assert (await check(client, admin, channel="email", to=mail)).json()["allowed"] is True
    again = await client.post(
        "/api/v1/compliance/inbound", json={"phone": phone, "body": "YES"}, headers=admin.headers
    )
    assert again.json()["outcome"] == "none"  # YES opts in only someone opted out


async def test_review_pauses_the_person_until_decided(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    phone, mail = uniq_phone(), f"rev{uuid.uuid4().hex[:8]}@example.com"
    await person_with_phones(client, admin, phone, mail)
    with clock.frozen_at(datetime(2026, 7, 17, 15, 0, tzinfo=UTC)):  # a Friday
        sent = await client.post(
            "/api/v1/compliance/inbound",
            json={"phone": phone, "body": "please stop texting me"},
            headers=admin.headers,
        )
    review_id = sent.json()["review_id"]
    assert sent.json()["outcome"] == "review" and review_id
    queue = await client.get("/api/v1/compliance/reviews", headers=admin.headers)
    item = next(i for i in queue.json()["items"] if i["id"] == review_id)
    assert item["due_at"] == "2026-07-21T15:00:00Z"  # two business days: Monday, Tuesday
    assert codes(await check(client, admin, channel="email", to=mail)) == {"review_pending"}

    agent = await add_member(client, database, admin, role="agent")
    denied = await client.post(
        f"/api/v1/compliance/reviews/{review_id}/decision",
        json={"decision": "not_opt_out"},
        headers=agent.headers,
    )
    assert denied.status_code == 403
    decided = await client.post(
        f"/api/v1/compliance/reviews/{review_id}/decision",
        json={"decision": "not_opt_out"},
        headers=admin.headers,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "not_opt_out"
    assert (await check(client, admin, channel="email", to=mail)).json()["allowed"] is True
    twice = await client.post(
        f"/api/v1/compliance/reviews/{review_id}/decision",
        json={"decision": "opted_out"},
        headers=admin.headers,
    )
    assert twice.status_code == 409


async def test_dnc_consent_litigator_strict_mode(client: httpx.AsyncClient, admin: Member) -> None:
    listed, flagged, fresh = uniq_phone("312"), uniq_phone("312"), uniq_phone("312")
    _, (listed_id, flagged_id, _) = await person_with_phones(
        client, admin, listed, flagged, fresh, zip_code="60601"
    )
    added = await client.post(
        "/api/v1/compliance/dnc-numbers", json={"phone": listed, "kind": "internal"}, headers=admin.headers
    )
    assert added.status_code == 201, added.text
    assert codes(await check(client, admin, to=listed)) == {"dnc"}
    consent = await client.post(
        "/api/v1/compliance/consents",
        json={
            "point_id": listed_id,
            "channel": "all",
            "method": "web form",
            "source": "seller site",
            "text_shown": "I agree to calls and texts",
            "evidence": "form 42",
            "recorded_at": "2026-07-01T00:00:00Z",
        },
        headers=admin.headers,
    )
    assert consent.status_code == 201, consent.text
    assert (await check(client, admin, to=listed)).json()["allowed"] is True  # consent overrides DNC
    revoked = await client.post(
        "/api/v1/compliance/consents",
        json={
            "point_id": listed_id,
            "action": "revoked",
            "channel": "all",
            "method": "text",
            "source": "reply",
            "recorded_at": "2026-07-10T00:00:00Z",
        },
        headers=admin.headers,
    )
    assert revoked.status_code == 201
    assert codes(await check(client, admin, to=listed)) == {"dnc"}

    await client.post(
        "/api/v1/compliance/dnc-numbers", json={"phone": fresh, "kind": "litigator"}, headers=admin.headers
    )
    assert codes(await check(client, admin, to=fresh)) == {"litigator"}

    stale = uniq_phone("312")
    assert codes(await check(client, admin, to=stale), "warnings") == {"dnc_unchecked"}
    strict = await client.patch(
        "/api/v1/compliance/settings", json={"strict_dnc": True}, headers=admin.headers
    )
    assert strict.status_code == 200
    assert codes(await check(client, admin, to=stale)) == {"dnc_unchecked"}
    assert flagged_id


async def test_registry_upload_is_streamed_by_a_job(client: httpx.AsyncClient, admin: Member) -> None:
    number = f"5{uuid.uuid4().int % 10**6:06d}"
    lines = ["areacode,number", f"312,{number}", "junk line", "312,5550199"] + [
        f"646,{i:07d}" for i in range(2_000_000, 2_006_000)
    ]
    uploaded = await client.post(
        "/api/v1/compliance/uploads",
        data={"kind": "registry", "downloaded_on": "2026-07-10"},
        files={"file": ("registry.txt", "\n".join(lines).encode(), "text/plain")},
        headers=admin.headers,
    )
    assert uploaded.status_code == 202, uploaded.text
    assert uploaded.json()["status"] == "queued"
    await run_jobs()
    done = await client.get(f"/api/v1/compliance/uploads/{uploaded.json()['id']}", headers=admin.headers)
    body = done.json()
    assert body["status"] == "completed", body
    assert body["rows_read"] == 6004 and body["rows_rejected"] == 2 and body["rows_added"] == 6002
    assert body["area_codes"] == ["312", "646"]
    assert codes(await check(client, admin, to=f"+1312{number}")) == {"dnc"}
    # Another 312 number was checked against that download (5 days before): no warning.
    clean = await check(client, admin, to=uniq_phone("312"))
    assert clean.json()["allowed"] is True and clean.json()["warnings"] == []
    # 31 days after the download it is unchecked again.
    stale = await check(client, admin, to=uniq_phone("312"), at="2026-08-11T14:00:00Z")
    assert codes(stale, "warnings") == {"dnc_unchecked"}
    missing = await client.post(
        "/api/v1/compliance/uploads",
        data={"kind": "registry"},
        files={"file": ("r.txt", b"312,5550100", "text/plain")},
        headers=admin.headers,
    )
    assert missing.status_code == 422 and "downloaded_on" in missing.text


async def test_email_suppression(client: httpx.AsyncClient, admin: Member) -> None:
    mail = f"s{uuid.uuid4().hex[:8]}@example.com"
    for reason, code in (("unsubscribed", "unsubscribed"), ("hard_bounce", "suppressed")):
        added = await client.post(
            "/api/v1/compliance/suppressions",
            json={"email": mail.upper(), "reason": reason},
            headers=admin.headers,
        )
        assert added.status_code == 201, added.text
        assert code in codes(await check(client, admin, channel="email", to=mail))


async def test_do_not_contact_flag(client: httpx.AsyncClient, admin: Member) -> None:
    phone = uniq_phone()
    cid, _ = await person_with_phones(client, admin, phone)
    flagged = await client.put(
        f"/api/v1/compliance/contacts/{cid}/do-not-contact",
        json={"do_not_contact": True},
        headers=admin.headers,
    )
    assert flagged.status_code == 200
    assert codes(await check(client, admin, to=phone)) == {"do_not_contact"}
    await client.put(
        f"/api/v1/compliance/contacts/{cid}/do-not-contact",
        json={"do_not_contact": False},
        headers=admin.headers,
    )
    assert (await check(client, admin, to=phone)).json()["allowed"] is True


async def test_batch_decisions_use_a_fixed_number_of_queries(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    phones = [uniq_phone() for _ in range(40)]
    _, ids = await person_with_phones(client, admin, *phones)
    statements: list[str] = []

    def count(*args: Any) -> None:
        if "set_config" not in args[2]:  # the team context, once per transaction
            statements.append(args[2])

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with team_session(database, uuid.UUID(admin.team_id)) as session:
            few = await compliance.point_states(
                session, team_id=uuid.UUID(admin.team_id), point_ids=[uuid.UUID(i) for i in ids[:2]], at=NOW
            )
            n_few = len(statements)
            statements.clear()
            many = await compliance.point_states(
                session, team_id=uuid.UUID(admin.team_id), point_ids=[uuid.UUID(i) for i in ids], at=NOW
            )
            n_many = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(few) == 2 and len(many) == 40
    assert n_many == n_few <= 14, statements
    assert all(s.answers["sms"].decision.allowed for s in many.values())
    assert "OK to contact now" in next(iter(many.values())).summary
