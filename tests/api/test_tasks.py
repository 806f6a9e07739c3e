"""The tasks API: create (also from a note or a timeline event in one call), views, complete,
reopen, snooze, reassign, cancel; agents limited to their leads; the deadline sweep marks and
notifies once, team by team."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from reos.db.session import Database, team_session
from reos.jobs import maintenance
from reos.kit import clock
from reos.notifications.models import Notification
from reos.tasks import service as tasks
from reos.tasks.service import SLA_BY_PRIORITY
from reos.timeline import service as timeline
from tests.fixtures.api import Member, add_member, register

LEAD = {"address": "4417 Quillfeather Ln", "city": "Tampa", "state": "FL", "zip_code": "33610"}
# Tests freeze the clock near the real time: tokens are checked against the same clock.
T0 = datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def error_fields(response: httpx.Response) -> set[str]:
    details = response.json()["error"]["details"]
    return {d["field"] for d in details} if isinstance(details, list) else {details.get("field")}


async def create_property(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    response = await client.post("/api/v1/properties", json=LEAD | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_task(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    body = {"title": "Call the owner", "due_at": iso(clock.now() + timedelta(hours=2))} | fields
    response = await client.post("/api/v1/tasks", json=body, headers=member.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


async def ids(client: httpx.AsyncClient, member: Member, **query: str) -> list[str]:
    response = await client.get("/api/v1/tasks", params=query, headers=member.headers)
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["items"]]


async def my_member_id(client: httpx.AsyncClient, member: Member) -> str:
    members = (await client.get("/api/v1/team/members", headers=member.headers)).json()
    return str(next(m["id"] for m in members if m["email"] == member.email))


async def timeline_kinds(client: httpx.AsyncClient, member: Member, property_id: str) -> list[str]:
    response = await client.get(f"/api/v1/properties/{property_id}/timeline", headers=member.headers)
    assert response.status_code == 200, response.text
    return [i["kind"] for i in response.json()["items"]]


async def notifications_of(database: Database, team_id: str, member_id: str, kind: str) -> int:
    async with team_session(database, uuid.UUID(team_id)) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.membership_id == uuid.UUID(member_id), Notification.kind == kind)
        )
    return int(count or 0)


async def overdue_ids(database: Database, team_id: str) -> list[uuid.UUID]:
    """The overdue view read through the service: a long clock shift would expire the API tokens."""
    async with team_session(database, uuid.UUID(team_id)) as session:
        rows, _ = await tasks.list_tasks(session, team_id=uuid.UUID(team_id), viewer=None, view="overdue")
    return [t.id for t in rows]


# --- create ------------------------------------------------------------------------------------


async def test_create_defaults_the_assignee_and_the_sla_from_the_priority(
    client: httpx.AsyncClient, admin: Member
) -> None:
    prop = await create_property(client, admin)
    me = await my_member_id(client, admin)
    with clock.frozen_at(T0):
        tasks = {
            p: await create_task(
                client, admin, priority=p, property_id=prop["id"], due_at=iso(T0 + timedelta(days=1))
            )
            for p in SLA_BY_PRIORITY
        }
    for priority, task in tasks.items():
        assert task["assignee_id"] == me and task["created_by_id"] == me and task["status"] == "open"
        assert datetime.fromisoformat(task["sla_due_at"]) == T0 + SLA_BY_PRIORITY[priority]
    assert SLA_BY_PRIORITY["urgent"] == timedelta(hours=4) and SLA_BY_PRIORITY["low"] == timedelta(days=7)
    explicit = await create_task(client, admin, sla_due_at=iso(clock.now() + timedelta(hours=1)))
    assert datetime.fromisoformat(explicit["sla_due_at"]) < datetime.fromisoformat(explicit["due_at"])
    assert (await client.get(f"/api/v1/tasks/{explicit['id']}", headers=admin.headers)).json() == explicit
    # Each task on the property is on its timeline.
    assert (await timeline_kinds(client, admin, prop["id"])).count("task_created") == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x"}, "due_at"),
        ({"due_at": "2031-01-01T10:00:00Z"}, "title"),
        ({"title": "x", "due_at": "2031-01-01T10:00:00"}, "due_at"),  # no time zone
        ({"title": "x", "due_at": "2031-01-01T10:00:00Z", "priority": "asap"}, "priority"),
        ({"title": "", "due_at": "2031-01-01T10:00:00Z"}, "title"),
        ({"title": "x", "due_at": "2031-01-01T10:00:00Z", "assignee_id": str(uuid.uuid4())}, "assignee_id"),
        ({"title": "x", "due_at": "2031-01-01T10:00:00Z", "contact_id": str(uuid.uuid4())}, "contact_id"),
        ({"title": "x", "due_at": "2031-01-01T10:00:00Z", "colour": "red"}, "colour"),
        (
            {"title": "x", "due_at": "2031-01-01T10:00:00Z", "sla_due_at": "2020-01-01T10:00:00Z"},
            "sla_due_at",
        ),
    ],
)
async def test_create_refuses_bad_input_naming_the_field(
    client: httpx.AsyncClient, admin: Member, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/tasks", json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert field in error_fields(response)


async def test_assignee_and_property_of_another_team_are_refused(
    client: httpx.AsyncClient, admin: Member
) -> None:
    other = await register(client)
    stranger = await my_member_id(client, other)
    their_lead = await create_property(client, other)
    response = await client.post(
        "/api/v1/tasks",
        json={"title": "x", "due_at": iso(clock.now()), "assignee_id": stranger},
        headers=admin.headers,
    )
    assert response.status_code == 422 and error_fields(response) == {"assignee_id"}
    response = await client.post(
        "/api/v1/tasks",
        json={"title": "x", "due_at": iso(clock.now()), "property_id": their_lead["id"]},
        headers=admin.headers,
    )
    assert response.status_code == 404


async def test_a_task_from_a_note_or_an_event_in_one_call(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    prop = await create_property(client, admin)
    note = await client.post(
        f"/api/v1/properties/{prop['id']}/notes",
        json={"body": "Owner says call back after the roof inspection on Friday morning please"},
        headers=admin.headers,
    )
    assert note.status_code == 201, note.text
    due = iso(clock.now() + timedelta(days=1))
    from_note = await create_task(
        client, admin, title=None, due_at=due, source={"kind": "note", "id": note.json()["id"]}
    )
    assert from_note["property_id"] == prop["id"]
    assert from_note["title"] == "Follow up: Owner says call back after the roof inspection…"
    assert (from_note["source_kind"], from_note["source_id"]) == ("note", note.json()["id"])

    # The stage change is recorded through the timeline service, as the pipeline records it.
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        event = await timeline.record_event(
            session,
            team_id=uuid.UUID(admin.team_id),
            property_id=uuid.UUID(prop["id"]),
            kind="stage_changed",
            actor_id=None,
            data={"from": "new", "to": "under_contract", "reason": None},
        )
    event = {"id": str(event.id)}
    from_event = await create_task(
        client, admin, title=None, due_at=due, source={"kind": "event", "id": event["id"]}
    )
    assert from_event["title"] == "Follow up: stage changed to under contract"
    assert from_event["property_id"] == prop["id"]
    titled = await create_task(
        client, admin, title="Send offer", due_at=due, source={"kind": "event", "id": event["id"]}
    )
    assert titled["title"] == "Send offer"

    missing = await client.post(
        "/api/v1/tasks",
        json={"due_at": due, "source": {"kind": "note", "id": str(uuid.uuid4())}},
        headers=admin.headers,
    )
    assert missing.status_code == 404
    other = await create_property(client, admin, address="9 Other St")
    clash = await client.post(
        "/api/v1/tasks",
        json={"due_at": due, "property_id": other["id"], "source": {"kind": "note", "id": note.json()["id"]}},
        headers=admin.headers,
    )
    assert clash.status_code == 422 and error_fields(clash) == {"property_id"}


# --- views -------------------------------------------------------------------------------------


async def test_views_mine_team_overdue_and_sla_breached(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    now = clock.now()
    mine_late = await create_task(client, admin, due_at=iso(now - timedelta(hours=1)))
    mine_soon = await create_task(client, admin, due_at=iso(now + timedelta(hours=1)))
    theirs = await create_task(
        client, admin, due_at=iso(now + timedelta(minutes=30)), assignee_id=agent.member_id, priority="urgent"
    )
    breached = await create_task(
        client, admin, due_at=iso(now + timedelta(days=3)), sla_due_at=iso(now + timedelta(minutes=1))
    )
    assert await ids(client, admin, view="mine") == [mine_late["id"], mine_soon["id"], breached["id"]]
    assert await ids(client, admin) == await ids(client, admin, view="mine")
    assert await ids(client, agent, view="mine") == [theirs["id"]]
    assert await ids(client, agent, view="team") == [
        mine_late["id"],
        theirs["id"],
        mine_soon["id"],
        breached["id"],
    ]
    assert await ids(client, admin, view="team", assignee_id=str(agent.member_id)) == [theirs["id"]]
    assert await ids(client, admin, view="overdue") == [mine_late["id"]]
    assert await ids(client, admin, view="sla_breached") == []
    with clock.shifted(timedelta(minutes=2)):
        assert await ids(client, admin, view="sla_breached") == [breached["id"]]

    # Keyset pages by due time, then id.
    first = await client.get("/api/v1/tasks", params={"view": "team", "limit": 2}, headers=admin.headers)
    cursor = first.json()["next_cursor"]
    assert [t["id"] for t in first.json()["items"]] == [mine_late["id"], theirs["id"]] and cursor
    second = await client.get(
        "/api/v1/tasks", params={"view": "team", "limit": 2, "cursor": cursor}, headers=admin.headers
    )
    assert [t["id"] for t in second.json()["items"]] == [mine_soon["id"], breached["id"]]
    assert second.json()["next_cursor"] is None
    bad = await client.get("/api/v1/tasks", params={"view": "everyone"}, headers=admin.headers)
    assert bad.status_code == 422 and error_fields(bad) == {"query.view"}


# --- actions -----------------------------------------------------------------------------------


async def test_complete_reopen_snooze_reassign_and_cancel(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    prop = await create_property(client, admin)
    task = await create_task(
        client, admin, property_id=prop["id"], due_at=iso(clock.now() - timedelta(minutes=5))
    )
    url = f"/api/v1/tasks/{task['id']}"

    done = await client.post(f"{url}/complete", headers=admin.headers)
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["completed_at"]
    again = await client.post(f"{url}/complete", headers=admin.headers)
    assert again.json()["completed_at"] == done.json()["completed_at"]
    assert (await timeline_kinds(client, admin, prop["id"])).count("task_completed") == 1
    assert task["id"] not in await ids(client, admin, view="mine")
    assert task["id"] in await ids(client, admin, view="mine", status="done")
    snooze_done = await client.post(
        f"{url}/snooze", json={"until": iso(clock.now() + timedelta(hours=1))}, headers=admin.headers
    )
    assert snooze_done.status_code == 409

    reopened = await client.post(f"{url}/reopen", headers=admin.headers)
    assert reopened.json()["status"] == "open" and reopened.json()["completed_at"] is None
    assert await ids(client, admin, view="overdue") == [task["id"]]

    past = await client.post(
        f"{url}/snooze", json={"until": iso(clock.now() - timedelta(minutes=1))}, headers=admin.headers
    )
    assert past.status_code == 422 and error_fields(past) == {"until"}
    until = clock.now() + timedelta(hours=1)
    snoozed = await client.post(f"{url}/snooze", json={"until": iso(until)}, headers=admin.headers)
    assert snoozed.status_code == 200 and datetime.fromisoformat(snoozed.json()["snoozed_until"]) == until
    assert await ids(client, admin, view="overdue") == []
    with clock.shifted(timedelta(hours=1, minutes=1)):
        assert await overdue_ids(database, admin.team_id) == [uuid.UUID(task["id"])]

    given = await client.post(f"{url}/reassign", json={"assignee_id": agent.member_id}, headers=admin.headers)
    assert given.status_code == 200 and given.json()["assignee_id"] == agent.member_id
    assert await notifications_of(database, admin.team_id, str(agent.member_id), "task_assigned") == 1
    stranger = await my_member_id(client, await register(client))
    refused = await client.post(f"{url}/reassign", json={"assignee_id": stranger}, headers=admin.headers)
    assert refused.status_code == 422 and error_fields(refused) == {"assignee_id"}

    changed = await client.patch(
        url, json={"priority": "urgent", "title": "Call today"}, headers=admin.headers
    )
    assert changed.status_code == 200 and changed.json()["title"] == "Call today"
    created = datetime.fromisoformat(task["created_at"])
    assert datetime.fromisoformat(changed.json()["sla_due_at"]) == created + SLA_BY_PRIORITY["urgent"]
    assert (await client.patch(url, json={"due_at": None}, headers=admin.headers)).status_code == 400

    # The agent holds the task now, so may cancel it; a colleague's task takes a manager.
    mine = await create_task(client, admin)
    refused_cancel = await client.delete(f"/api/v1/tasks/{mine['id']}", headers=agent.headers)
    assert refused_cancel.status_code == 403 and refused_cancel.json()["error"]["code"] == "forbidden"
    assert (await client.delete(url, headers=agent.headers)).status_code == 204
    cancelled = (await client.get(url, headers=admin.headers)).json()
    assert cancelled["status"] == "cancelled"
    assert (await client.post(f"{url}/complete", headers=admin.headers)).status_code == 409
    assert (await client.delete(f"/api/v1/tasks/{mine['id']}", headers=admin.headers)).status_code == 204


async def test_agents_limited_to_their_leads_see_only_those_tasks(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    theirs = await create_property(client, admin, assigned_to_id=agent.member_id)
    hidden = await create_property(client, admin, address="12 Hidden Rd")
    on_theirs = await create_task(client, admin, property_id=theirs["id"])
    on_hidden = await create_task(client, admin, property_id=hidden["id"], assignee_id=agent.member_id)
    loose = await create_task(client, admin)
    assert set(await ids(client, agent, view="team")) == {on_theirs["id"], on_hidden["id"], loose["id"]}

    patched = await client.patch(
        "/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers
    )
    assert patched.status_code == 200
    assert set(await ids(client, agent, view="team")) == {on_theirs["id"], loose["id"]}
    assert await ids(client, agent, view="mine") == []
    assert (await client.get(f"/api/v1/tasks/{on_hidden['id']}", headers=agent.headers)).status_code == 404
    assert (
        await client.post(f"/api/v1/tasks/{on_hidden['id']}/complete", headers=agent.headers)
    ).status_code == 404
    listed = await client.get("/api/v1/tasks", params={"property_id": hidden["id"]}, headers=agent.headers)
    assert listed.status_code == 404
    refused = await client.post(
        "/api/v1/tasks",
        json={"title": "x", "due_at": iso(clock.now()), "property_id": hidden["id"]},
        headers=agent.headers,
    )
    assert refused.status_code == 404
    assert (await client.get(f"/api/v1/tasks/{on_theirs['id']}", headers=agent.headers)).status_code == 200
    # Managers see everything.
    assert on_hidden["id"] in await ids(client, admin, view="team")


async def test_viewers_read_but_do_not_write(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    viewer = await add_member(client, database, admin, role="viewer")
    task = await create_task(client, admin)
    assert task["id"] in await ids(client, viewer, view="team")
    response = await client.post(f"/api/v1/tasks/{task['id']}/complete", headers=viewer.headers)
    assert response.status_code == 403


# --- the sweep ---------------------------------------------------------------------------------


async def sweep(database: Database) -> dict[str, int]:
    async with team_session(database, None) as session:
        return await maintenance.sweep_tasks(session)


async def test_the_sweep_marks_and_notifies_once_per_task_and_state(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    other = await register(client)
    agent = await add_member(client, database, admin, role="agent")
    with clock.frozen_at(T0):
        task = await create_task(
            client, admin, assignee_id=agent.member_id, due_at=iso(T0 + timedelta(hours=1)), priority="high"
        )
        snoozed = await create_task(
            client, admin, assignee_id=agent.member_id, due_at=iso(T0 + timedelta(hours=1))
        )
        done = await create_task(
            client, admin, assignee_id=agent.member_id, due_at=iso(T0 + timedelta(hours=1))
        )
        theirs = await create_task(client, other, due_at=iso(T0 + timedelta(hours=1)))
        assert (
            await client.post(f"/api/v1/tasks/{done['id']}/complete", headers=admin.headers)
        ).status_code == 200
        snooze = await client.post(
            f"/api/v1/tasks/{snoozed['id']}/snooze",
            json={"until": iso(T0 + timedelta(hours=3))},
            headers=admin.headers,
        )
        assert snooze.status_code == 200
        await sweep(database)
    agent_id = str(agent.member_id)

    async def state(member: Member, task_id: str) -> tuple[bool, bool]:
        body = (await client.get(f"/api/v1/tasks/{task_id}", headers=member.headers)).json()
        return body["overdue_at"] is not None, body["sla_breached_at"] is not None

    assert await state(admin, task["id"]) == (False, False)
    with clock.frozen_at(T0 + timedelta(hours=2)):
        await sweep(database)
        await sweep(database)
    assert await state(admin, task["id"]) == (True, False)
    assert await state(admin, snoozed["id"]) == (False, False)
    assert await state(admin, done["id"]) == (False, False)
    assert await notifications_of(database, admin.team_id, agent_id, "task_due") == 1

    with clock.frozen_at(T0 + timedelta(hours=25)):
        await sweep(database)
        await sweep(database)
    assert await state(admin, task["id"]) == (True, True)
    # The snooze ended with the task still late: overdue now, told once.
    assert await state(admin, snoozed["id"]) == (True, False)
    assert await notifications_of(database, admin.team_id, agent_id, "task_due") == 2
    assert await notifications_of(database, admin.team_id, agent_id, "task_sla_breached") == 1
    assert (
        await notifications_of(database, admin.team_id, str(await my_member_id(client, admin)), "task_due")
        == 0
    )

    # The other team's task was swept in its own team: marked once, its owner told once.
    assert await state(other, theirs["id"]) == (True, False)
    other_id = await my_member_id(client, other)
    assert await notifications_of(database, other.team_id, other_id, "task_due") == 1
    assert await notifications_of(database, admin.team_id, other_id, "task_due") == 0


async def test_moving_the_due_time_later_lets_the_sweep_tell_again(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    me = await my_member_id(client, admin)
    with clock.frozen_at(T0):
        task = await create_task(client, admin, due_at=iso(T0 - timedelta(minutes=1)))
        await sweep(database)
        assert await notifications_of(database, admin.team_id, me, "task_due") == 1
        moved = await client.patch(
            f"/api/v1/tasks/{task['id']}",
            json={"due_at": iso(T0 + timedelta(hours=1))},
            headers=admin.headers,
        )
        assert moved.json()["overdue_at"] is None
    with clock.frozen_at(T0 + timedelta(hours=2)):
        await sweep(database)
    assert await notifications_of(database, admin.team_id, me, "task_due") == 2
