"""The weights page and the score breakdown in headless Chromium: a weight change previews the new
ranking live, saving rescores the team through the worker, the breakdown adds and removes a
signal in place; no console errors; screenshots at 1280 and 390 px into docs/screenshots/scoring-*.png."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD, PHONE, SCREENSHOTS, LiveServer
from tests.e2e.test_admin import api_register

pytestmark = pytest.mark.e2e

LEADS = [
    ("2719 Birchwood Ave", "Tampa", "340000", "120000", ["pre_foreclosure", "vacant"]),
    ("410 Lakeview Ter", "Clearwater", "275000", "0", ["probate"]),
    ("88 Palmetto St", "Tampa", "190000", "176000", ["tax_delinquent", "code_violation", "vacant"]),
    ("1502 Oakridge Dr", "Brandon", "410000", "150000", ["divorce"]),
    ("9 Harbor View Ln", "St. Petersburg", "520000", "60000", ["tired_landlord", "eviction"]),
    ("3310 Cypress Point Rd", "Tampa", "230000", "90000", ["vacant"]),
    ("77 Magnolia Ct", "Largo", "185000", "0", ["tax_delinquent"]),
    ("615 Sable Palm Way", "Riverview", "305000", "210000", ["code_violation"]),
    ("24 Bayshore Blvd", "Tampa", "650000", "300000", ["probate", "vacant"]),
    ("1180 Gulf Breeze Ave", "Clearwater", "260000", "240000", []),
]


def test_weights_preview_save_and_breakdown(live_server: LiveServer) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    base = live_server.url
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    email = f"dana.reyes.{uuid.uuid4().hex[:6]}@example.com"
    today = datetime.now(UTC).date()
    with httpx.Client(base_url=base, timeout=30) as api:
        me = api_register(api, email, "Dana Reyes", "Suncoast Acquisitions")
        headers = me["headers"]
        ids = []
        for n, (address, city, value, mortgage, kinds) in enumerate(LEADS):
            made = api.post(
                "/api/v1/properties",
                json={
                    "address": address,
                    "city": city,
                    "state": "FL",
                    "zip_code": "33610",
                    "estimated_value": value,
                    "mortgage_balance": mortgage,
                    "last_sale_date": f"{1995 + 3 * n}-06-01",
                },
                headers=headers,
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
            for k, kind in enumerate(kinds):
                observed = (today - timedelta(days=12 + 25 * n + 20 * k)).isoformat()
                added = api.post(
                    f"/api/v1/properties/{ids[-1]}/signals",
                    json={"kind": kind, "observed_on": observed, "detail": {"source_list": "County records"}},
                    headers=headers,
                )
                assert added.status_code == 201, added.text

    def watch(page: Page) -> Page:
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        return page

    def breakdown_on_property_page(page: Page, property_id: str) -> None:
        page.goto(f"{base}/properties/{property_id}")
        page.locator("#score-breakdown").scroll_into_view_if_needed()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = watch(browser.new_context(viewport=DESKTOP).new_page())
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(f"{base}/")
            page.get_by_role("link", name="Scoring", exact=True).first.click()
            expect(page).to_have_url(f"{base}/scoring")
            expect(page.locator(".score-preview-table tbody tr")).to_have_count(len(LEADS))

            # Vacancy worth 60 points: the preview moves the vacant leads up, live.
            for label, size in (("1280", DESKTOP), ("390", PHONE)):
                page.set_viewport_size(size)
                page.goto(f"{base}/scoring")
                expect(page.locator("#score-hint-vacant")).to_have_text("3.7 pts after a year")
                page.get_by_label("Vacant points").fill("60")
                expect(page.locator("#score-preview")).to_contain_text("▲")
                # The row's hint follows the value being edited (60 × 0.5^(365/180)).
                expect(page.locator("#score-hint-vacant")).to_have_text(
                    "14.7 pts after a year · default 15 / 180 d"
                )
                page.screenshot(path=str(SCREENSHOTS / f"scoring-weights-{label}.png"), full_page=True)
            page.set_viewport_size(DESKTOP)

            page.get_by_role("button", name="Save and rescore").click()
            expect(page.locator(".toast")).to_contain_text("version 2")
            expect(page.locator("#score-status")).to_contain_text("Done", timeout=30_000)
            with httpx.Client(base_url=base, timeout=30) as api:
                score = api.get(f"/api/v1/properties/{ids[5]}/score", headers=headers).json()
            assert score["version"] == 2 and score["stored_score"] == score["score"]
            assert next(f for f in score["factors"] if f["kind"] == "vacant")["weight"] == 60

            # The breakdown: add a signal by hand, then remove it, in place.
            breakdown_on_property_page(page, ids[0])
            card = page.locator("#score-breakdown")
            # Two signals from the list, high equity and long tenure from the record.
            expect(card.locator(".score-factor")).to_have_count(4)
            card.locator("select[name=kind]").select_option("probate")
            card.get_by_placeholder("Evidence (case no., amount…)").fill("Case 2024-CP-118")
            card.get_by_role("button", name="Add signal").click()
            expect(page.locator("#score-breakdown .score-factor")).to_have_count(5)
            expect(page.locator("#score-breakdown")).to_contain_text("Case 2024-CP-118")
            page.evaluate("document.getElementById('toasts')?.replaceChildren()")
            for label, size in (("1280", DESKTOP), ("390", PHONE)):
                # Loaded at its size: a page narrowed in place caught the sidebar sliding shut.
                page.set_viewport_size(size)
                breakdown_on_property_page(page, ids[0])
                expect(page.locator("#score-breakdown .score-factor")).to_have_count(5)
                # The phone's sticky top bar would lie over a card taller than the screen.
                page.locator("#score-breakdown").screenshot(
                    path=str(SCREENSHOTS / f"scoring-breakdown-{label}.png"),
                    style=".topbar, .toasts { visibility: hidden; }",
                )
            page.set_viewport_size(DESKTOP)
            page.locator("#score-breakdown .score-factor", has_text="Probate").get_by_role(
                "button", name="Remove"
            ).click()
            expect(page.locator("#score-breakdown .score-factor")).to_have_count(4)
        finally:
            browser.close()
    assert problems == []
