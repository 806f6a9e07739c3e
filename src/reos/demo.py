"""Demo data: a team with members of every role and a few properties."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from reos.db.session import make_database, set_team, team_session
from reos.properties import service as properties
from reos.properties.schemas import PropertyCreate
from reos.teams import service as teams
from reos.teams.models import Account, Membership, Role
from reos.teams.schemas import TeamSettingsUpdate

ADMIN_EMAIL = "demo@example.com"
PASSWORD = "demo-password-123"
TEAM = "Sunbelt Acquisitions"
MEMBERS = [
    ("maria.lopez@example.com", "Maria Lopez", Role.manager),
    ("devon.hart@example.com", "Devon Hart", Role.agent),
    ("sam.reyes@example.com", "Sam Reyes", Role.viewer),
]
PROPERTIES = [
    ("4417 Quillfeather Ln", "Tampa", "FL", "33610", "Hillsborough", 3, "2.0", 1480, 1986, 238000, "new"),
    ("1208 Magnolia Ave", "Orlando", "FL", "32803", "Orange", 4, "2.5", 2150, 1994, 361500, "outreach"),
    ("77 Cedar Bend Dr", "Jacksonville", "FL", "32218", "Duval", 3, "1.0", 1120, 1962, 174000, "qualified"),
    ("3902 Pecan St", "San Antonio", "TX", "78210", "Bexar", 2, "1.0", 960, 1948, 151000, "negotiation"),
    ("615 W Elm St", "Dallas", "TX", "75208", "Dallas", 3, "2.0", 1640, 1971, 289000, "new"),
    ("2250 Sycamore Rd", "Atlanta", "GA", "30318", "Fulton", 4, "3.0", 2480, 2003, 412000, "under_contract"),
    (
        "18 Harbor View Ct",
        "Charleston",
        "SC",
        "29412",
        "Charleston",
        3,
        "2.0",
        1710,
        1999,
        398000,
        "outreach",
    ),
    ("940 Juniper Way", "Phoenix", "AZ", "85008", "Maricopa", 3, "2.0", 1390, 1979, 305000, "closed_won"),
]


async def load(app_url: str, owner_url: str, *, only_if_empty: bool) -> bool:
    db = make_database(app_url, owner_url)
    try:
        async with team_session(db, None) as session:
            if only_if_empty and (await session.scalar(select(func.count()).select_from(Account))):
                return False
            if await teams.get_account_by_email(session, ADMIN_EMAIL) is not None:
                return False
            _admin, membership = await teams.create_user(
                session,
                email=ADMIN_EMAIL,
                password=PASSWORD,
                full_name="Jordan Demo",
                team_name=TEAM,
                operator=True,
            )
            assert membership is not None
            team_id = membership.team_id
            await set_team(session, team_id)
            await teams.update_team(
                session,
                team_id=team_id,
                changes=TeamSettingsUpdate(
                    postal_address="2100 N Florida Ave, Suite 300, Tampa, FL 33602",
                    brand_name="Sunbelt Home Buyers",
                    timezone="America/New_York",
                ),
            )
            for email, name, role in MEMBERS:
                account, _ = await teams.create_user(
                    session, email=email, password=PASSWORD, full_name=name, team_name=None, operator=False
                )
                session.add(Membership(team_id=team_id, account_id=account.id, role=role, is_active=True))
            for address, city, state, zip_code, county, beds, baths, sqft, year, value, stage in PROPERTIES:
                await properties.create_property(
                    session,
                    team_id=team_id,
                    created_by_id=membership.id,
                    data=PropertyCreate(
                        address=address,
                        city=city,
                        state=state,
                        zip_code=zip_code,
                        county=county,
                        bedrooms=beds,
                        bathrooms=Decimal(baths),
                        square_feet=sqft,
                        year_built=year,
                        estimated_value=Decimal(value),
                        stage=stage,
                    ),
                )
            await session.flush()
            return True
    finally:
        await db.dispose()
