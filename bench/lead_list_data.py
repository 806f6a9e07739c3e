"""The data set of the lead-list benchmark (bench/lead_list.py): one team with N properties
generated in SQL as the owner (generate_series), ten members, a smart list, and a second small
team so that row-level security has rows to keep out. Generated once per data folder and reused.

Distributions (all drawn per row in SQL, seeded so two runs build the same data):
- signals at rates seen in list-tool exports: absentee owner 30 %, out of state 10 % (a subset
  of absentee), tax delinquent 8 %, vacant 6 %, long tenure 25 %, pre-foreclosure 2 %, probate
  1.5 %, code violation 1 %, and high equity / free and clear derived from the equity;
- score 0-100 from those signals plus noise, so it is skewed low (median ~20, ~12 % at 70+)
  and correlated with the signals, as a propensity score is;
- stages as a funnel: new 55 %, outreach 22 %, qualified 9 %, negotiation 4 %, under contract
  2 %, closed won 2 %, closed lost 4 %, archived 2 %;
- 70 % of the leads assigned, evenly across the ten members;
- estimated values 60 k-1.2 M, 30 % free and clear, the rest owing 10-110 % of the value;
- created over three years, updated between creation and now; ~50,000 street names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

TEAM_NAME = "Bench lead list"
OTHER_TEAM_NAME = "Bench other team"
ADMIN_EMAIL = "bench-list-admin@example.com"
OTHER_EMAIL = "bench-list-other@example.com"
PASSWORD = "bench-password-123"
MEMBERS = 10  # the admin and nine agents: the assignees
SMART_LIST = "Absentee, tax delinquent, equity 40+, new or outreach"
SMART_FILTER: dict[str, Any] = {
    "all": [
        {"field": "signals", "op": "has_all", "value": ["absentee_owner", "tax_delinquent"]},
        {"field": "equity_percent", "op": "gte", "value": 40},
        {"field": "stage", "op": "in", "value": ["new", "outreach"]},
    ],
    "sort": [{"field": "score", "dir": "desc"}],
}
CHUNK = 100_000

# One row per generated property; r[i] are the row's random draws.
_INSERT = """
insert into properties (
    id, team_id, created_at, updated_at, address, unit, city, state, zip_code, county, apn,
    property_type, bedrooms, bathrooms, square_feet, year_built, estimated_value,
    mortgage_balance, last_sale_date, stage, stage_changed_at, score, assigned_to_id,
    created_by_id, signal_kinds, derived_signals, score_updated_at
)
select
    gen_random_uuid(), %(team)s, created, created + (now() - created) * r[1],
    (100 + (r[2] * 9800)::int)::text || ' ' || 'STREET ' || (1 + (r[3] * 49999)::int)::text
        || ' ' || (array['ST','AVE','RD','LN','DR','CT','BLVD','WAY'])[1 + (r[4] * 7)::int],
    case when r[5] < 0.1 then 'APT ' || (1 + (r[6] * 40)::int)::text end,
    (array['TAMPA','ORLANDO','MIAMI','JACKSONVILLE','ATLANTA','HOUSTON','DALLAS','PHOENIX',
           'CHARLOTTE','MEMPHIS'])[1 + (r[7] * 9)::int],
    (array['FL','FL','FL','FL','GA','TX','TX','AZ','NC','TN'])[1 + (r[7] * 9)::int],
    lpad((10000 + (r[8] * 89999)::int)::text, 5, '0'),
    (array['HILLSBOROUGH','ORANGE','MIAMI-DADE','DUVAL','FULTON','HARRIS','DALLAS','MARICOPA',
           'MECKLENBURG','SHELBY'])[1 + (r[7] * 9)::int],
    lpad(g::text, 10, '0') || '-' || (g %% 97)::text,
    (array['single_family','single_family','single_family','single_family','multi_family',
           'condo','townhouse','mobile_home','land','commercial'])[1 + (r[9] * 9)::int],
    1 + (r[10] * 5)::int, 1 + round((r[10] * 3)::numeric, 1), 700 + (r[10] * 3300)::int,
    1920 + (r[11] * 103)::int,
    value, case when free then null else round((value * (0.1 + r[12]))::numeric, -2) end,
    (date '2024-12-01' - (r[13] * 12000)::int),
    stage, created + (now() - created) * r[1] * 0.5,
    least(100, greatest(0, (
        power(r[14], 1.5) * 55
        + 22 * absentee::int + 8 * (absentee and r[15] < 0.33)::int + 25 * tax::int
        + 10 * vacant::int + 20 * (r[16] < 0.02)::int + 15 * (r[17] < 0.015)::int
        + 8 * (r[18] < 0.25)::int + 10 * free::int
    )::int)),
    case when r[19] < 0.7 then (%(members)s::uuid[])[1 + (r[20] * 9.999)::int] end,
    %(creator)s,
    array_remove(array[
        case when absentee then 'absentee_owner' end,
        case when absentee and r[15] < 0.33 then 'out_of_state_owner' end,
        case when tax then 'tax_delinquent' end,
        case when r[16] < 0.02 then 'pre_foreclosure' end,
        case when r[17] < 0.015 then 'probate' end,
        case when vacant then 'vacant' end,
        case when free or r[12] < 0.4 then 'high_equity' end,
        case when free then 'free_and_clear' end,
        case when r[18] < 0.25 then 'long_tenure' end,
        case when r[21] < 0.01 then 'code_violation' end
    ]::varchar[], null),
    -- The derived kinds among them, found the day the lead came in (as a rescoring keeps them).
    jsonb_strip_nulls(jsonb_build_object(
        'absentee_owner', case when absentee then to_char(created, 'YYYY-MM-DD') end,
        'out_of_state_owner', case when absentee and r[15] < 0.33 then to_char(created, 'YYYY-MM-DD') end,
        'high_equity', case when free or r[12] < 0.4 then to_char(created, 'YYYY-MM-DD') end,
        'free_and_clear', case when free then to_char(created, 'YYYY-MM-DD') end,
        'long_tenure', case when r[18] < 0.25 then to_char(created, 'YYYY-MM-DD') end
    )),
    now() - interval '1 day' * r[22]
from (
    select g, r,
        now() - interval '1095 days' * r[23] as created,
        round((60000 + power(r[24], 1.6) * 1140000)::numeric, -3) as value,
        r[25] < 0.3 as free, r[26] < 0.30 as absentee, r[27] < 0.08 as tax, r[28] < 0.06 as vacant,
        case
            when r[29] < 0.55 then 'new' when r[29] < 0.77 then 'outreach'
            when r[29] < 0.86 then 'qualified' when r[29] < 0.90 then 'negotiation'
            when r[29] < 0.92 then 'under_contract' when r[29] < 0.94 then 'closed_won'
            when r[29] < 0.98 then 'closed_lost' else 'archived'
        end as stage
    from (
        select g, array(select random() from generate_series(1, 29) where g is not null) as r
        from generate_series(%(first)s::int, %(last)s::int) g
    ) draws
) rows
"""


@dataclass
class Dataset:
    team_id: uuid.UUID
    admin_membership_id: uuid.UUID
    members: list[uuid.UUID]
    smart_list_id: uuid.UUID
    rows: int


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def existing(owner_url: str) -> Dataset | None:
    with psycopg.connect(_libpq(owner_url)) as conn:
        team = conn.execute("select id from teams where name = %s", (TEAM_NAME,)).fetchone()
        if team is None:
            return None
        team_id = team[0]
        members = [
            r[0]
            for r in conn.execute(
                "select m.id from memberships m join accounts a on a.id = m.account_id"
                " where m.team_id = %s order by a.email",
                (team_id,),
            )
        ]
        admin = conn.execute(
            "select m.id from memberships m join accounts a on a.id = m.account_id"
            " where m.team_id = %s and a.email = %s",
            (team_id, ADMIN_EMAIL),
        ).fetchone()
        smart = conn.execute(
            "select id from lists where team_id = %s and name = %s", (team_id, SMART_LIST)
        ).fetchone()
        rows = conn.execute("select count(*) from properties where team_id = %s", (team_id,)).fetchone()
        if admin is None or smart is None or rows is None:
            return None
        return Dataset(team_id, admin[0], members, smart[0], int(rows[0]))


async def _create_accounts(app_url: str, owner_url: str) -> None:
    from reos.db.session import make_database, team_session
    from reos.teams import service as teams

    db = make_database(app_url, owner_url)
    try:
        for email, team in ((ADMIN_EMAIL, TEAM_NAME), (OTHER_EMAIL, OTHER_TEAM_NAME)):
            async with team_session(db, None) as session:
                await teams.create_user(
                    session,
                    email=email,
                    password=PASSWORD,
                    full_name=email.split("@")[0],
                    team_name=team,
                    operator=False,
                )
    finally:
        await db.dispose()


def generate(app_url: str, owner_url: str, *, rows: int, say: Any = print) -> Dataset:
    """Build the data set (accounts through the product, properties in SQL), then ANALYZE."""
    import asyncio
    import json
    import time

    asyncio.run(_create_accounts(app_url, owner_url))
    with psycopg.connect(_libpq(owner_url), autocommit=True) as conn:
        conn.execute("select setseed(0.42)")
        team_id, admin_id = conn.execute(
            "select m.team_id, m.id from memberships m join accounts a on a.id = m.account_id"
            " where a.email = %s",
            (ADMIN_EMAIL,),
        ).fetchone()  # type: ignore[misc]
        other_team, other_admin = conn.execute(
            "select m.team_id, m.id from memberships m join accounts a on a.id = m.account_id"
            " where a.email = %s",
            (OTHER_EMAIL,),
        ).fetchone()  # type: ignore[misc]
        members = [admin_id]
        for i in range(1, MEMBERS):
            account = conn.execute(
                "insert into accounts (id, created_at, email, full_name, password_hash, is_operator,"
                " is_active, token_version) values (gen_random_uuid(), now(), %s, %s, '!', false,"
                " true, 1) returning id",
                (f"bench-list-agent{i}@example.com", f"Agent {i}"),
            ).fetchone()
            assert account is not None
            membership = conn.execute(
                "insert into memberships (id, created_at, team_id, account_id, role, is_active)"
                " values (gen_random_uuid(), now(), %s, %s, 'agent', true) returning id",
                (team_id, account[0]),
            ).fetchone()
            assert membership is not None
            members.append(membership[0])
        for first in range(1, rows + 1, CHUNK):
            started = time.perf_counter()
            last = min(rows, first + CHUNK - 1)
            conn.execute(
                _INSERT,
                {"team": team_id, "members": members, "creator": admin_id, "first": first, "last": last},
            )
            say(f"  properties {last:,} of {rows:,} ({time.perf_counter() - started:.1f} s)")
        conn.execute(
            _INSERT,
            {
                "team": other_team,
                "members": [other_admin] * MEMBERS,
                "creator": other_admin,
                "first": 1,
                "last": 200,
            },
        )
        smart = conn.execute(
            "insert into lists (id, created_at, updated_at, team_id, name, kind, filter, created_by_id)"
            " values (gen_random_uuid(), now(), now(), %s, %s, 'smart', %s, %s) returning id",
            (team_id, SMART_LIST, json.dumps(SMART_FILTER), admin_id),
        ).fetchone()
        assert smart is not None
        conn.execute("vacuum analyze properties")
    found = existing(owner_url)
    assert found is not None
    return found
