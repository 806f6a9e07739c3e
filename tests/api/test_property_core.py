"""One property through its life: the USPS street form, edits with provenance and timeline,
custom fields, pipeline moves, assignment, trash and restore, data flags, notes and the timeline
pages — happy paths and the refusals, inside one team."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from reos.db.session import Database
from reos.kit import clock
from reos.properties.models import STAGES
from reos.properties.pipeline import TRANSITIONS
from tests.fixtures.api import Member, add_member, register

BASE = {"address": "4417 Quillfeather Lane apt 3", "city": "Tampa", "state": "FL", "zip_code": "33610"}
# In the past, so tokens issued now are still valid when the clock is frozen there.
MOMENT = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)


async def create(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    response = await client.post("/api/v1/properties", json=BASE | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def patch(client: httpx.AsyncClient, member: Member, prop_id: str, **fields: object) -> httpx.Response:
    return await client.patch(f"/api/v1/properties/{prop_id}", json=fields, headers=member.headers)


async def member_id(client: httpx.AsyncClient, member: Member) -> str:
    members = (await client.get("/api/v1/team/members", headers=member.headers)).json()
    return str(next(m["id"] for m in members if m["email"] == member.email))


async def timeline(
    client: httpx.AsyncClient, member: Member, prop_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/properties/{prop_id}/timeline", params=params, headers=member.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def provenance(client: httpx.AsyncClient, member: Member, prop_id: str) -> dict[str, dict[str, Any]]:
    response = await client.get(f"/api/v1/properties/{prop_id}/provenance", headers=member.headers)
    assert response.status_code == 200, response.text
    return {o["field"]: o for o in response.json()}


def kinds(items: list[dict[str, Any]]) -> list[str]:
    return [i["kind"] for i in items]


def details(response: httpx.Response) -> Any:
    return response.json()["error"]["details"]


async def define(
    client: httpx.AsyncClient, member: Member, key: str, type_: str, **extra: object
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/custom-fields",
        json={"key": key, "label": key.replace("_", " ").title(), "type": type_, **extra},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- create: the USPS street form ----------------------------------------------------------------


async def test_create_splits_and_normalises_the_street_line(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create(client, admin)
    assert (prop["address"], prop["unit"]) == ("4417 QUILLFEATHER LN", "APT 3")
    assert prop["stage"] == "new" and prop["stage_changed_at"] == prop["created_at"]
    assert prop["deleted_at"] is None and prop["merged_into_id"] is None
    separate = await create(client, admin, address="12 north main street", unit="unit 5")
    assert (separate["address"], separate["unit"]) == ("12 N MAIN ST", "UNIT 5")
    items = await timeline(client, admin, prop["id"])
    assert kinds(items) == ["created"] and items[0]["data"] == {"stage": "new"}
    assert items[0]["actor_id"] == await member_id(client, admin)


async def test_a_street_line_without_a_street_is_refused(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post("/api/v1/properties", json=BASE | {"address": ", ,"}, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert details(response)["field"] == "address"
    assert (await client.get("/api/v1/properties", headers=admin.headers)).json()["items"] == []


async def test_editing_the_street_line_of_a_unit_keeps_the_usps_form(
    client: httpx.AsyncClient, admin: Member
) -> None:
    prop = await create(client, admin)
    # The street line typed again, as an edit form sends it, with the unit in it.
    again = await patch(client, admin, prop["id"], address="4417 Quillfeather Lane Apt 3")
    assert again.status_code == 200, again.text
    assert (again.json()["address"], again.json()["unit"]) == ("4417 QUILLFEATHER LN", "APT 3")
    moved = await patch(client, admin, prop["id"], address="4417 Quillfeather Lane apt 4")
    assert (moved.json()["address"], moved.json()["unit"]) == ("4417 QUILLFEATHER LN", "APT 4")
    # A street line without a unit keeps the stored one; a unit alone changes only the unit.
    street = await patch(client, admin, prop["id"], address="9 Elm Street")
    assert (street.json()["address"], street.json()["unit"]) == ("9 ELM ST", "APT 4")
    unit = await patch(client, admin, prop["id"], unit="suite 200")
    assert (unit.json()["address"], unit.json()["unit"]) == ("9 ELM ST", "STE 200")


# --- edits: provenance and the timeline ----------------------------------------------------------


async def test_an_edit_records_provenance_and_an_edited_event_with_old_and_new(
    client: httpx.AsyncClient, admin: Member
) -> None:
    with clock.frozen_at(MOMENT - timedelta(hours=1)):
        prop = await create(client, admin, county="Hillsborough", estimated_value="150000.00")
    me = await member_id(client, admin)
    with clock.frozen_at(MOMENT):
        response = await patch(
            client,
            admin,
            prop["id"],
            county="Pinellas",
            estimated_value="180000",
            bedrooms=3,
            tags=["Hot ", "hot"],
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (
        body["county"] == "Pinellas"
        and Decimal(body["estimated_value"]) == 180000
        and body["tags"] == ["hot"]
    )
    got = (await client.get(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).json()
    assert got["estimated_value"] == "180000.00" and got["equity"] == "180000.00"
    assert datetime.fromisoformat(body["updated_at"]) == MOMENT

    origins = await provenance(client, admin, prop["id"])
    for field, value in (("county", "Pinellas"), ("bedrooms", 3), ("tags", ["hot"])):
        assert origins[field]["source"] == "manual" and origins[field]["by"] == me
        assert datetime.fromisoformat(origins[field]["at"]) == MOMENT
        assert origins[field]["value"] == value
    # A field nobody edited comes from the row's creation.
    assert origins["city"]["value"] == "Tampa" and origins["city"]["by"] == me
    assert origins["city"]["at"] == prop["created_at"]

    items = await timeline(client, admin, prop["id"])
    assert kinds(items) == ["edited", "created"]
    edited = items[0]
    assert edited["actor_id"] == me
    assert edited["data"]["fields"] == {
        "county": ["Hillsborough", "Pinellas"],
        "estimated_value": ["150000.00", "180000"],
        "bedrooms": [None, 3],
        "tags": [[], ["hot"]],
    }


async def test_sending_the_same_values_is_no_edit(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create(client, admin, county="Hillsborough")
    same = await patch(
        client, admin, prop["id"], county="Hillsborough", city="Tampa", address=BASE["address"]
    )
    assert same.status_code == 200
    assert same.json()["updated_at"] == prop["updated_at"]
    assert kinds(await timeline(client, admin, prop["id"])) == ["created"]
    assert (await provenance(client, admin, prop["id"]))["county"]["at"] == prop["created_at"]


async def test_edits_by_another_member_are_attributed_to_them(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    prop = await create(client, admin)
    assert (await patch(client, agent, prop["id"], apn="12-34-56")).status_code == 200
    origins = await provenance(client, admin, prop["id"])
    assert origins["apn"]["by"] == agent.member_id and origins["apn"]["value"] == "12-34-56"
    assert origins["county"]["by"] == await member_id(client, admin)


async def test_edit_refusals_change_nothing(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    viewer = await add_member(client, database, admin, role="viewer")
    prop = await create(client, admin)
    assert (await patch(client, viewer, prop["id"], county="X")).status_code == 403
    assert (await patch(client, admin, prop["id"], tags=None)).status_code == 400
    assert (await patch(client, admin, prop["id"], market_id=str(uuid.uuid4()))).status_code == 422
    assert (await patch(client, admin, prop["id"], bathrooms="1.25")).status_code == 422
    # A refused stage move undoes the edits sent with it: one request, one transaction.
    both = await patch(client, admin, prop["id"], county="Pasco", stage="closed_won")
    assert both.status_code == 422
    got = (await client.get(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).json()
    assert got["county"] is None and got["stage"] == "new" and got["market_id"] is None
    assert kinds(await timeline(client, admin, prop["id"])) == ["created"]


# --- custom fields -------------------------------------------------------------------------------


async def test_custom_values_are_typed_and_stored_in_their_json_form(
    client: httpx.AsyncClient, admin: Member
) -> None:
    await define(client, admin, "notes_text", "text")
    await define(client, admin, "arv", "number")
    await define(client, admin, "listed_on", "date")
    await define(client, admin, "vacant", "boolean")
    await define(client, admin, "condition", "choice", choices=["good", "rough"])
    prop = await create(
        client,
        admin,
        custom={
            "notes_text": "roof leaks",
            "arv": "250000.50",
            "listed_on": "2030-01-05",
            "vacant": True,
            "condition": "rough",
        },
    )
    assert prop["custom"] == {
        "notes_text": "roof leaks",
        "arv": 250000.5,
        "listed_on": "2030-01-05",
        "vacant": True,
        "condition": "rough",
    }
    whole = await create(client, admin, custom={"arv": 3.0, "vacant": None})
    assert whole["custom"] == {"arv": 3}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("arv", "lots"),
        ("arv", True),
        ("arv", "NaN"),
        ("arv", [1]),
        ("listed_on", "05/01/2030"),
        ("listed_on", "2030-02-30"),
        ("vacant", "yes"),
        ("vacant", 1),
        ("condition", "mint"),
        ("notes_text", 42),
        ("notes_text", "x" * 2001),
    ],
)
async def test_custom_values_of_the_wrong_type_are_refused_naming_the_field(
    client: httpx.AsyncClient, admin: Member, key: str, value: object
) -> None:
    await define(client, admin, "notes_text", "text")
    await define(client, admin, "arv", "number")
    await define(client, admin, "listed_on", "date")
    await define(client, admin, "vacant", "boolean")
    await define(client, admin, "condition", "choice", choices=["good", "rough"])
    created = await client.post(
        "/api/v1/properties", json=BASE | {"custom": {key: value}}, headers=admin.headers
    )
    assert created.status_code == 422, created.text
    assert details(created)["field"] == f"custom.{key}"
    prop = await create(client, admin)
    patched = await patch(client, admin, prop["id"], custom={key: value})
    assert patched.status_code == 422 and details(patched)["field"] == f"custom.{key}"
    got = (await client.get(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).json()
    assert got["custom"] == {}


async def test_an_unknown_custom_key_is_refused_naming_it(client: httpx.AsyncClient, admin: Member) -> None:
    await define(client, admin, "arv", "number")
    response = await client.post(
        "/api/v1/properties", json=BASE | {"custom": {"colour": "blue"}}, headers=admin.headers
    )
    assert response.status_code == 422
    assert details(response)["field"] == "custom.colour" and details(response)["known"] == ["arv"]
    assert "custom.colour" in response.json()["error"]["message"]
    # Another team's definitions are not ours.
    other = await register(client)
    await define(client, other, "roof_age", "number")
    theirs = await client.post(
        "/api/v1/properties", json=BASE | {"custom": {"roof_age": 3}}, headers=admin.headers
    )
    assert theirs.status_code == 422 and details(theirs)["field"] == "custom.roof_age"


async def test_custom_edits_record_provenance_and_a_null_clears(
    client: httpx.AsyncClient, admin: Member
) -> None:
    await define(client, admin, "arv", "number")
    prop = await create(client, admin, custom={"arv": 100})
    me = await member_id(client, admin)
    changed = await patch(client, admin, prop["id"], custom={"arv": 120})
    assert changed.status_code == 200 and changed.json()["custom"] == {"arv": 120}
    origin = (await provenance(client, admin, prop["id"]))["custom.arv"]
    assert (origin["source"], origin["by"], origin["value"]) == ("manual", me, 120)
    cleared = await patch(client, admin, prop["id"], custom={"arv": None})
    assert cleared.status_code == 200 and cleared.json()["custom"] == {}
    edits = [i["data"]["fields"] for i in await timeline(client, admin, prop["id"]) if i["kind"] == "edited"]
    assert edits == [{"custom.arv": [120, None]}, {"custom.arv": [100, 120]}]


async def test_custom_field_definitions_lifecycle(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    arv = await define(client, admin, "arv", "number", position=2)
    cond = await define(client, admin, "condition", "choice", choices=["good"], position=1)
    listed = (await client.get("/api/v1/custom-fields", headers=admin.headers)).json()
    assert [d["key"] for d in listed] == ["condition", "arv"]

    dup = await client.post(
        "/api/v1/custom-fields", json={"key": "arv", "label": "Again", "type": "text"}, headers=admin.headers
    )
    assert dup.status_code == 409
    for body, field in (
        ({"key": "c2", "label": "C", "type": "choice"}, "choices"),
        ({"key": "t2", "label": "T", "type": "text", "choices": ["a"]}, "choices"),
    ):
        refused = await client.post("/api/v1/custom-fields", json=body, headers=admin.headers)
        assert refused.status_code == 422 and details(refused)["field"] == field
    bad_key = await client.post(
        "/api/v1/custom-fields", json={"key": "Bad Key", "label": "B", "type": "text"}, headers=admin.headers
    )
    assert bad_key.status_code == 422

    renamed = await client.patch(
        f"/api/v1/custom-fields/{cond['id']}",
        json={"label": "State", "choices": ["good", "rough"]},
        headers=admin.headers,
    )
    assert renamed.status_code == 200 and renamed.json()["choices"] == ["good", "rough"]
    assert renamed.json()["key"] == "condition" and renamed.json()["type"] == "choice"
    no_choices = await client.patch(
        f"/api/v1/custom-fields/{arv['id']}", json={"choices": ["x"]}, headers=admin.headers
    )
    assert no_choices.status_code == 422
    emptied = await client.patch(
        f"/api/v1/custom-fields/{cond['id']}", json={"choices": []}, headers=admin.headers
    )
    assert emptied.status_code == 422

    agent = await add_member(client, database, admin, role="agent")
    assert (
        await client.post(
            "/api/v1/custom-fields", json={"key": "z", "label": "Z", "type": "text"}, headers=agent.headers
        )
    ).status_code == 403
    assert (
        await client.delete(f"/api/v1/custom-fields/{arv['id']}", headers=agent.headers)
    ).status_code == 403
    other = await register(client)
    assert (
        await client.delete(f"/api/v1/custom-fields/{arv['id']}", headers=other.headers)
    ).status_code == 404
    assert (
        await client.patch(
            f"/api/v1/custom-fields/{arv['id']}", json={"label": "Mine"}, headers=other.headers
        )
    ).status_code == 404


async def test_deleting_a_definition_removes_its_values_everywhere(
    client: httpx.AsyncClient, admin: Member
) -> None:
    arv = await define(client, admin, "arv", "number")
    await define(client, admin, "vacant", "boolean")
    one = await create(client, admin, custom={"arv": 1, "vacant": True})
    two = await create(client, admin, address="9 Elm St", custom={"arv": 2})
    # Another team's property with the same key keeps its value.
    other = await register(client)
    await define(client, other, "arv", "number")
    theirs = await create(client, other, custom={"arv": 7})

    assert (
        await client.delete(f"/api/v1/custom-fields/{arv['id']}", headers=admin.headers)
    ).status_code == 204
    assert (
        await client.delete(f"/api/v1/custom-fields/{arv['id']}", headers=admin.headers)
    ).status_code == 404
    got = [
        (await client.get(f"/api/v1/properties/{p['id']}", headers=admin.headers)).json()["custom"]
        for p in (one, two)
    ]
    assert got == [{"vacant": True}, {}]
    assert "custom.arv" not in await provenance(client, admin, one["id"])
    refused = await patch(client, admin, one["id"], custom={"arv": 3})
    assert refused.status_code == 422 and details(refused)["field"] == "custom.arv"
    assert (await client.get(f"/api/v1/properties/{theirs['id']}", headers=other.headers)).json()[
        "custom"
    ] == {"arv": 7}


# --- pipeline ------------------------------------------------------------------------------------


async def test_a_stage_move_records_from_to_reason_and_days_in_stage(
    client: httpx.AsyncClient, admin: Member
) -> None:
    with clock.frozen_at(MOMENT):
        prop = await create(client, admin)
    with clock.frozen_at(MOMENT + timedelta(days=3, hours=12)):
        moved = await client.post(
            f"/api/v1/properties/{prop['id']}/stage",
            json={"stage": "outreach", "reason": "skip-traced"},
            headers=admin.headers,
        )
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "outreach"
    assert datetime.fromisoformat(moved.json()["stage_changed_at"]) == MOMENT + timedelta(days=3, hours=12)
    items = await timeline(client, admin, prop["id"])
    assert kinds(items) == ["stage_changed", "created"]
    assert items[0]["data"] == {
        "from": "new",
        "to": "outreach",
        "reason": "skip-traced",
        "days_in_stage": 3.5,
    }
    assert items[0]["actor_id"] == await member_id(client, admin)

    with clock.frozen_at(MOMENT + timedelta(days=5)):
        patched = await patch(client, admin, prop["id"], stage="qualified", stage_reason="motivated seller")
    assert patched.status_code == 200 and patched.json()["stage"] == "qualified"
    latest = (await timeline(client, admin, prop["id"]))[0]
    assert latest["data"] == {
        "from": "outreach",
        "to": "qualified",
        "reason": "motivated seller",
        "days_in_stage": 1.5,
    }


async def test_a_same_stage_move_is_no_move(client: httpx.AsyncClient, admin: Member) -> None:
    with clock.frozen_at(MOMENT):
        prop = await create(client, admin, stage="negotiation")
    with clock.frozen_at(MOMENT + timedelta(days=2)):
        again = await client.post(
            f"/api/v1/properties/{prop['id']}/stage",
            json={"stage": "negotiation", "reason": "x"},
            headers=admin.headers,
        )
        patched = await patch(client, admin, prop["id"], stage="negotiation")
    for response in (again, patched):
        assert response.status_code == 200
        assert response.json()["stage_changed_at"] == prop["stage_changed_at"]
        assert response.json()["updated_at"] == prop["updated_at"]
    assert kinds(await timeline(client, admin, prop["id"])) == ["created"]


async def test_a_refused_move_lists_the_allowed_stages_and_changes_nothing(
    client: httpx.AsyncClient, admin: Member
) -> None:
    prop = await create(client, admin)
    refused = await client.post(
        f"/api/v1/properties/{prop['id']}/stage", json={"stage": "closed_won"}, headers=admin.headers
    )
    assert refused.status_code == 422
    allowed = ["outreach", "qualified", "closed_lost", "archived"]
    assert details(refused) == {"field": "stage", "from": "new", "to": "closed_won", "allowed": allowed}
    assert refused.json()["error"]["message"] == (
        "a lead cannot move from New to Closed won; from New it may move to Outreach, Qualified, "
        "Closed lost or Archived"
    )
    unknown = await client.post(
        f"/api/v1/properties/{prop['id']}/stage", json={"stage": "dreaming"}, headers=admin.headers
    )
    assert unknown.status_code == 422
    got = (await client.get(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).json()
    assert got["stage"] == "new" and got["stage_changed_at"] == prop["stage_changed_at"]
    assert kinds(await timeline(client, admin, prop["id"])) == ["created"]


async def test_every_pair_of_stages_follows_the_transition_table(
    client: httpx.AsyncClient, admin: Member
) -> None:
    answers: dict[tuple[str, str], int] = {}
    for start in STAGES:
        for target in STAGES:
            if start == target:
                continue
            prop = await create(client, admin, stage=start)
            response = await client.post(
                f"/api/v1/properties/{prop['id']}/stage", json={"stage": target}, headers=admin.headers
            )
            answers[(start, target)] = response.status_code
    expected = {(s, t): 200 if t in TRANSITIONS[s] else 422 for s in STAGES for t in STAGES if s != t}
    assert answers == expected


# --- assignment ----------------------------------------------------------------------------------


async def test_assign_and_unassign_record_events_and_provenance(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    me = await member_id(client, admin)
    prop = await create(client, admin)
    assigned = await patch(client, admin, prop["id"], assigned_to_id=agent.member_id)
    assert assigned.status_code == 200 and assigned.json()["assigned_to_id"] == agent.member_id
    again = await patch(client, admin, prop["id"], assigned_to_id=agent.member_id)
    assert again.status_code == 200
    origin = (await provenance(client, admin, prop["id"]))["assigned_to_id"]
    assert (origin["source"], origin["by"], origin["value"]) == ("manual", me, agent.member_id)
    unassigned = await patch(client, admin, prop["id"], assigned_to_id=None)
    assert unassigned.status_code == 200 and unassigned.json()["assigned_to_id"] is None
    events = [i for i in await timeline(client, admin, prop["id"]) if i["kind"] == "assigned"]
    assert [e["data"] for e in events] == [
        {"from": agent.member_id, "to": None},
        {"from": None, "to": agent.member_id},
    ]


async def test_only_an_active_member_of_the_team_can_be_assigned(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    gone = await add_member(client, database, admin, role="agent")
    deactivated = await client.patch(
        f"/api/v1/team/members/{gone.member_id}", json={"is_active": False}, headers=admin.headers
    )
    assert deactivated.status_code == 200, deactivated.text
    other = await register(client)
    stranger = await member_id(client, other)
    prop = await create(client, admin)
    for candidate in (gone.member_id, stranger, str(uuid.uuid4())):
        refused = await patch(client, admin, prop["id"], assigned_to_id=candidate)
        assert refused.status_code == 422, candidate
        assert details(refused)["field"] == "assigned_to_id"
        created = await client.post(
            "/api/v1/properties", json=BASE | {"assigned_to_id": candidate}, headers=admin.headers
        )
        assert created.status_code == 422 and details(created)["field"] == "assigned_to_id"
    got = (await client.get(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).json()
    assert got["assigned_to_id"] is None
    assert kinds(await timeline(client, admin, prop["id"])) == ["created"]


# --- trash and restore ---------------------------------------------------------------------------


async def test_delete_sends_to_the_trash_and_restore_brings_it_back(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    prop = await create(client, admin)
    url = f"/api/v1/properties/{prop['id']}"
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert (await client.get(url, headers=admin.headers)).status_code == 404
    assert (await client.patch(url, json={"county": "X"}, headers=admin.headers)).status_code == 404
    assert (await client.get(f"{url}/timeline", headers=admin.headers)).status_code == 404
    trashed = await client.get(url, params={"include_deleted": "true"}, headers=admin.headers)
    assert trashed.status_code == 200 and trashed.json()["deleted_at"] is not None
    assert (await client.get("/api/v1/properties", headers=admin.headers)).json()["items"] == []

    assert (await client.post(f"{url}/restore", headers=agent.headers)).status_code == 403
    restored = await client.post(f"{url}/restore", headers=admin.headers)
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    # Restoring what is not in the trash changes nothing.
    again = await client.post(f"{url}/restore", headers=admin.headers)
    assert again.status_code == 200 and again.json()["updated_at"] == restored.json()["updated_at"]
    assert (await client.get(url, headers=admin.headers)).status_code == 200
    assert kinds(await timeline(client, admin, prop["id"])) == ["restored", "deleted", "created"]
    audit = (await client.get("/api/v1/audit", params={"limit": 200}, headers=admin.headers)).json()["items"]
    actions = [(e["action"], e["target_id"]) for e in audit if e["action"].startswith("property.")]
    assert ("property.deleted", prop["id"]) in actions and ("property.restored", prop["id"]) in actions
    missing = await client.post(f"/api/v1/properties/{uuid.uuid4()}/restore", headers=admin.headers)
    assert missing.status_code == 404


# --- data flags ----------------------------------------------------------------------------------


async def test_flags_are_raised_resolved_and_listed(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    await define(client, admin, "arv", "number")
    prop = await create(client, admin)
    url = f"/api/v1/properties/{prop['id']}/flags"
    raised = await client.post(
        url, json={"field": "estimated_value", "comment": "too high"}, headers=agent.headers
    )
    assert raised.status_code == 201, raised.text
    flag = raised.json()
    assert (flag["status"], flag["field"], flag["raised_by_id"], flag["resolved_at"]) == (
        "open",
        "estimated_value",
        agent.member_id,
        None,
    )
    custom = await client.post(url, json={"field": "custom.arv"}, headers=admin.headers)
    assert custom.status_code == 201
    open_ids = {
        f["id"]
        for f in (await client.get("/api/v1/flags", params={"status": "open"}, headers=admin.headers)).json()
    }
    assert open_ids == {flag["id"], custom.json()["id"]}

    fixed = await client.patch(
        f"/api/v1/flags/{flag['id']}",
        json={"status": "fixed", "resolution": "re-checked comps"},
        headers=admin.headers,
    )
    assert fixed.status_code == 200
    assert fixed.json()["status"] == "fixed" and fixed.json()["resolution"] == "re-checked comps"
    assert fixed.json()["resolved_at"] is not None
    assert fixed.json()["resolved_by_id"] == await member_id(client, admin)
    open_ids = {
        f["id"]
        for f in (await client.get("/api/v1/flags", params={"status": "open"}, headers=admin.headers)).json()
    }
    assert open_ids == {custom.json()["id"]}
    fixed_ids = [
        f["id"]
        for f in (await client.get("/api/v1/flags", params={"status": "fixed"}, headers=admin.headers)).json()
    ]
    assert fixed_ids == [flag["id"]]
    # Setting the status it has is no change; reopening clears the resolution time.
    same = await client.patch(f"/api/v1/flags/{flag['id']}", json={"status": "fixed"}, headers=admin.headers)
    assert same.status_code == 200 and same.json()["resolution"] == "re-checked comps"
    reopened = await client.patch(
        f"/api/v1/flags/{flag['id']}", json={"status": "open"}, headers=admin.headers
    )
    assert reopened.json()["resolved_at"] is None and reopened.json()["resolved_by_id"] is None
    for status in ("confirmed", "rejected"):
        answered = await client.patch(
            f"/api/v1/flags/{custom.json()['id']}", json={"status": status}, headers=admin.headers
        )
        assert answered.status_code == 200 and answered.json()["status"] == status

    items = [i for i in await timeline(client, admin, prop["id"]) if i["kind"].startswith("flag_")]
    assert [(i["kind"], i["data"].get("status")) for i in items] == [
        ("flag_resolved", "rejected"),
        ("flag_resolved", "confirmed"),
        ("flag_resolved", "open"),
        ("flag_resolved", "fixed"),
        ("flag_raised", None),
        ("flag_raised", None),
    ]
    assert items[-1]["data"] == {"flag_id": flag["id"], "field": "estimated_value", "comment": "too high"}
    on_property = (await client.get(url, headers=admin.headers)).json()
    assert {f["id"] for f in on_property} == {flag["id"], custom.json()["id"]}


async def test_flag_refusals(client: httpx.AsyncClient, database: Database, admin: Member) -> None:
    viewer = await add_member(client, database, admin, role="viewer")
    prop = await create(client, admin)
    url = f"/api/v1/properties/{prop['id']}/flags"
    unknown = await client.post(url, json={"field": "colour"}, headers=admin.headers)
    assert unknown.status_code == 422 and details(unknown)["field"] == "field"
    assert "estimated_value" in details(unknown)["known"]
    no_custom = await client.post(url, json={"field": "custom.arv"}, headers=admin.headers)
    assert no_custom.status_code == 422
    assert (await client.post(url, json={"field": "apn"}, headers=viewer.headers)).status_code == 403
    missing = await client.post(
        f"/api/v1/properties/{uuid.uuid4()}/flags", json={"field": "apn"}, headers=admin.headers
    )
    assert missing.status_code == 404
    flag = (await client.post(url, json={"field": "apn"}, headers=admin.headers)).json()
    bad = await client.patch(f"/api/v1/flags/{flag['id']}", json={"status": "done"}, headers=admin.headers)
    assert bad.status_code == 422
    assert (
        await client.patch(f"/api/v1/flags/{flag['id']}", json={"status": "fixed"}, headers=viewer.headers)
    ).status_code == 403
    assert (
        await client.get("/api/v1/flags", params={"status": "maybe"}, headers=admin.headers)
    ).status_code == 422
    other = await register(client)
    assert (
        await client.patch(f"/api/v1/flags/{flag['id']}", json={"status": "fixed"}, headers=other.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/flags", headers=other.headers)).json() == []
    assert (await client.get(url, headers=other.headers)).status_code == 404
    still = (await client.get(url, headers=admin.headers)).json()
    assert [(f["id"], f["status"]) for f in still] == [(flag["id"], "open")]


# --- notes and the timeline ----------------------------------------------------------------------


async def test_notes_land_on_the_timeline_newest_first(client: httpx.AsyncClient, admin: Member) -> None:
    with clock.frozen_at(MOMENT):
        prop = await create(client, admin)
    with clock.frozen_at(MOMENT + timedelta(minutes=1)):
        note = await client.post(
            f"/api/v1/properties/{prop['id']}/notes",
            json={"body": "  owner called back  "},
            headers=admin.headers,
        )
    assert note.status_code == 201, note.text
    assert note.json()["body"] == "owner called back" and note.json()["property_id"] == prop["id"]
    assert note.json()["author_id"] == await member_id(client, admin)
    with clock.frozen_at(MOMENT + timedelta(minutes=2)):
        await patch(client, admin, prop["id"], stage="outreach")
    items = await timeline(client, admin, prop["id"])
    assert kinds(items) == ["stage_changed", "note", "created"]
    assert items[1]["body"] == "owner called back" and items[1]["id"] == note.json()["id"]
    empty = await client.post(
        f"/api/v1/properties/{prop['id']}/notes", json={"body": "   "}, headers=admin.headers
    )
    assert empty.status_code == 422
    missing = await client.post(
        f"/api/v1/properties/{uuid.uuid4()}/notes", json={"body": "x"}, headers=admin.headers
    )
    assert missing.status_code == 404


async def test_before_pages_back_through_the_whole_timeline(client: httpx.AsyncClient, admin: Member) -> None:
    with clock.frozen_at(MOMENT):
        prop = await create(client, admin)
    for n in range(1, 6):
        with clock.frozen_at(MOMENT + timedelta(minutes=n)):
            await client.post(
                f"/api/v1/properties/{prop['id']}/notes", json={"body": f"note {n}"}, headers=admin.headers
            )
    url = f"/api/v1/properties/{prop['id']}/timeline"
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    for _ in range(5):
        page = (await client.get(url, params=params, headers=admin.headers)).json()
        seen += [i["body"] or i["kind"] for i in page["items"]]
        if page["next_before"] is None:
            break
        params = {"limit": 2, "before": page["next_before"], "before_id": page["next_before_id"]}
    assert seen == ["note 5", "note 4", "note 3", "note 2", "note 1", "created"]
    bad = await client.get(url, params={"limit": 0}, headers=admin.headers)
    assert bad.status_code == 422


# --- tenancy and agents --------------------------------------------------------------------------


async def test_another_teams_property_is_not_found_on_every_route(
    client: httpx.AsyncClient, admin: Member
) -> None:
    prop = await create(client, admin, county="Hillsborough")
    other = await register(client)
    base = f"/api/v1/properties/{prop['id']}"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", base, None),
        ("PATCH", base, {"county": "Theirs"}),
        ("DELETE", base, None),
        ("POST", f"{base}/restore", None),
        ("POST", f"{base}/stage", {"stage": "outreach"}),
        ("GET", f"{base}/provenance", None),
        ("GET", f"{base}/flags", None),
        ("POST", f"{base}/flags", {"field": "apn"}),
        ("GET", f"{base}/timeline", None),
        ("POST", f"{base}/notes", {"body": "hello"}),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=other.headers)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        assert "QUILLFEATHER" not in response.text
    mine = (await client.get(base, headers=admin.headers)).json()
    assert mine["county"] == "Hillsborough" and mine["stage"] == "new" and mine["deleted_at"] is None
    assert kinds(await timeline(client, admin, prop["id"])) == ["created"]


async def test_agents_limited_to_assigned_leads_reach_only_theirs(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    theirs = await create(client, admin, assigned_to_id=agent.member_id)
    others = await create(client, admin, address="9 Elm St")
    await client.patch("/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers)
    base = f"/api/v1/properties/{others['id']}"
    for method, url, body in (
        ("GET", base, None),
        ("PATCH", base, {"county": "X"}),
        ("POST", f"{base}/stage", {"stage": "outreach"}),
        ("POST", f"{base}/notes", {"body": "x"}),
        ("GET", f"{base}/timeline", None),
        ("GET", f"{base}/provenance", None),
        ("POST", f"{base}/flags", {"field": "apn"}),
    ):
        response = await client.request(method, url, json=body, headers=agent.headers)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    mine = await client.post(
        f"/api/v1/properties/{theirs['id']}/stage", json={"stage": "outreach"}, headers=agent.headers
    )
    assert mine.status_code == 200
    # Giving the lead away ends the agent's reach at once.
    await patch(client, admin, theirs["id"], assigned_to_id=None)
    assert (await client.get(f"/api/v1/properties/{theirs['id']}", headers=agent.headers)).status_code == 404
    assert (await client.get(base, headers=admin.headers)).json()["county"] is None


async def test_before_paging_keeps_items_of_the_same_instant(
    client: httpx.AsyncClient, admin: Member
) -> None:
    with clock.frozen_at(MOMENT):
        prop = await create(client, admin)
        for n in range(1, 4):
            await client.post(
                f"/api/v1/properties/{prop['id']}/notes", json={"body": f"note {n}"}, headers=admin.headers
            )
    url = f"/api/v1/properties/{prop['id']}/timeline"
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    for _ in range(5):
        page = (await client.get(url, params=params, headers=admin.headers)).json()
        seen += [i["body"] or i["kind"] for i in page["items"]]
        if page["next_before"] is None:
            break
        params = {"limit": 2, "before": page["next_before"], "before_id": page["next_before_id"]}
    assert sorted(seen) == ["created", "note 1", "note 2", "note 3"], seen


def test_the_move_a_form_offers_first_is_the_nearest_allowed_stage_ahead() -> None:
    """The property page's stage select had opened on the first allowed stage in pipeline order,
    which from negotiation is a move back to qualified: one click on Move made it."""
    from reos.properties.pipeline import next_stage

    offered = {s: next_stage(s) for s in STAGES}
    assert offered == {
        "new": "outreach",
        "outreach": "qualified",
        "qualified": "negotiation",
        "negotiation": "under_contract",
        "under_contract": "closed_won",
        "closed_won": "archived",
        "closed_lost": "archived",
        "archived": None,
    }
    for stage, move in offered.items():
        assert move is None or (move in TRANSITIONS[stage] and STAGES.index(move) > STAGES.index(stage))
