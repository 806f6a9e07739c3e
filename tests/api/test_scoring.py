"""Signals, the explained score, the team's weights and their preview; the SQL rescoring agrees
with the Python breakdown on every property of the demo team."""

from __future__ import annotations

import itertools
import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import select, text

from reos import demo
from reos.db import migrate
from reos.db.session import Database, make_database, team_session
from reos.kit import clock
from reos.kit.ids import new_id
from reos.properties.models import Property
from reos.scoring import rules
from reos.scoring import service as scoring
from reos.scoring.models import SIGNAL_KINDS, Signal
from reos.teams import service as teams
from tests.fixtures.api import Member, add_member, create_property, register
from tests.fixtures.db import Urls, _with_database
from tests.fixtures.jobs import run_jobs

HOUSE = {
    "address": "812 Larkspur Ave",
    "city": "Tampa",
    "state": "FL",
    "zip_code": "33610",
    "estimated_value": "300000",
    "mortgage_balance": "100000",
}


async def create(client: httpx.AsyncClient, member: Member, **fields: Any) -> dict[str, Any]:
    return await create_property(client, member, HOUSE | fields)


def days_ago(n: int) -> str:
    return (clock.now().astimezone(UTC).date() - timedelta(days=n)).isoformat()


async def test_signals_and_the_explained_score(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create(client, admin)
    pid = prop["id"]
    added = await client.post(
        f"/api/v1/properties/{pid}/signals",
        json={"kind": "tax_delinquent", "observed_on": days_ago(365), "detail": {"amount_owed": 4210}},
        headers=admin.headers,
    )
    assert added.status_code == 201, added.text
    assert added.json()["source"] == "manual" and added.json()["created_by_id"] is not None
    listed = (await client.get(f"/api/v1/properties/{pid}/signals", headers=admin.headers)).json()
    # Equity of 66.7 % is high equity, derived from the property's own facts.
    assert {(s["kind"], s["source"]) for s in listed} == {
        ("tax_delinquent", "manual"),
        ("high_equity", "derived"),
    }
    derived = next(s for s in listed if s["kind"] == "high_equity")
    # It has no row of its own: no id, times or author; dated the day it was first found.
    assert derived["detail"] == {"equity_percent": 66.7} and derived["observed_on"] == days_ago(0)
    assert (derived["id"], derived["created_at"], derived["created_by_id"]) == (None, None, None)
    url = f"/api/v1/properties/{pid}/signals"
    refused = await client.delete(f"{url}/high_equity", headers=admin.headers)
    assert refused.status_code == 409 and refused.json()["error"]["details"] == {"kind": "high_equity"}

    score = (await client.get(f"/api/v1/properties/{pid}/score", headers=admin.headers)).json()
    # Tax delinquency a half-life old is worth half its 20 points; high equity fresh its 10.
    assert score["points"] == 20.0
    assert score["score"] == 20 == score["stored_score"] == sum(f["contribution"] for f in score["factors"])
    factors = {f["kind"]: f for f in score["factors"]}
    tax = factors["tax_delinquent"]
    assert (
        tax["weight"] == 20 and tax["age_days"] == 365 and tax["decay"] == 0.5 and tax["contribution"] == 10
    )
    assert tax["evidence"] == {
        "source": "manual",
        "observed_on": days_ago(365),
        "detail": {"amount_owed": 4210},
    }
    assert factors["high_equity"]["contribution"] == 10
    assert score["gate"] == {"gate_percent": 20, "equity_percent": "66.7", "applied": False, "factor": 1.0}
    assert score["close_probability_breakdown"] == {
        "stage": "new",
        "stage_base": "0.02",
        "score": 20,
        "score_factor": "0.7",
        "probability": "0.0140",
    }
    assert Decimal(score["close_probability"]) == Decimal("0.014")
    assert score["expected_value_breakdown"]["deal_value"] == "200000.00"
    assert Decimal(score["expected_value"]) == Decimal("2800.00")

    # The property list sorts by the stored score and filters by the kinds kept on the row.
    row = (await client.get(f"/api/v1/properties/{pid}", headers=admin.headers)).json()
    assert row["score"] == 20

    # Recording the kind again replaces its evidence: fresh, it is worth all 20 points.
    again = await client.post(
        f"/api/v1/properties/{pid}/signals", json={"kind": "tax_delinquent"}, headers=admin.headers
    )
    assert again.status_code == 200 and again.json()["observed_on"] == days_ago(0)
    assert (await client.get(f"/api/v1/properties/{pid}/score", headers=admin.headers)).json()["score"] == 30

    removed = await client.delete(f"/api/v1/properties/{pid}/signals/tax_delinquent", headers=admin.headers)
    assert removed.status_code == 204
    after = (await client.get(f"/api/v1/properties/{pid}/score", headers=admin.headers)).json()
    assert after["score"] == after["stored_score"] == 10
    assert [f["kind"] for f in after["factors"]] == ["high_equity"]

    # A person's evidence of a derived kind wins over the record's, and once removed, the
    # record's comes back.
    mine = await client.post(
        url, json={"kind": "high_equity", "observed_on": days_ago(730)}, headers=admin.headers
    )
    assert mine.status_code == 201 and mine.json()["source"] == "manual"
    overridden = (await client.get(f"/api/v1/properties/{pid}/score", headers=admin.headers)).json()
    assert overridden["score"] == overridden["stored_score"] == 5
    assert [(s["kind"], s["source"]) for s in (await client.get(url, headers=admin.headers)).json()] == [
        ("high_equity", "manual")
    ]
    assert (await client.delete(f"{url}/high_equity", headers=admin.headers)).status_code == 204
    back = (await client.get(url, headers=admin.headers)).json()
    assert [(s["kind"], s["source"], s["observed_on"]) for s in back] == [
        ("high_equity", "derived", days_ago(0))
    ]
    assert (await client.get(f"/api/v1/properties/{pid}", headers=admin.headers)).json()["score"] == 10


async def test_a_derived_signal_keeps_the_day_it_was_first_found(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    """A derived signal is dated the day its fact was first found: later rescorings keep the date,
    a person's signal of the kind wins while it lasts, and when it goes the record's comes back
    with its first date. The counts name exactly what was found and what went."""
    from reos.teams.models import Membership

    prop = await create(client, admin, mortgage_balance="0")  # high equity, free and clear
    pid, team = uuid.UUID(prop["id"]), uuid.UUID(admin.team_id)
    url = f"/api/v1/properties/{pid}/signals"
    later = clock.now() + timedelta(days=40)

    async def listed() -> dict[str, tuple[str, str]]:
        signals = (await client.get(url, headers=admin.headers)).json()
        return {s["kind"]: (s["source"], s["observed_on"]) for s in signals}

    async with team_session(database, team) as session:
        await session.execute(
            text("update properties set derived_signals = '{}' where id = :id"), {"id": pid}
        )
        found = await scoring.rescore(session, team_id=team, property_id=pid)
        assert (found.derived_added, found.derived_removed) == (2, 0)
        await session.execute(
            text(
                "update properties set derived_signals = "
                '\'{"high_equity": "2025-01-02", "free_and_clear": "2025-03-04", '
                '"long_tenure": "2024-05-06"}\' where id = :id'
            ),
            {"id": pid},
        )
        # Forty days on: the two that hold keep their dates; long tenure (no sale date) goes.
        again = await scoring.rescore(session, team_id=team, property_id=pid, at=later)
        assert (again.derived_added, again.derived_removed) == (0, 1)
        kept = await session.scalar(select(Property.derived_signals).where(Property.id == pid))
        assert kept == {"high_equity": "2025-01-02", "free_and_clear": "2025-03-04"}

    mine = await client.post(url, json={"kind": "high_equity"}, headers=admin.headers)
    assert mine.status_code == 201
    assert await listed() == {
        "high_equity": ("manual", days_ago(0)),
        "free_and_clear": ("derived", "2025-03-04"),
    }
    score = (await client.get(f"/api/v1/properties/{pid}/score", headers=admin.headers)).json()
    assert [f["kind"] for f in score["factors"]].count("high_equity") == 1
    assert score["score"] == score["stored_score"]

    # Removed in a session that then shows the breakdown (as the property page does): the
    # record's high equity is back, with its first date, in that same session.
    async with team_session(database, team) as session:
        viewer = await session.scalar(select(Membership).where(Membership.team_id == team))
        assert viewer is not None
        # The page holds the lead it showed (a lead nothing holds is read afresh).
        shown = await scoring.score_breakdown(session, team_id=team, property_id=pid, viewer=viewer)
        score_shown = shown.breakdown.score
        await scoring.remove_signal(session, team_id=team, property_id=pid, viewer=viewer, kind="high_equity")
        after = await scoring.score_breakdown(session, team_id=team, property_id=pid, viewer=viewer)
        evidence = {f.kind: f.evidence.source for f in after.breakdown.factors}
        assert evidence == {"high_equity": "derived", "free_and_clear": "derived"}
        assert after.prop is shown.prop and after.breakdown.score == after.prop.score != score_shown
    assert await listed() == {
        "high_equity": ("derived", "2025-01-02"),
        "free_and_clear": ("derived", "2025-03-04"),
    }


async def test_equity_gate_and_cap_in_the_answer(client: httpx.AsyncClient, admin: Member) -> None:
    thin = await create(
        client, admin, address="9 Thin Equity Rd", estimated_value="200000", mortgage_balance="180000"
    )
    for kind in ("pre_foreclosure", "probate", "vacant"):
        made = await client.post(
            f"/api/v1/properties/{thin['id']}/signals", json={"kind": kind}, headers=admin.headers
        )
        assert made.status_code == 201, made.text
    score = (await client.get(f"/api/v1/properties/{thin['id']}/score", headers=admin.headers)).json()
    # 70 points, equity 10 % under a 20 % gate: half of them.
    assert score["points"] == 70.0 and score["gate"]["applied"] and score["gate"]["factor"] == 0.5
    assert score["score"] == 35 == sum(f["contribution"] for f in score["factors"])

    rich = await create(
        client, admin, address="10 Free Clear Ct", mortgage_balance="0", last_sale_date="1990-05-01"
    )
    for kind in ("pre_foreclosure", "probate", "vacant", "divorce", "tax_delinquent"):
        await client.post(
            f"/api/v1/properties/{rich['id']}/signals", json={"kind": kind}, headers=admin.headers
        )
    score = (await client.get(f"/api/v1/properties/{rich['id']}/score", headers=admin.headers)).json()
    kinds = {f["kind"] for f in score["factors"]}
    assert {"free_and_clear", "high_equity", "long_tenure"} <= kinds
    assert score["capped"] and score["score"] == 100 == sum(f["contribution"] for f in score["factors"])


async def test_signal_requests_that_fail(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create(client, admin)
    url = f"/api/v1/properties/{prop['id']}/signals"
    bad_kind = await client.post(url, json={"kind": "haunted"}, headers=admin.headers)
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["details"][0]["field"] == "kind"
    future = await client.post(
        url, json={"kind": "vacant", "observed_on": days_ago(-3)}, headers=admin.headers
    )
    assert future.status_code == 422 and future.json()["error"]["details"] == {"field": "observed_on"}
    extra = await client.post(url, json={"kind": "vacant", "source": "derived"}, headers=admin.headers)
    assert extra.status_code == 422
    missing = await client.delete(f"{url}/probate", headers=admin.headers)
    assert missing.status_code == 404 and missing.json()["error"]["details"] == {"kind": "probate"}
    assert (await client.delete(f"{url}/haunted", headers=admin.headers)).status_code == 422
    nowhere = f"/api/v1/properties/{uuid.uuid4()}"
    assert (await client.get(f"{nowhere}/signals", headers=admin.headers)).status_code == 404
    assert (await client.get(f"{nowhere}/score", headers=admin.headers)).status_code == 404
    # Another team's property is not found, whatever the caller's role.
    other = await register(client)
    for method, path, body in (
        ("GET", url, None),
        ("POST", url, {"kind": "vacant"}),
        ("DELETE", f"{url}/vacant", None),
        ("GET", f"/api/v1/properties/{prop['id']}/score", None),
    ):
        answer = await client.request(method, path, json=body, headers=other.headers)
        assert answer.status_code == 404, (method, path, answer.text)
    assert (await client.get(url)).status_code == 401


async def test_weights_need_the_right_role_and_valid_values(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    got = await client.get("/api/v1/scoring/settings", headers=admin.headers)
    assert got.status_code == 200
    body = got.json()
    assert body["version"] == 1 and body["equity_gate_percent"] == 20
    assert body["weights"]["pre_foreclosure"] == {"weight": 30, "half_life_days": 180}
    assert set(body["weights"]) == set(SIGNAL_KINDS)

    agent = await add_member(client, database, admin, role="agent")
    assert (await client.get("/api/v1/scoring/settings", headers=agent.headers)).status_code == 200
    refused = await client.put(
        "/api/v1/scoring/settings", json={"equity_gate_percent": 10}, headers=agent.headers
    )
    assert refused.status_code == 403 and refused.json()["error"]["details"]["action"] == "edit_score_weights"
    assert (await client.post("/api/v1/scoring/preview", json={}, headers=agent.headers)).status_code == 403

    for wrong, field in (
        ({"weights": {"probate": {"weight": 101, "half_life_days": 30}}}, "weights.probate.weight"),
        ({"weights": {"probate": {"weight": 10, "half_life_days": 0}}}, "weights.probate.half_life_days"),
        ({"weights": {"haunted": {"weight": 10, "half_life_days": 10}}}, "weights.haunted"),
        ({"equity_gate_percent": -1}, "equity_gate_percent"),
    ):
        answer = await client.put("/api/v1/scoring/settings", json=wrong, headers=admin.headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"][0]["field"].startswith(field), answer.text

    # Nothing changed: no new version, no job.
    same = await client.put(
        "/api/v1/scoring/settings", json={"equity_gate_percent": 20}, headers=admin.headers
    )
    assert same.json()["version"] == 1 and same.json()["rescore_job_id"] is None


async def test_a_weight_change_rescores_the_team_through_a_job(
    client: httpx.AsyncClient, admin: Member
) -> None:
    vacant = await create(client, admin, address="1 Empty Ln", estimated_value=None, mortgage_balance=None)
    probate = await create(client, admin, address="2 Estate Ct", estimated_value=None, mortgage_balance=None)
    await client.post(
        f"/api/v1/properties/{vacant['id']}/signals", json={"kind": "vacant"}, headers=admin.headers
    )
    await client.post(
        f"/api/v1/properties/{probate['id']}/signals", json={"kind": "probate"}, headers=admin.headers
    )
    ranked = [
        (await client.get(f"/api/v1/properties/{p['id']}", headers=admin.headers)).json()["score"]
        for p in (vacant, probate)
    ]
    assert ranked == [15, 25]

    proposal = {"weights": {"vacant": {"weight": 60, "half_life_days": 180}}}
    preview = await client.post("/api/v1/scoring/preview", json=proposal, headers=admin.headers)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["total"] == 2 and shown["changed"] == 1 and shown["dropped"] == []
    top = shown["items"][0]
    assert top["property_id"] == vacant["id"]
    assert (top["rank_before"], top["rank_after"], top["score_before"], top["score_after"]) == (2, 1, 15, 60)
    # A preview writes nothing.
    assert (await client.get(f"/api/v1/properties/{vacant['id']}", headers=admin.headers)).json()[
        "score"
    ] == 15

    saved = await client.put("/api/v1/scoring/settings", json=proposal, headers=admin.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2 and saved.json()["rescore_job_id"] is not None
    assert saved.json()["weights"]["vacant"] == {"weight": 60, "half_life_days": 180}
    await run_jobs()
    assert (await client.get(f"/api/v1/properties/{vacant['id']}", headers=admin.headers)).json()[
        "score"
    ] == 60
    score = (await client.get(f"/api/v1/properties/{vacant['id']}/score", headers=admin.headers)).json()
    assert score["version"] == 2 and score["score"] == score["stored_score"] == 60
    audit = await client.get(
        "/api/v1/audit", params={"action": "scoring.settings_changed"}, headers=admin.headers
    )
    assert audit.status_code == 200, audit.text
    (event,) = audit.json()["items"]
    assert event["details"]["weights"]["vacant"]["to"] == {"weight": 60, "half_life_days": 180}


async def test_a_rescoring_whose_part_fails_on_a_deadlock_runs_again_to_the_end(
    client: httpx.AsyncClient, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deadlock with a writer outside the leads lock, or a lost connection, had failed the job
    at once (the parts' error came wrapped in an ExceptionGroup, and rescoring retried nothing),
    leaving scores half written with nothing to finish them."""
    from sqlalchemy.exc import OperationalError

    from reos.jobs import queue

    vacant = await create(client, admin, address="1 Empty Ln", estimated_value=None, mortgage_balance=None)
    await client.post(
        f"/api/v1/properties/{vacant['id']}/signals", json={"kind": "vacant"}, headers=admin.headers
    )
    real, calls = scoring.rescore, []

    async def flaky(session: Any, **kwargs: Any) -> scoring.RescoreResult:
        calls.append(kwargs.get("ids"))
        if len(calls) == 1:
            raise OperationalError(
                "update properties", {}, psycopg.errors.DeadlockDetected("deadlock detected")
            )
        return await real(session, **kwargs)

    monkeypatch.setattr(scoring, "rescore", flaky)
    monkeypatch.setattr(queue.runtime, "retry_base_seconds", 0)
    proposal = {"weights": {"vacant": {"weight": 60, "half_life_days": 180}}}
    assert (
        await client.put("/api/v1/scoring/settings", json=proposal, headers=admin.headers)
    ).status_code == 200
    await run_jobs()
    assert len(calls) >= 2
    assert (await client.get(f"/api/v1/properties/{vacant['id']}", headers=admin.headers)).json()[
        "score"
    ] == 60
    failed = await client.get("/api/v1/jobs/failed", headers=admin.headers)
    assert failed.status_code == 200 and failed.json()["items"] == []


async def test_rescores_wait_one_at_a_time_per_team(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    from reos.scoring.jobs import defer_rescore

    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        first = await defer_rescore(session, team_id=uuid.UUID(admin.team_id))
        second = await defer_rescore(session, team_id=uuid.UUID(admin.team_id))
        # The refused duplicate left the transaction usable.
        assert await session.scalar(text("select 1")) == 1
    assert first is not None and second is None
    await run_jobs()


# --- the demo team: SQL and Python agree ------------------------------------------------------


@pytest.fixture(scope="module")
def demo_urls(db_urls: Urls) -> Iterator[tuple[str, str]]:
    name = f"reos_scoring_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db_urls.owner_libpq, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    app, owner = _with_database(db_urls.app, name), _with_database(db_urls.owner, name)
    try:
        migrate.upgrade(owner, app)
        yield app, owner
    finally:
        with psycopg.connect(db_urls.owner_libpq, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
async def demo_team(demo_urls: tuple[str, str]) -> AsyncIterator[tuple[Database, uuid.UUID]]:
    app, owner = demo_urls
    assert await demo.load(app, owner, only_if_empty=True)
    database = make_database(app, owner)
    async with team_session(database, None) as session:
        account = await teams.get_account_by_email(session, demo.ADMIN_EMAIL)
        assert account is not None
        (team,) = await teams.account_teams(session, account.id)
    yield database, team.id
    await database.dispose()


async def test_sql_rescoring_agrees_with_the_python_breakdown_on_the_demo_team(
    demo_team: tuple[Database, uuid.UUID],
) -> None:
    database, team_id = demo_team
    at = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    as_of = at.date()
    rng = random.Random(5)
    async with team_session(database, team_id) as session:
        ids = list(await session.scalars(select(Property.id).where(Property.team_id == team_id)))
        # The demo's lists brought some signals already; a property has one of each kind.
        had = {(pid, kind) for pid, kind in await session.execute(select(Signal.property_id, Signal.kind))}
        assert {kind for _, kind in had} >= {"tax_delinquent", "vacant", "pre_foreclosure", "probate"}
        # More as imports bring them: a third of the leads, any kinds, dated from years ago
        # to next week, so decay, the cap and the future all occur.
        for pid in rng.sample(ids, len(ids) // 3):
            for kind in rng.sample(SIGNAL_KINDS, rng.randint(1, 6)):
                if (pid, kind) in had:
                    continue
                session.add(
                    Signal(
                        team_id=team_id,
                        property_id=pid,
                        kind=kind,
                        source="import",
                        observed_on=as_of - timedelta(days=rng.randint(-7, 4000)),
                        detail={},
                    )
                )
    odd = {k: rules.KindWeight(rng.randint(0, 100), rng.randint(1, 3000)) for k in SIGNAL_KINDS}
    async with team_session(database, team_id) as session:
        from reos.scoring.models import ScoringSettings

        session.add(
            ScoringSettings(
                team_id=team_id, weights=rules.weights_to_json(odd), equity_gate_percent=35, version=7
            )
        )
    async with team_session(database, team_id) as session:
        result = await scoring.rescore_team(session, team_id=team_id, at=at)
    # The demo derived its signals when it loaded, as of today; as of March the tenure cutoff
    # is earlier, so some leads lose `long_tenure`.
    assert result.changed > len(ids) // 3 and result.derived_removed > 0
    async with team_session(database, team_id) as session:
        props = list(await session.scalars(select(Property).where(Property.team_id == team_id)))
        by_property: dict[uuid.UUID, list[Signal]] = defaultdict(list)
        for s in await session.scalars(select(Signal).where(Signal.team_id == team_id)):
            by_property[s.property_id].append(s)
        settings = await scoring.get_settings(session, team_id=team_id)
    assert settings.version == 7 and settings.weights == odd
    assert all(s.source in ("import", "manual") for rows in by_property.values() for s in rows)
    derived_kinds = {k for prop in props for k in prop.derived_signals}
    assert derived_kinds == {
        "absentee_owner",
        "out_of_state_owner",
        "high_equity",
        "free_and_clear",
        "long_tenure",
    }
    disagree = []
    gated = capped = 0
    for prop in props:
        explained = scoring.explain(prop, by_property[prop.id], settings, as_of)
        b = explained.breakdown
        assert sum(f.contribution for f in b.factors) == b.score
        gated += b.gate.applied and b.points > 0
        capped += b.capped
        # The breakdown counts the recorded signals and the lead's derived ones (a recorded one
        # of the same kind wins), one factor each.
        counted = [f.kind for f in b.factors]
        assert len(counted) == len(set(counted))
        if b.score != prop.score or sorted(prop.signal_kinds) != sorted(counted):
            disagree.append((prop.id, prop.score, b.score))
    assert disagree == []
    assert len(props) > 4000 and gated > 0 and capped > 0
    # A second run with nothing new writes nothing.
    async with team_session(database, team_id) as session:
        again = await scoring.rescore_team(session, team_id=team_id, at=at)
    assert (again.changed, again.derived_added, again.derived_removed) == (0, 0, 0)


async def test_rescoring_in_parts_ends_where_one_pass_ends(demo_team: tuple[Database, uuid.UUID]) -> None:
    """The job rescores a team in id ranges on two connections, each range committing apart;
    the scores, kinds and derived signals must be exactly those of one whole-team statement."""
    from reos.scoring.jobs import rescore_in_parts

    database, team_id = demo_team
    at = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)

    async def reset() -> None:
        async with team_session(database, team_id) as session:
            await session.execute(
                text("update properties set score = 0, signal_kinds = '{}', derived_signals = '{}'")
            )

    async def state() -> dict[uuid.UUID, tuple[int, list[str], dict[str, str]]]:
        async with team_session(database, team_id) as session:
            return {
                r.id: (r.score, list(r.signal_kinds), r.derived_signals)
                for r in await session.execute(
                    select(Property.id, Property.score, Property.signal_kinds, Property.derived_signals)
                )
            }

    await reset()
    async with team_session(database, team_id) as session:
        whole = await scoring.rescore_team(session, team_id=team_id, at=at)
    expected = await state()
    await reset()
    progress: list[tuple[int, int]] = []

    async def report(done: int, total: int) -> None:
        progress.append((done, total))

    run = await rescore_in_parts(database, team_id=team_id, at=at, parts=7, progress=report)
    assert await state() == expected
    assert (run.result, run.parts) == (whole, 7)
    assert sorted(progress) == [(i, 7) for i in range(1, 8)]
    assert whole.changed > 1000 and whole.derived_added > 1000
    again = await rescore_in_parts(database, team_id=team_id, at=at)
    assert again.parts == 1 and again.result == scoring.RescoreResult(0, 0, 0)


async def test_a_settings_change_rescores_from_the_stored_signals_to_the_full_result(
    demo_team: tuple[Database, uuid.UUID],
) -> None:
    """After a change of weights or the gate the job scores from the signals as stored and
    derives nothing; with the derived signals current, that is exactly what the full rescoring
    would write: it finds nothing left to change, on every lead of the demo team."""
    from reos.scoring.jobs import rescore_in_parts
    from reos.scoring.models import ScoringSettings

    database, team_id = demo_team
    at = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    await rescore_in_parts(database, team_id=team_id, at=at)  # derived signals current as of `at`
    rng = random.Random(11)
    broad = {k: rules.KindWeight(rng.randint(0, 100), rng.randint(30, 3000)) for k in SIGNAL_KINDS}
    async with team_session(database, team_id) as session:
        row = await session.scalar(select(ScoringSettings).where(ScoringSettings.team_id == team_id))
        if row is None:
            row = ScoringSettings(team_id=team_id, version=1)
            session.add(row)
        row.weights, row.equity_gate_percent = rules.weights_to_json(broad), 45

    derived = select(Property.id, Property.derived_signals).where(Property.derived_signals != {})
    async with team_session(database, team_id) as session:
        derived_before = {r.id: r.derived_signals for r in await session.execute(derived)}
    stored = await rescore_in_parts(database, team_id=team_id, at=at, parts=3, derive=False)
    assert stored.result.changed > 1000
    assert (stored.result.derived_added, stored.result.derived_removed) == (0, 0)
    async with team_session(database, team_id) as session:
        assert {r.id: r.derived_signals for r in await session.execute(derived)} == derived_before
        full = await scoring.rescore_team(session, team_id=team_id, at=at)
    assert full == scoring.RescoreResult(0, 0, 0)


async def test_a_waiting_score_only_rescoring_never_swallows_a_full_one(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    """Weight changes queue the scores alone; an import queues the full rescoring. Each kind
    has its own queueing lock: a score-only run waiting must not make an import's run a
    duplicate, or the import's leads would never get their derived signals."""
    from reos.scoring.jobs import defer_rescore

    team = uuid.UUID(admin.team_id)
    proposal = {"weights": {"vacant": {"weight": 60, "half_life_days": 180}}}
    saved = await client.put("/api/v1/scoring/settings", json=proposal, headers=admin.headers)
    assert saved.json()["rescore_job_id"] is not None
    async with team_session(database, team) as session:
        full = await defer_rescore(session, team_id=team)
        again = await defer_rescore(session, team_id=team, derive=False)
    assert full is not None and again is None
    async with team_session(database, None) as session:
        waiting = await session.execute(
            text(
                "select task_name, lock from procrastinate_jobs "
                "where args->>'team_id' = :team and status = 'todo'"
            ),
            {"team": admin.team_id},
        )
        # Both wait, and under one execution lock they run one after the other: a score-only
        # run beside a full one would read the signals the full one is rewriting.
        lock = f"scoring.rescore:{admin.team_id}"
        assert sorted(tuple(r) for r in waiting) == [
            ("scoring.rescore_scores", lock),
            ("scoring.rescore_team", lock),
        ]
    await run_jobs()


async def test_part_ranges_split_the_team_evenly_and_cover_every_id(
    demo_team: tuple[Database, uuid.UUID],
) -> None:
    """Bounds come from the team's own ids: time-ordered ids share a narrow band of the UUID
    space, where equal-width ranges would put the whole team in one part."""
    database, team_id = demo_team
    async with team_session(database, team_id) as session:
        ids = sorted(await session.scalars(select(Property.id)))
        ranges = await scoring.part_ranges(session, team_id=team_id, parts=4)
        assert await scoring.part_ranges(session, team_id=team_id) == [(uuid.UUID(int=0), None)]
    assert len(ids) > 100 and len(ranges) == 4
    assert ranges[0][0] == uuid.UUID(int=0) and ranges[-1][1] is None
    assert all(hi == lo for (_, hi), (lo, _) in itertools.pairwise(ranges))
    sizes = [sum(lo <= i and (hi is None or i < hi) for i in ids) for lo, hi in ranges]
    assert sum(sizes) == len(ids) and max(sizes) - min(sizes) <= 3, sizes
    for probe in [*(uuid.uuid4() for _ in range(100)), *(new_id() for _ in range(100))]:
        assert sum(lo <= probe and (hi is None or probe < hi) for lo, hi in ranges) == 1


class _RolledBack(Exception):
    """Ends a team session without committing what it wrote."""


async def test_the_preview_read_in_parts_ranks_as_the_whole_team_would(
    demo_team: tuple[Database, uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview reads the team in id ranges on two connections and ranks from each part's
    counts per score: its ranks, scores and counts must be exactly those of sorting every live
    lead of the demo team by (score, id), before (the scores a rescoring writes today) and after
    (those a rescoring under the proposal writes, rolled back)."""
    from reos.scoring.jobs import rescore_in_parts
    from reos.scoring.schemas import KindWeightIn, ScoringSettingsUpdate

    database, team_id = demo_team
    await rescore_in_parts(database, team_id=team_id)
    proposal = ScoringSettingsUpdate(
        weights={
            "vacant": KindWeightIn(weight=100, half_life_days=30),
            "absentee_owner": KindWeightIn(weight=0, half_life_days=365),
        },
        equity_gate_percent=60,
    )
    live = select(Property.id, Property.score).where(
        Property.deleted_at.is_(None), Property.merged_into_id.is_(None)
    )
    async with team_session(database, team_id) as session:
        before = {r.id: r.score for r in await session.execute(live)}
        weights, gate = scoring.merged(await scoring.get_settings(session, team_id=team_id), proposal)
    after: dict[uuid.UUID, int] = {}
    with pytest.raises(_RolledBack):
        async with team_session(database, team_id) as session:
            await scoring.rescore(session, team_id=team_id, weights=weights, gate=gate, derive=False)
            after.update({r.id: r.score for r in await session.execute(live)})
            raise _RolledBack

    limit = 10
    by_before = sorted(before, key=lambda i: (-before[i], i))
    by_after = sorted(after, key=lambda i: (-after[i], i))
    rank_before = {i: n for n, i in enumerate(by_before, 1)}
    rank_after = {i: n for n, i in enumerate(by_after, 1)}

    def shown(i: uuid.UUID) -> tuple[uuid.UUID, int, int, int, int]:
        return i, rank_before[i], rank_after[i], before[i], after[i]

    expected_items = [shown(i) for i in by_after[:limit]]
    expected_dropped = [shown(i) for i in by_before[:limit] if rank_after[i] > limit]
    # The case is worth testing: leads leave the top, and the shown scores are shared by leads
    # in other parts.
    assert expected_dropped and len(set(after.values())) < len(after) // 10

    monkeypatch.setattr(scoring, "LEADS_PER_PART", 37)
    async with team_session(database, team_id) as session:
        assert len(await scoring.part_ranges(session, team_id=team_id)) > 3
        found = await scoring.preview(session, database, team_id=team_id, data=proposal, limit=limit)
    got = [(r.property_id, r.rank_before, r.rank_after, r.score_before, r.score_after) for r in found.items]
    assert got == expected_items
    got = [(r.property_id, r.rank_before, r.rank_after, r.score_before, r.score_after) for r in found.dropped]
    assert got == expected_dropped
    assert found.total == len(before)
    assert found.changed == sum(before[i] != after[i] for i in before) > 0


def test_derived_rules_are_documented() -> None:
    doc = scoring.__doc__ or ""
    assert f"{rules.HIGH_EQUITY_PERCENT} %" in doc and f"{rules.LONG_TENURE_YEARS} or more years" in doc
    assert date(2024, 2, 29) > scoring._years_before(date(2024, 2, 29), 15)
