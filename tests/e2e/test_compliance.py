"""The compliance page in headless Chromium: "check a contact" shows every reason, a review
decision releases the person, and a refused "log a call" says why. Screenshots at 1280 and
390 px into docs/screenshots/."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD, PHONE, SCREENSHOTS, LiveServer

pytestmark = pytest.mark.e2e


def test_check_a_contact_and_release_by_review(live_server: LiveServer) -> None:
    from playwright.sync_api import ConsoleMessage, expect, sync_playwright

    base = live_server.url
    email = f"casey.lee.{uuid.uuid4().hex[:8]}@example.com"
    phone = f"+18135{uuid.uuid4().int % 10**6:06d}"
    mail = f"owner.{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=base, timeout=30) as api:
        reg = api.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": "Casey Lee", "team_name": "Bay Buyers"},
        )
        assert reg.status_code == 201, reg.text
        headers = {"Authorization": f"Bearer {reg.json()['access_token']}"}
        contact = api.post(
            "/api/v1/contacts",
            json={"first_name": "Maria", "last_name": "Owens", "zip_code": "33602"},
            headers=headers,
        ).json()
        for kind, value in (("phone", phone), ("email", mail)):
            added = api.post(
                f"/api/v1/contacts/{contact['id']}/points",
                json={"kind": kind, "value": value},
                headers=headers,
            )
            assert added.status_code == 201, added.text
        api.post("/api/v1/compliance/dnc-numbers", json={"phone": phone}, headers=headers)
        sent = api.post(
            "/api/v1/compliance/inbound",
            json={"phone": phone, "body": "I want to stop the foreclosure, can you help?"},
            headers=headers,
        )
        assert sent.json()["outcome"] == "review", sent.text

    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=DESKTOP).new_page()

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    problems.append(f"console: {message.text} @ {page.url}")

            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("link", name="Compliance").first.click()
            expect(page.locator("#rule-version")).to_have_text("us-2025.1")
            expect(page.locator("#review-table")).to_contain_text("I want to stop the foreclosure")

            # A text to a Florida number at 20:30 Tampa time: every reason shows.
            page.get_by_label("Phone or email").fill(phone)
            page.get_by_label("When").fill("2026-07-15 20:30")
            page.get_by_label("Property ZIP").fill("33602")
            page.get_by_role("button", name="Check", exact=True).click()
            reasons = page.locator("#check-reasons")
            expect(reasons).to_contain_text("Review pending")
            expect(reasons).to_contain_text("Do-not-call")
            expect(reasons).to_contain_text("Quiet hours")
            expect(page.locator("[data-allowed]")).to_have_attribute("data-allowed", "no")
            page.screenshot(path=str(SCREENSHOTS / "compliance-check-1280.png"), full_page=True)
            phone_page = browser.new_context(viewport=PHONE).new_page()
            phone_page.context.add_cookies(page.context.cookies())
            phone_page.goto(f"{base}/compliance")
            phone_page.get_by_label("Phone or email").fill(phone)
            phone_page.get_by_label("When").fill("2026-07-15 20:30")
            phone_page.get_by_role("button", name="Check", exact=True).click()
            expect(phone_page.locator("#check-reasons")).to_contain_text("Quiet hours")
            phone_page.screenshot(path=str(SCREENSHOTS / "compliance-check-390.png"), full_page=True)

            # The email is held only by the review; deciding "not an opt-out" releases the person.
            page.get_by_label("Channel").select_option("email")
            page.get_by_label("Phone or email").fill(mail)
            page.get_by_role("button", name="Check", exact=True).click()
            expect(page.locator("#check-reasons")).to_contain_text("Review pending")
            page.locator("#review-table").get_by_role("button", name="Not an opt-out").click()
            expect(page.locator(".toast, .flash, .alert").first).to_contain_text("released")
            expect(page.locator("#no-reviews")).to_be_visible()
            page.get_by_label("Channel").select_option("email")
            page.get_by_label("Phone or email").fill(mail)
            page.get_by_role("button", name="Check", exact=True).click()
            expect(page.locator("[data-allowed]")).to_have_attribute("data-allowed", "yes")
            for label, shot in (("1280", page), ("390", phone_page)):
                shot.goto(f"{base}/compliance")
                shot.evaluate("document.getElementById('toasts').replaceChildren()")
                shot.screenshot(path=str(SCREENSHOTS / f"compliance-{label}.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
