"""The import wizard in headless Chromium, end to end: upload a realistic lead list, map its
columns with a live preview, save the mapping, start, follow the run to its report, download the
error file, undo (a lead worked on since is kept) and find it all in the history. No console
errors; screenshots at 1280 and 390 px into docs/screenshots/import-*.png."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import httpx
import pytest
from bench.leadgen import generate

from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD, PHONE, SCREENSHOTS, LiveServer
from tests.e2e.test_admin import api_register

pytestmark = pytest.mark.e2e

ROWS = 240
BAD_ROWS = 6


def test_import_wizard_end_to_end_with_undo(live_server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    base = live_server.url
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "propstream-tampa-absentee.csv"
    planted = generate(source, rows=ROWS, seed=11, bad_rows=BAD_ROWS)
    email = f"maya.ortiz.{uuid.uuid4().hex[:6]}@example.com"
    with httpx.Client(base_url=base, timeout=30) as api:
        me = api_register(api, email, "Maya Ortiz", "Gulf Coast Home Buyers")
        headers = me["headers"]

    def watch(page: Page) -> Page:
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        return page

    def shoot(page: Page, name: str) -> None:
        for label, size in (("1280", DESKTOP), ("390", PHONE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(400)  # the navigation drawer's transition to its new place
            page.evaluate("document.getElementById('toasts')?.replaceChildren()")
            page.screenshot(path=str(SCREENSHOTS / f"import-{name}-{label}.png"), full_page=True)
        page.set_viewport_size(DESKTOP)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = watch(browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page())
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(f"{base}/")
            page.get_by_role("link", name="Imports", exact=True).first.click()
            expect(page).to_have_url(f"{base}/imports")
            expect(page.locator(".empty")).to_contain_text("No imports yet")

            # 1. Upload: the file's name shows in the drop zone.
            page.locator("[data-file-input]").set_input_files(str(source))
            expect(page.locator("[data-dropzone]")).to_contain_text(source.name)
            shoot(page, "upload")
            page.get_by_role("button", name="Upload and map columns").click()
            expect(page).to_have_url(f"{base}/imports/" + page.url.split("/imports/")[1])
            assert page.url.endswith("/mapping")

            # 2. Mapping: guessed from the headers, previewed, edited live.
            expect(page.get_by_label("Import “Property Address” as")).to_have_value("address")
            expect(page.get_by_label("Import “Phone 1 DNC” as")).to_have_value("phone_1_dnc")
            expect(page.get_by_label("Import “Vacant” as")).to_have_value("vacant")
            preview = page.locator("#import-preview")
            expect(preview.locator(".import-rows tbody tr")).to_have_count(20)
            mapped = page.locator("[data-mapped-count]")
            before = mapped.inner_text()
            page.get_by_label("Import “Vacant” as").select_option("")
            expect(mapped).not_to_have_text(before)
            expect(preview.locator(".badge-kind", has_text="Vacant")).to_have_count(0)
            page.get_by_label("Import “Vacant” as").select_option("vacant")
            expect(mapped).to_have_text(before)
            expect(preview.locator(".badge-kind", has_text="Vacant").first).to_be_visible()
            page.get_by_label("Save this mapping as").fill("PropStream export")
            shoot(page, "mapping")

            # 3. Run: the import goes to the worker; the page follows it live to the report.
            page.get_by_role("button", name="Start import").click()
            expect(page.locator(".toast")).to_contain_text("mapping saved as “PropStream export”")
            import_id = page.url.rsplit("/", 1)[1]
            expect(page.locator("[data-count=created]")).to_be_visible(timeout=90_000)
            with httpx.Client(base_url=base, timeout=30) as api:
                done = api.get(f"/api/v1/imports/{import_id}", headers=headers).json()
                presets = api.get("/api/v1/imports/presets", headers=headers).json()
            counts = done["counts"]
            assert done["status"] == "completed"
            assert counts["total"] == ROWS and counts["errors"] == BAD_ROWS == len(planted.bad_rows)
            assert counts["duplicates"] == planted.duplicates
            expect(page.locator("[data-count=created]")).to_have_text(f"{counts['created']:,}")
            expect(page.locator("[data-count=errors]")).to_have_text(str(BAD_ROWS))
            assert [p["name"] for p in presets] == ["PropStream export"]
            shoot(page, "report")

            # The error file: every refused row with its number, as downloaded.
            with page.expect_download() as download:
                page.locator("[data-download-errors]").click()
            text = Path(download.value.path()).read_text(encoding="utf-8")
            rows = list(csv.DictReader(io.StringIO(text)))
            refused = sorted({int(r["row_number"]) for r in rows if r["row_number"]} & set(planted.bad_rows))
            assert refused == sorted(planted.bad_rows)

            # A lead worked on since the import (a task) survives undo, and the report says why.
            with httpx.Client(base_url=base, timeout=30) as api:
                listed = api.get("/api/v1/properties?limit=1", headers=headers).json()["items"][0]
                task = api.post(
                    "/api/v1/tasks",
                    json={
                        "title": "Call the owner about the roof",
                        "property_id": listed["id"],
                        "due_at": "2030-01-01T15:00:00Z",
                    },
                    headers=headers,
                )
                assert task.status_code == 201, task.text

            # 4. Undo, confirmed in a dialog.
            page.get_by_role("button", name="Undo import").click()
            expect(page.locator(".toast")).to_contain_text("Import undone")
            expect(page.locator("[data-undo-report]")).to_contain_text(
                f"{counts['created'] - 1:,} properties removed"
            )
            expect(page.locator(".import-undone")).to_contain_text(listed["address"])
            expect(page.locator(".import-undone")).to_contain_text("task")
            shoot(page, "undone")
            with httpx.Client(base_url=base, timeout=30) as api:
                left = api.get("/api/v1/properties?limit=10", headers=headers).json()["items"]
            assert [p["id"] for p in left] == [listed["id"]]

            page.get_by_role("link", name="All imports").click()
            expect(page.locator(".import-history tbody tr")).to_have_count(1)
            expect(page.locator(".import-history")).to_contain_text("Undone")
            shoot(page, "history")
        finally:
            browser.close()
    assert problems == []
