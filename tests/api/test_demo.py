"""The demo team: loaded into a fresh database as `reos demo` does, then its shape checked —
real places, an owner on every lead, a funnel, history that agrees with the leads, tasks
around now, and the same book on every load."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest
import zipcodes
from psycopg import sql
from sqlalchemy import func, select, text

from reos import demo
from reos.contacts.models import Contact, ContactPoint, PropertyContact
from reos.db import migrate
from reos.db.session import Database, make_database, team_session
from reos.properties.models import Property
from reos.scoring import service as scoring
from reos.scoring.models import Signal
from reos.tasks.models import Task
from reos.teams import service as teams
from reos.teams.models import Market
from reos.timeline.models import Note, PropertyEvent
from tests.fixtures.db import Urls, _with_database


@dataclass(frozen=True)
class Demo:
    database: Database
    team_id: uuid.UUID
    loaded_at: datetime


@pytest.fixture(scope="module")
def demo_urls(db_urls: Urls) -> Iterator[tuple[str, str]]:
    """A database of its own (the demo admin's email is instance-wide), migrated."""
    name = f"reos_demo_{uuid.uuid4().hex[:8]}"
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
async def loaded(demo_urls: tuple[str, str]) -> AsyncIterator[Demo]:
    app, owner = demo_urls
    loaded_at = datetime.now(UTC)
    assert await demo.load(app, owner, only_if_empty=True)
    # A second load finds the demo there and changes nothing.
    assert not await demo.load(app, owner, only_if_empty=False)
    database = make_database(app, owner)
    async with team_session(database, None) as session:
        account = await teams.get_account_by_email(session, demo.ADMIN_EMAIL)
        assert account is not None
        (team,) = await teams.account_teams(session, account.id)
    yield Demo(database, team.id, loaded_at)
    await database.dispose()


async def test_about_five_thousand_leads_over_real_zip_codes_and_counties(loaded: Demo) -> None:
    async with team_session(loaded.database, loaded.team_id) as session:
        places = (
            await session.execute(
                select(Property.zip_code, Property.city, Property.county, Property.state, func.count())
                .where(Property.team_id == loaded.team_id)
                .group_by(Property.zip_code, Property.city, Property.county, Property.state)
            )
        ).all()
        markets = (await session.scalars(select(Market).where(Market.team_id == loaded.team_id))).all()
        in_markets = await session.scalar(
            select(func.count()).where(Property.team_id == loaded.team_id, Property.market_id.is_not(None))
        )
    assert sum(n for *_, n in places) == demo.PROPERTY_COUNT == 5000
    assert len(places) > 300  # spread over many ZIPs, not a handful
    for zip_code, city, county, state, _n in places:
        (real,) = zipcodes.matching(zip_code)
        assert (real["state"], real["county"], real["city"]) == (state, f"{county} County", city), zip_code
    # Leads in a market lie in one of its counties.
    assert len(markets) >= 5 and in_markets and in_markets > 0.9 * demo.PROPERTY_COUNT
    market_counties = {(m.id, s, c) for m in markets for s in m.states for c in m.counties}
    async with team_session(loaded.database, loaded.team_id) as session:
        placed = (
            await session.execute(
                select(Property.market_id, Property.state, Property.county)
                .where(Property.team_id == loaded.team_id, Property.market_id.is_not(None))
                .distinct()
            )
        ).all()
    assert {tuple(r) for r in placed} <= market_counties


async def test_the_first_lead_is_the_one_the_docs_and_tests_know(loaded: Demo) -> None:
    async with team_session(loaded.database, loaded.team_id) as session:
        found = (
            await session.scalars(
                select(Property).where(
                    Property.team_id == loaded.team_id, Property.address.ilike("4417 Quillfeather Ln")
                )
            )
        ).all()
    assert len(found) == 1
    first = found[0]
    assert (first.city, first.state, first.zip_code, first.county) == ("Tampa", "FL", "33610", "Hillsborough")
    assert (first.bedrooms, first.square_feet, first.year_built, first.stage) == (3, 1480, 1986, "new")


async def test_leads_are_scored_on_load_with_the_signals_their_lists_brought(loaded: Demo) -> None:
    """`make run` opens on a ranked list: imported signals with their list and date, the derived
    ones from the record, and every score what the breakdown on the property page adds up to."""
    async with team_session(loaded.database, loaded.team_id) as session:
        kinds = dict(
            (
                await session.execute(
                    select(Signal.kind, func.count()).where(Signal.source == "import").group_by(Signal.kind)
                )
            ).all()
        )
        derived = set(
            await session.scalars(
                select(func.jsonb_object_keys(Property.derived_signals)).where(
                    Property.team_id == loaded.team_id
                )
            )
        )
        scored = await session.scalar(select(func.count()).where(Property.score > 0))
        today = loaded.loaded_at.date()
        future = await session.scalar(select(func.count()).where(Signal.observed_on > today))
        best = list(await session.scalars(select(Property).order_by(Property.score.desc()).limit(20)))
        for prop in best:
            explained = await scoring.score_breakdown(
                session, team_id=loaded.team_id, property_id=prop.id, viewer=None
            )
            assert explained.breakdown.score == prop.score, prop.address
            assert sum(f.contribution for f in explained.breakdown.factors) == prop.score
    assert set(demo.IMPORTED_SIGNALS) <= set(kinds) and all(n >= 20 for n in kinds.values())
    assert derived == {"absentee_owner", "out_of_state_owner", "high_equity", "free_and_clear", "long_tenure"}
    assert scored is not None and scored > 0.8 * demo.PROPERTY_COUNT
    assert best[0].score >= 60 and future == 0


async def test_every_lead_has_an_owner_with_facts_and_points(loaded: Demo) -> None:
    async with team_session(loaded.database, loaded.team_id) as session:
        ownerless = await session.scalar(
            select(func.count())
            .select_from(Property)
            .where(
                Property.team_id == loaded.team_id,
                ~select(PropertyContact.id)
                .where(PropertyContact.property_id == Property.id, PropertyContact.role == "owner")
                .exists(),
            )
        )
        roles = dict(
            (
                await session.execute(
                    select(PropertyContact.role, func.count()).group_by(PropertyContact.role)
                )
            ).all()
        )
        kinds = dict((await session.execute(select(Contact.kind, func.count()).group_by(Contact.kind))).all())
        entities = (await session.scalars(select(Contact.entity_name).where(Contact.kind == "entity"))).all()
        points = (await session.execute(select(ContactPoint))).scalars().all()
        facts = (
            await session.execute(
                select(
                    func.count(Property.apn),
                    func.count(Property.mortgage_balance),
                    func.count(Property.last_sale_date),
                    func.count(Property.assessed_value),
                    func.count(Property.latitude),
                    func.count().filter(func.cardinality(Property.tags) > 0),
                    func.count(Property.assigned_to_id),
                )
            )
        ).one()
    assert ownerless == 0
    assert {"owner", "co_owner", "heir", "tenant"} <= set(roles)
    assert kinds["person"] > kinds["entity"] > 0
    assert any(e.endswith("LLC") for e in entities) and any("Trust" in e for e in entities)
    assert any(e.startswith("Estate of") for e in entities)
    phones = [p for p in points if p.kind == "phone"]
    emails = [p for p in points if p.kind == "email"]
    assert len(phones) > 2 * demo.PROPERTY_COUNT and emails
    assert all(re.fullmatch(r"\+1[2-9]\d{2}555\d{4}", p.value) for p in phones)
    assert all(re.fullmatch(r"[a-z.0-9]+@example\.(com|net|org)", p.value) for p in emails)
    assert {p.status for p in phones} == {"valid", "wrong", "unknown"}
    assert {p.line_type for p in phones} == {"mobile", "landline", "voip", "unknown"}
    assert any(p.dnc for p in phones) and all(p.dnc_checked_at for p in phones if p.dnc)
    n = demo.PROPERTY_COUNT
    assert all(count > 0.5 * n for count in facts[:5]) and facts[5] > 0.5 * n and facts[6] > 0.3 * n


async def test_the_pipeline_is_a_funnel(loaded: Demo) -> None:
    async with team_session(loaded.database, loaded.team_id) as session:
        stages = dict(
            (await session.execute(select(Property.stage, func.count()).group_by(Property.stage))).all()
        )
    funnel = [stages[s] for s in ("new", "outreach", "qualified", "negotiation", "under_contract")]
    assert funnel == sorted(funnel, reverse=True) and len(set(funnel)) == len(funnel)
    assert stages["new"] + stages["outreach"] > demo.PROPERTY_COUNT / 2
    assert all(stages[s] > 0 for s in ("closed_won", "closed_lost", "archived"))


async def test_timelines_agree_with_the_leads(loaded: Demo) -> None:
    async with team_session(loaded.database, loaded.team_id) as session:
        without_history = await session.scalar(
            select(func.count())
            .select_from(Property)
            .where(~select(PropertyEvent.id).where(PropertyEvent.property_id == Property.id).exists())
        )
        kinds = dict(
            (
                await session.execute(select(PropertyEvent.kind, func.count()).group_by(PropertyEvent.kind))
            ).all()
        )
        last_move = (
            select(
                PropertyEvent.property_id,
                func.max(PropertyEvent.at).label("at"),
            )
            .where(PropertyEvent.kind == "stage_changed")
            .group_by(PropertyEvent.property_id)
            .subquery()
        )
        rows = (
            await session.execute(
                select(
                    Property.stage, Property.stage_changed_at, Property.created_at, last_move.c.at
                ).outerjoin(last_move, last_move.c.property_id == Property.id)
            )
        ).all()
        last_targets = (
            await session.execute(
                text(
                    "select p.stage, e.data from properties p join lateral ("
                    " select data from property_events e where e.property_id = p.id"
                    " and e.kind = 'stage_changed' order by at desc limit 1) e on true"
                )
            )
        ).all()
        late = await session.scalar(select(func.max(PropertyEvent.at)))
        notes = await session.scalar(select(func.count()).select_from(Note))
    assert without_history == 0
    assert kinds["created"] == demo.PROPERTY_COUNT and kinds["stage_changed"] and kinds["assigned"]
    assert kinds["edited"]
    for stage, changed_at, created_at, moved_at in rows:
        assert changed_at == (moved_at or created_at)
        if moved_at is None:
            assert stage == "new"
    assert all(data["to"] == stage and data["from"] and data["reason"] for stage, data in last_targets)
    assert late is not None and late <= datetime.now(UTC)
    assert notes and notes > demo.PROPERTY_COUNT / 2


async def test_tasks_sit_around_now(loaded: Demo) -> None:
    now = datetime.now(UTC)
    async with team_session(loaded.database, loaded.team_id) as session:
        tasks = (await session.execute(select(Task))).scalars().all()
    open_tasks = [t for t in tasks if t.status == "open"]
    overdue = [t for t in open_tasks if t.due_at < loaded.loaded_at]
    assert overdue and len(overdue) < len(open_tasks)
    assert any(t.due_at > now for t in open_tasks)
    assert any(t.sla_due_at and t.sla_due_at < loaded.loaded_at for t in open_tasks)
    assert {t.priority for t in tasks} == {"low", "normal", "high", "urgent"}
    done = [t for t in tasks if t.status == "done"]
    assert done and all(t.completed_at and t.completed_by_id for t in done)
    assert all(t.completed_at <= now for t in done if t.completed_at)
    assert all(t.assignee_id for t in open_tasks)


def test_the_book_is_the_same_on_every_load() -> None:
    members = demo._Members(*(str(uuid.UUID(int=n)) for n in range(1, 5)))
    now = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
    team = uuid.UUID(int=99)
    one, two = (demo._Book(team_id=team, members=members, now=now) for _ in range(2))
    one.build(300)
    two.build(300)
    assert one.properties == two.properties and one.points == two.points and one.tasks == two.tasks
