"""The web UI shell in headless Chromium, against a real server on the test database.

Register → add properties → invite a member → accept in a second browser → change their role
→ log out → log in again; no console errors on the way; screenshots of the main pages at 1280
and 390 px wide into docs/screenshots/.
"""

from __future__ import annotations

import re
import uuid

import pytest

from reos.kit.address import normalise_street
from tests.e2e.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PASSWORD,
    PHONE,
    SCREENSHOTS,
    LiveServer,
    invitation_link,
)

pytestmark = pytest.mark.e2e

# address, city, state, ZIP, county, beds, baths, square feet, year built, estimated value, stage
PROPERTIES = [
    ("4417 Quillfeather Ln", "Tampa", "FL", "33610", "Hillsborough", 3, 2, 1480, 1986, 238000, "new"),
    ("1208 Magnolia Ave", "Orlando", "FL", "32803", "Orange", 4, 2.5, 2150, 1994, 361500, "outreach"),
    ("77 Cedar Bend Dr", "Jacksonville", "FL", "32218", "Duval", 3, 1, 1120, 1962, 174000, "qualified"),
    ("3902 Pecan St", "Mobile", "AL", "36604", "Mobile", 2, 1, 960, 1948, 151000, "negotiation"),
    ("18 Harbor View Ct", "Pensacola", "FL", "32507", "Escambia", 3, 2, 1710, 1999, 398000, "outreach"),
    ("2250 Sycamore Rd", "Tallahassee", "FL", "32303", "Leon", 4, 3, 2480, 2003, 412000, "under_contract"),
    ("940 Juniper Way", "Sarasota", "FL", "34232", "Sarasota", 3, 2, 1390, 1979, 305000, "closed_won"),
]


def test_register_invite_accept_change_role_logout_login(live_server: LiveServer) -> None:
    from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

    base = live_server.url
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def watch(page: Page, who: str) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(f"{who} console: {message.text} @ {page.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"{who} page error: {error}"))
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    def shoot(page: Page, name: str, path: str) -> None:
        """Full-page screenshots at desktop and phone width (toasts removed, they move)."""
        before = page.viewport_size or DESKTOP
        for label, size in (("1280", DESKTOP), ("390", PHONE)):
            page.set_viewport_size(size)
            page.goto(f"{base}{path}")
            page.evaluate("document.getElementById('toasts').replaceChildren()")
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(before)

    suffix = uuid.uuid4().hex[:8]
    admin_email = f"alex.morgan.{suffix}@example.com"
    member_email = f"sam.rivera.{suffix}@example.com"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            admin_ctx = browser.new_context(viewport=DESKTOP)
            admin = watch(admin_ctx.new_page(), "admin")

            # Anonymous: the dashboard sends to the login page, which links to registration.
            admin.goto(f"{base}/")
            expect(admin).to_have_url(f"{base}/login?next=/")
            shoot(admin, "login", "/login")
            shoot(admin, "register", "/register")
            admin.goto(f"{base}/login")
            admin.get_by_role("link", name="Create a team").click()
            expect(admin.get_by_role("heading", name="Create your team")).to_be_visible()

            # Register: account + team, logged in through the cookie session.
            admin.get_by_label("Your name").fill("Alex Morgan")
            admin.get_by_label("Work email").fill(admin_email)
            admin.get_by_label("Password").fill(PASSWORD)
            admin.get_by_label("Team name").fill("Gulf Coast Home Buyers")
            admin.get_by_role("button", name="Create team").click()
            expect(admin).to_have_url(f"{base}/")
            expect(admin.locator(".toast")).to_contain_text("Welcome aboard, Alex")
            expect(admin.locator(".switcher summary")).to_contain_text("Gulf Coast Home Buyers")

            # A few properties so the dashboard and the list have something to show.
            for address, city, state, zip_code, county, beds, baths, sqft, year, value, stage in PROPERTIES:
                admin.goto(f"{base}/properties#new")
                # The add form's own fields (the table's column chooser has a "City" too).
                form = admin.locator("#new form")
                form.get_by_label("Street address").fill(address)
                form.get_by_label("City").fill(city)
                form.get_by_label("State").fill(state)
                form.get_by_label("ZIP").fill(zip_code)
                form.get_by_label("County").fill(county)
                form.get_by_label("Beds").fill(str(beds))
                form.get_by_label("Baths").fill(str(baths))
                form.get_by_label("Sq ft").fill(str(sqft))
                form.get_by_label("Year built").fill(str(year))
                form.get_by_label("Estimated value ($)").fill(f"{value:,}")
                admin.locator("#f-stage").select_option(stage)
                form.locator("button[type=submit]").click()
                street, _unit = normalise_street(address)
                expect(admin.locator(".toast")).to_contain_text(f"{street}, {city} is added")
            expect(admin.locator("#properties-table tbody tr")).to_have_count(7)

            # Team settings: the postal address and brand.
            admin.goto(f"{base}/settings")
            admin.get_by_label("Address", exact=True).fill("2100 N Florida Ave, Suite 300\nTampa, FL 33602")
            admin.get_by_label("Brand name").fill("Gulf Coast Home Buyers")
            admin.get_by_label("Time zone").select_option("America/Chicago")
            admin.get_by_role("button", name="Save settings").click()
            expect(admin.locator(".toast")).to_contain_text("Team settings saved")
            expect(admin.get_by_label("Time zone")).to_have_value("America/Chicago")

            # Invite a member (htmx swaps the invitations panel).
            admin.goto(f"{base}/team")
            invite_form = admin.locator("#invitations-panel form").first
            invite_form.get_by_label("Email").fill(member_email)
            invite_form.get_by_label("Role").select_option("agent")
            invite_form.get_by_role("button", name="Send invitation").click()
            expect(admin.locator(f"#pending-invitations [data-email='{member_email}']")).to_be_visible()
            expect(admin.locator(".toast")).to_contain_text(f"Invitation sent to {member_email}")

            # The invitee accepts in a second browser context (no shared cookies).
            link = invitation_link(live_server, member_email)
            member_ctx = browser.new_context(viewport=PHONE)
            member = watch(member_ctx.new_page(), "member")
            shoot(member, "invite", link.removeprefix(base))
            member.goto(link)
            expect(member.get_by_role("heading", name="Join Gulf Coast Home Buyers")).to_be_visible()
            member.get_by_label("Your name").fill("Sam Rivera")
            member.get_by_label("Choose a password").fill(PASSWORD)
            member.get_by_role("button", name="Join Gulf Coast Home Buyers").click()
            expect(member).to_have_url(f"{base}/")
            expect(member.locator(".toast")).to_contain_text("Welcome to Gulf Coast Home Buyers, Sam")

            # The admin sees the new member and makes them a manager.
            admin.goto(f"{base}/team")
            row = admin.locator(f"#members-table tr[data-email='{member_email}']")
            expect(row).to_contain_text("Sam Rivera")
            expect(admin.locator("#pending-invitations")).to_have_count(0)
            with admin.expect_response(re.compile(r"/team/members/")) as answer:
                row.locator("select[name=role]").select_option("manager")
            assert answer.value.status == 200
            expect(row.locator("select[name=role]")).to_have_value("manager")
            expect(admin.locator(".toast")).to_contain_text("Sam Rivera is now manager")

            # The change applies to the member's very next request.
            member.goto(f"{base}/team")
            expect(member.locator(".switcher summary")).to_contain_text("Manager")
            expect(member.locator("#members-table select")).to_have_count(0)

            # The admin's dashboard follows the team's changes live (Server-Sent Events), here a
            # property the member adds from their phone.
            with admin.expect_response(lambda response: response.url.endswith("/api/v1/events")):
                admin.goto(f"{base}/")
            expect(admin.locator("[data-kpi=properties]")).to_have_text("7")
            member.goto(f"{base}/properties#new")
            member_form = member.locator("#new form")
            member_form.get_by_label("Street address").fill("615 W Elm St")
            member_form.get_by_label("City").fill("Panama City")
            member_form.get_by_label("State").fill("FL")
            member_form.get_by_label("ZIP").fill("32401")
            member_form.get_by_label("Estimated value ($)").fill("289000")
            member.get_by_role("button", name="Add property").last.click()
            expect(member.locator(".toast")).to_contain_text("615 W ELM ST, Panama City is added")
            # The stream wakes on NOTIFY, or at the latest on its 15 s keep-alive.
            expect(admin.locator("[data-kpi=properties]")).to_have_text("8", timeout=20_000)
            expect(admin.locator("#dashboard-live")).to_contain_text("615 W ELM ST")

            # Screenshots of the main pages, then the phone navigation opened.
            shoot(admin, "dashboard", "/")
            shoot(admin, "properties", "/properties")
            shoot(admin, "team", "/team")
            shoot(admin, "settings", "/settings")
            admin.set_viewport_size(PHONE)
            admin.goto(f"{base}/")
            expect(admin.locator(".sidebar")).not_to_be_in_viewport()
            admin.get_by_role("button", name="Open menu").click()
            expect(admin.get_by_role("link", name="Team")).to_be_in_viewport()
            admin.wait_for_timeout(300)  # the drawer's slide-in transition
            admin.evaluate("document.getElementById('toasts').replaceChildren()")
            admin.screenshot(path=str(SCREENSHOTS / "navigation-390.png"))
            admin.set_viewport_size(DESKTOP)

            # Log out, then log in again.
            admin.goto(f"{base}/")
            admin.get_by_role("button", name="Log out").click()
            expect(admin).to_have_url(f"{base}/login")
            expect(admin.locator(".toast")).to_contain_text("You are logged out")
            admin.goto(f"{base}/team")
            expect(admin).to_have_url(f"{base}/login?next=/team")
            admin.get_by_label("Email").fill(admin_email)
            admin.get_by_label("Password").fill(PASSWORD)
            admin.get_by_role("button", name="Log in").click()
            expect(admin).to_have_url(f"{base}/team")
            expect(admin.locator(f"#members-table tr[data-email='{member_email}'] select")).to_have_value(
                "manager"
            )
        finally:
            browser.close()

    assert problems == [], "\n".join(problems)
