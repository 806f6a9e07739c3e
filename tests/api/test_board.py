"""The pipeline board API: per stage the count, total value and first cards in the column's
sort order; more cards of a column by keyset; filters by assignee, market and list; agents
limited to their leads; trashed leads left out; bad parameters named in a 422; and a fixed
number of queries however many stages and cards there are."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import event, update

from reos.db.session import Database, team_session
from reos.kit import clock
from reos.lists.models import ListMember, SavedList
from reos.properties.models import STAGES, Property
from tests.fixtures.api import Member, add_member, register

CITY = {"city": "Tampa", "state": "FL", "zip_code": "33610"}


async def create(client: httpx.AsyncClient, member: Member, address: str, **fields: Any) -> str:
    response = await client.post(
        "/api/v1/properties", json={"address": address, **CITY, **fields}, headers=member.headers
    )
    assert response.status_code == 201, response.text
    prop_id: str = response.json()["id"]
    return prop_id


async def set_scores(database: Database, team_id: str, scores: dict[str, int]) -> None:
    """Scores come from the scoring domain; the tests set them directly."""
    async with team_session(database, uuid.UUID(team_id)) as session:
        for prop_id, score in scores.items():
            await session.execute(
                update(Property).where(Property.id == uuid.UUID(prop_id)).values(score=score)
            )


async def get_board(client: httpx.AsyncClient, member: Member, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/pipeline", params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    columns: list[dict[str, Any]] = response.json()
    return columns


def by_stage(columns: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["stage"]: c for c in columns}


def ids(cards: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in cards]


async def test_each_stage_has_its_count_total_value_and_cards_in_pipeline_order(
    client: httpx.AsyncClient, admin: Member
) -> None:
    empty = await get_board(client, admin)
    assert [c["stage"] for c in empty] == list(STAGES)
    assert [c["label"] for c in empty][:2] == ["New", "Outreach"]
    assert all(c["count"] == 0 and Decimal(c["total_value"]) == 0 and c["cards"] == [] for c in empty)

    rows = [
        ("10 Palm Ave", "new", 100000),
        ("11 Palm Ave", "new", None),
        ("12 Palm Ave", "outreach", 250000.5),
        ("13 Palm Ave", "outreach", 149999.5),
        ("14 Palm Ave", "under_contract", 410000),
        ("15 Palm Ave", "closed_won", 90000),
    ]
    made = {}
    for address, stage, value in rows:
        made[address] = await create(client, admin, address, stage=stage, estimated_value=value)
    # Trashed leads are not on the board.
    trashed = await create(client, admin, "16 Palm Ave", stage="outreach", estimated_value=1_000_000)
    assert (await client.delete(f"/api/v1/properties/{trashed}", headers=admin.headers)).status_code == 204

    columns = by_stage(await get_board(client, admin))
    expected = {stage: [(a, v) for a, s, v in rows if s == stage] for stage in STAGES}
    for stage in STAGES:
        column = columns[stage]
        assert column["count"] == len(expected[stage]), stage
        assert Decimal(column["total_value"]) == sum(
            (Decimal(str(v)) for _, v in expected[stage] if v is not None), Decimal(0)
        ), stage
        assert set(ids(column["cards"])) == {made[a] for a, _ in expected[stage]}
        assert column["next_cursor"] is None
    assert trashed not in {card["id"] for c in columns.values() for card in c["cards"]}

    card = next(c for c in columns["under_contract"]["cards"])
    assert card["address"] == "14 PALM AVE" and card["city"] == "Tampa" and card["state"] == "FL"
    assert card["zip_code"] == "33610" and Decimal(card["estimated_value"]) == 410000
    # Owned outright (no mortgage on record): free and clear and high equity, scored on creation.
    stored = (await client.get(f"/api/v1/properties/{card['id']}", headers=admin.headers)).json()["score"]
    assert card["score"] == stored > 0 and card["days_in_stage"] == 0
    assert card["assigned_to_id"] is None and card["assignee_name"] is None


async def test_days_in_stage_follow_the_clock(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    prop = await create(client, admin, "20 Clock St")
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        moved = clock.now() - timedelta(days=9, hours=5)
        await session.execute(
            update(Property).where(Property.id == uuid.UUID(prop)).values(stage_changed_at=moved)
        )
    card = by_stage(await get_board(client, admin))["new"]["cards"][0]
    assert card["id"] == prop and card["days_in_stage"] == 9


async def test_cards_come_in_the_column_sort_order(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    # Made one after the other, so each was last changed later than the one before.
    values = {"a": 300000, "b": None, "c": 500000, "d": 120000, "e": 500000}
    made = {}
    for i, (name, value) in enumerate(values.items()):
        with clock.shifted(timedelta(minutes=i)):
            made[name] = await create(client, admin, f"{i + 30} Order Rd", estimated_value=value)
    await set_scores(
        database, admin.team_id, {made["a"]: 90, made["b"]: 40, made["c"]: 10, made["d"]: 90, made["e"]: 55}
    )
    # "d" dated before "a" although made after it (its id is the later one): equal scores go by
    # age, newest first, as in the lead list.
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        await session.execute(
            update(Property)
            .where(Property.id == uuid.UUID(made["d"]))
            .values(created_at=clock.now() - timedelta(hours=1))
        )

    def first(cards: list[dict[str, Any]]) -> list[str]:
        names = {v: k for k, v in made.items()}
        return [names[c["id"]] for c in cards]

    def tie(x: str, y: str) -> list[str]:
        """Equal values are ordered by id, in the sort's direction (descending here)."""
        return sorted([x, y], key=lambda n: made[n], reverse=True)

    default = by_stage(await get_board(client, admin))["new"]["cards"]
    assert first(default) == ["a", "d", "e", "b", "c"]
    by_value = by_stage(await get_board(client, admin, sort="value"))["new"]["cards"]
    assert first(by_value) == [*tie("c", "e"), "a", "d", "b"]  # no value: last
    oldest = by_stage(await get_board(client, admin, sort="stage_age"))["new"]["cards"]
    assert first(oldest) == ["a", "b", "c", "d", "e"]
    # An edit makes a lead the most recently updated.
    with clock.shifted(timedelta(minutes=10)):
        edited = await client.patch(
            f"/api/v1/properties/{made['b']}", json={"bedrooms": 3}, headers=admin.headers
        )
    assert edited.status_code == 200
    recent = by_stage(await get_board(client, admin, sort="updated"))["new"]["cards"]
    assert first(recent) == ["b", "e", "d", "c", "a"]

    two = by_stage(await get_board(client, admin, per_stage=2))["new"]
    assert first(two["cards"]) == ["a", "d"] and two["count"] == 5 and two["next_cursor"]


async def test_more_cards_of_a_column_by_keyset_in_every_sort(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    made = []
    for i in range(7):
        with clock.shifted(timedelta(minutes=i)):
            made.append(
                await create(
                    client,
                    admin,
                    f"{i + 1} Keyset Ct",
                    stage="qualified",
                    estimated_value=[None, 5, 5, 9][i % 4],
                )
            )
    await create(client, admin, "99 Other Stage", stage="negotiation")
    await set_scores(database, admin.team_id, dict(zip(made, [3, 3, 7, 1, 7, 3, 0], strict=True)))

    for sort in ("score", "value", "stage_age", "updated"):
        everything = by_stage(await get_board(client, admin, sort=sort, per_stage=100))["qualified"]["cards"]
        column = by_stage(await get_board(client, admin, sort=sort, per_stage=3))["qualified"]
        seen = ids(column["cards"])
        cursor = column["next_cursor"]
        pages = 1
        while cursor:
            response = await client.get(
                "/api/v1/pipeline/qualified/cards",
                params={"cursor": cursor, "sort": sort, "limit": 3},
                headers=admin.headers,
            )
            assert response.status_code == 200, response.text
            seen += ids(response.json()["items"])
            cursor = response.json()["next_cursor"]
            pages += 1
        assert seen == ids(everything), sort
        assert len(seen) == 7 and pages == 3, sort

    # Without a cursor: the first cards; a cursor of another sort is refused, naming it.
    first = await client.get("/api/v1/pipeline/qualified/cards", params={"limit": 2}, headers=admin.headers)
    assert (
        ids(first.json()["items"]) == ids(by_stage(await get_board(client, admin))["qualified"]["cards"])[:2]
    )
    other = await client.get(
        "/api/v1/pipeline/qualified/cards",
        params={"cursor": first.json()["next_cursor"], "sort": "value"},
        headers=admin.headers,
    )
    assert other.status_code == 422 and other.json()["error"]["details"]["field"] == "cursor"


async def test_filters_by_assignee_market_and_list(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    market = await client.post(
        "/api/v1/team/markets", json={"name": "Tampa Bay", "states": ["FL"]}, headers=admin.headers
    )
    assert market.status_code == 201, market.text
    market_id = market.json()["id"]
    mine = await create(client, admin, "1 Assigned Rd", assigned_to_id=agent.member_id, estimated_value=10)
    in_market = await create(client, admin, "2 Market Rd", market_id=market_id, stage="outreach")
    listed = await create(client, admin, "3 Listed Rd", stage="qualified")
    await create(client, admin, "4 Nothing Rd")

    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        saved = SavedList(team_id=uuid.UUID(admin.team_id), name="Probate March", kind="static")
        session.add(saved)
        await session.flush()
        session.add(ListMember(team_id=saved.team_id, list_id=saved.id, property_id=uuid.UUID(listed)))
        smart = SavedList(
            team_id=saved.team_id,
            name="Big tickets",
            kind="smart",
            filter={"all": [{"field": "estimated_value", "op": "gte", "value": 500000}]},
        )
        session.add(smart)
        await session.flush()
        list_id, smart_id = str(saved.id), str(smart.id)
    big = await create(client, admin, "5 Mansion Rd", estimated_value=750000, stage="negotiation")

    def shown(columns: list[dict[str, Any]]) -> set[str]:
        return {card["id"] for c in columns for card in c["cards"]}

    assigned = await get_board(client, admin, assignee_id=agent.member_id)
    assert shown(assigned) == {mine}
    column = by_stage(assigned)["new"]
    assert column["count"] == 1 and Decimal(column["total_value"]) == 10
    assert column["cards"][0]["assignee_name"] == "Agent Person"
    assert shown(await get_board(client, admin, market_id=market_id)) == {in_market}
    assert shown(await get_board(client, admin, list_id=list_id)) == {listed}
    assert shown(await get_board(client, admin, list_id=list_id, market_id=market_id)) == set()
    # A smart list filters by what its filter matches today.
    assert shown(await get_board(client, admin, list_id=smart_id)) == {big}
    await client.patch(f"/api/v1/properties/{mine}", json={"estimated_value": 600000}, headers=admin.headers)
    assert shown(await get_board(client, admin, list_id=smart_id)) == {big, mine}
    more = await client.get(
        "/api/v1/pipeline/qualified/cards", params={"list_id": list_id}, headers=admin.headers
    )
    assert ids(more.json()["items"]) == [listed]

    # Another team's member, market or list is no filter of this team's board.
    other = await register(client)
    for param, value in (("assignee_id", agent.member_id), ("market_id", market_id), ("list_id", list_id)):
        refused = await client.get("/api/v1/pipeline", params={param: value}, headers=other.headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["details"]["field"] == param


async def test_agents_limited_to_their_leads_see_only_those(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    mine = await create(client, admin, "5 Mine Ln", assigned_to_id=agent.member_id, estimated_value=200)
    await create(client, admin, "6 Theirs Ln", estimated_value=300)
    assert sum(c["count"] for c in await get_board(client, agent)) == 2

    patched = await client.patch(
        "/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers
    )
    assert patched.status_code == 200
    columns = by_stage(await get_board(client, agent))
    assert columns["new"]["count"] == 1 and Decimal(columns["new"]["total_value"]) == 200
    assert ids(columns["new"]["cards"]) == [mine]
    more = await client.get("/api/v1/pipeline/new/cards", headers=agent.headers)
    assert ids(more.json()["items"]) == [mine]
    # The setting limits agents only.
    assert by_stage(await get_board(client, admin))["new"]["count"] == 2


async def test_bad_parameters_are_named_in_a_422(client: httpx.AsyncClient, admin: Member) -> None:
    def field(response: httpx.Response) -> str:
        details = response.json()["error"]["details"]
        return str(details["field"] if isinstance(details, dict) else details[0]["field"])

    for params, name in (
        ({"per_stage": 0}, "per_stage"),
        ({"per_stage": 101}, "per_stage"),
        ({"per_stage": "many"}, "per_stage"),
        ({"sort": "price"}, "sort"),
        ({"assignee_id": "someone"}, "assignee_id"),
        ({"market_id": str(uuid.uuid4())}, "market_id"),
        ({"list_id": str(uuid.uuid4())}, "list_id"),
    ):
        response = await client.get("/api/v1/pipeline", params=params, headers=admin.headers)
        assert response.status_code == 422, (params, response.text)
        assert field(response).split(".")[-1] == name, (params, response.text)
        assert name in response.json()["error"]["message"]

    for path, params, name in (
        ("/api/v1/pipeline/done/cards", {}, "stage"),
        ("/api/v1/pipeline/new/cards", {"cursor": "not-a-cursor"}, "cursor"),
        ("/api/v1/pipeline/new/cards", {"limit": 500}, "limit"),
    ):
        response = await client.get(path, params=params, headers=admin.headers)
        assert response.status_code == 422, (path, params, response.text)
        assert field(response).split(".")[-1] == name, (path, params, response.text)


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_the_board_costs_the_same_queries_however_many_cards(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    async def property_queries() -> int:
        with statements(database) as seen:
            await get_board(client, admin, per_stage=100)
        return sum(1 for s in seen if "FROM properties" in s)

    await create(client, admin, "1 Count Ave", stage="new")
    few = await property_queries()
    agent = await add_member(client, database, admin, role="agent")
    for i, stage in enumerate(STAGES * 3):
        await create(client, admin, f"{i + 2} Count Ave", stage=stage, assigned_to_id=agent.member_id)
    many = await property_queries()
    # The numbers come from property_stage_counts (kept by triggers); one query (a UNION ALL
    # of one index range per stage) for every column's first cards.
    assert few == many == 1


# --- the web page -------------------------------------------------------------------------------


async def test_board_page_its_filters_and_partials(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    from tests.api.test_web_pages import HTMX, web_login

    agent = await add_member(client, database, admin, role="agent")
    cards = {}
    for i in range(23):
        cards[i] = await create(
            client, admin, f"{i + 1} Web Way", estimated_value=100000 + i, stage="outreach" if i else "new"
        )
    await create(client, admin, "77 Agent Row", stage="qualified", assigned_to_id=agent.member_id)
    await web_login(client, admin.email)

    page = await client.get("/pipeline")
    assert page.status_code == 200 and 'aria-current="page"' in page.text
    for stage in STAGES:
        assert f'id="board-col-{stage}"' in page.text
    assert "24 leads" in page.text and "$2.3M estimated value in every stage shown" in page.text
    outreach = page.text.split('id="board-col-outreach"')[1].split("</section>")[0]
    assert 'data-count="22"' in outreach and "$2,200,253" in outreach
    assert outreach.count('class="board-card"') == 20 and "Show more" in outreach
    # Moves offered on a card are the pipeline's allowed ones.
    new_card = page.text.split(f'data-id="{cards[0]}"')[1].split("</li>")[0]
    assert '<option value="outreach">' in new_card and '<option value="negotiation">' not in new_card

    more_url = outreach.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    more = await client.get(more_url, headers=HTMX)
    assert more.status_code == 200 and more.text.count('class="board-card"') == 2
    assert "Show more" not in more.text

    filtered = await client.get("/pipeline", params={"assignee_id": agent.member_id})
    assert (
        "1 lead · " in filtered.text and "77 AGENT ROW" in filtered.text and "1 WEB WAY" not in filtered.text
    )
    assert f'<option value="{agent.member_id}" selected>' in filtered.text
    # A malformed id in a hand-edited URL shows the whole board.
    assert "24 leads" in (await client.get("/pipeline", params={"market_id": "nope"})).text

    columns = await client.get("/pipeline/board", params={"stages": "new,qualified"}, headers=HTMX)
    assert columns.status_code == 200 and columns.text.count('hx-swap-oob="true"') == 2
    assert 'id="board-col-new"' in columns.text and 'id="board-col-qualified"' in columns.text
    everything = await client.get("/pipeline/board", headers=HTMX)
    assert everything.text.count('hx-swap-oob="true"') == len(STAGES)


async def test_viewers_see_the_board_without_moves(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    from tests.api.test_web_pages import web_login

    viewer = await add_member(client, database, admin, role="viewer")
    await create(client, admin, "8 Viewer Ct")
    await web_login(client, viewer.email)
    page = await client.get("/pipeline")
    assert page.status_code == 200 and "8 VIEWER CT" in page.text
    assert "data-board-move" not in page.text and "data-can-move" not in page.text
