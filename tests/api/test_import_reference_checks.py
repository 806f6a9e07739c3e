"""An import's big inserts check their rows' references in one join instead of row by row
(migration 0024, `imports.engine`). They lock the rows they reference and did not write, as the
per-row checks would. An insert that would leave a broken reference fails the whole import."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from reos.db.session import Database, team_session
from reos.imports import engine
from reos.imports import service as imports
from tests.api.test_imports import csv_bytes, lead, on_merge_step, properties_of
from tests.fixtures.api import Member

Decisions = list[bool]


def spy_on_decisions(monkeypatch: pytest.MonkeyPatch) -> Decisions:
    """Whether each of the merge's leads, contacts, roles and points inserts ran with the checks off."""
    decisions: Decisions = []
    real = engine._references_unchecked

    async def spy(*args: Any, **kwargs: Any) -> bool:
        decision = await real(*args, **kwargs)
        decisions.append(decision)
        return decision

    monkeypatch.setattr(engine, "_references_unchecked", spy)
    return decisions


def owners(count: int, street: str) -> list[dict[str, str]]:
    return [
        lead(**{
            "Property Address": f"{n} {street}", "APN": f"{street[:3].upper()}-{n}",
            "Owner 1 First Name": f"Owner{n}", "Owner 1 Last Name": street.split()[0],
            "Mailing Address": f"{n} Mail Rd", "Phone 1": f"(813) 555-{n:04d}",
            "Email 1": f"owner{n}@{street.split()[0].lower()}.example",
        })
        for n in range(1, count + 1)
    ]  # fmt: skip


async def test_a_new_list_turns_the_row_checks_off_and_its_re_import_keeps_them(
    admin: Member, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decisions = spy_on_decisions(monkeypatch)
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes(owners(12, "Larkspur Way")))
    team = uuid.UUID(admin.team_id)

    first = await imports.import_path(database, team_id=team, path=str(path))
    assert first.counts["created"] == 12
    # Leads, contacts, roles, points: each wrote rows that reference only what the import wrote
    # itself (and the import and the member who started it).
    assert decisions == [True, True, True, True]
    async with team_session(database, team) as session:
        written = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM property_contacts),"
                    " (SELECT count(*) FROM contact_points),"
                    " (SELECT count(*) FROM contact_points p WHERE NOT EXISTS ("
                    "   SELECT 1 FROM contacts c WHERE c.team_id = p.team_id AND c.id = p.contact_id))"
                )
            )
        ).one()
    assert tuple(written) == (12, 12, 24, 0)

    decisions.clear()
    again = await imports.import_path(database, team_id=team, path=str(path))
    assert again.counts["created"] == 0 and again.counts["unchanged"] == 12
    # Nothing new to write: the inserts keep PostgreSQL's own checks.
    assert decisions == [False, False, False, False]


async def test_an_insert_that_would_break_a_reference_fails_the_import_and_lands_nothing(
    client: httpx.AsyncClient,
    admin: Member,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decisions = spy_on_decisions(monkeypatch)

    async def hand_points_to_nobody(session: Any, step: str) -> None:
        # As a fault in the merge would: the points' owners become contacts nobody wrote.
        if step == "points":
            await session.execute(text("UPDATE imp_owner SET final_id = gen_random_uuid()"))

    on_merge_step(monkeypatch, hand_points_to_nobody)
    path = tmp_path / "broken.csv"
    path.write_bytes(csv_bytes(owners(5, "Foxglove Court")))
    team = uuid.UUID(admin.team_id)

    with pytest.raises(engine.BrokenReferences, match="10 phones and emails would point at rows"):
        await imports.import_path(database, team_id=team, path=str(path))
    assert decisions == [True, True, True, True]
    # The roles' own insert read the broken owners first and was checked by the same join: the
    # points are what failed, and the transaction took everything with it.
    assert await properties_of(client, admin) == []
    async with team_session(database, team) as session:
        left = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM contact_points),"
                    " current_setting('session_replication_role')"
                )
            )
        ).one()
        status = await session.scalar(text("SELECT status FROM imports WHERE filename = 'broken.csv'"))
    assert tuple(left) == (0, "origin")
    assert status == "failed"


async def test_an_owner_a_new_list_gives_phones_stays_until_the_import_commits(
    admin: Member, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-row check would lock the existing contact a new phone belongs to, so that nobody
    deletes it under the import. With the checks off, the import locks it itself."""
    team = uuid.UUID(admin.team_id)
    first = tmp_path / "first.csv"
    first.write_bytes(csv_bytes(owners(1, "Juniper Lane")))
    await imports.import_path(database, team_id=team, path=str(first))
    async with team_session(database, team) as session:
        known = await session.scalar(text("SELECT id FROM contacts"))

    # The same owner with a second phone, among twenty new owners: one existing contact for
    # forty-odd new points, so the points go in with the checks off.
    again = owners(1, "Juniper Lane")
    again[0]["Phone 2"] = "(813) 555-7777"
    second = tmp_path / "second.csv"
    second.write_bytes(csv_bytes(again + owners(20, "Sorrel Street")))
    decisions = spy_on_decisions(monkeypatch)
    refused: list[str] = []

    async def delete_the_owner_meanwhile(session: Any, step: str) -> None:
        if step != "finishing":
            return
        try:
            async with team_session(database, team) as other:
                await other.execute(text("SET LOCAL lock_timeout = '200ms'"))
                await other.execute(text("DELETE FROM contacts WHERE id = :id"), {"id": known})
        except OperationalError as exc:
            refused.append(str(exc.orig))

    on_merge_step(monkeypatch, delete_the_owner_meanwhile)
    done = await imports.import_path(database, team_id=team, path=str(second))

    assert decisions[-1] is True
    assert refused and "lock timeout" in refused[0]
    assert done.counts["created"] == 20
    async with team_session(database, team) as session:
        phones = set(
            await session.scalars(
                text("SELECT value FROM contact_points WHERE contact_id = :id AND kind = 'phone'"),
                {"id": known},
            )
        )
    assert phones == {"+18135550001", "+18135557777"}


async def test_new_phones_for_owners_the_team_has_keep_the_row_checks(
    admin: Member, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten new phones, each for an owner already in the team: locking ten owners for ten rows
    costs more than checking them row by row, so the insert keeps PostgreSQL's own checks."""
    team = uuid.UUID(admin.team_id)
    first = tmp_path / "first.csv"
    first.write_bytes(csv_bytes(owners(10, "Bramble Row")))
    await imports.import_path(database, team_id=team, path=str(first))

    again = owners(10, "Bramble Row")
    for n, row in enumerate(again, start=1):
        row["Phone 2"] = f"(727) 555-{n:04d}"
    second = tmp_path / "second.csv"
    second.write_bytes(csv_bytes(again))
    decisions = spy_on_decisions(monkeypatch)
    done = await imports.import_path(database, team_id=team, path=str(second))

    # Leads, contacts: nothing new; roles and points: every reference is to a row found.
    assert decisions == [False, False, False, False]
    assert done.counts["created"] == 0 and done.counts["updated"] == 10
    async with team_session(database, team) as session:
        phones = (
            await session.execute(text("SELECT count(*) FROM contact_points WHERE kind = 'phone'"))
        ).scalar()
    assert phones == 20
