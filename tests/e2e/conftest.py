"""The live server of the browser tests: one per test module, skipped where Chromium or the
npm packages are missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.live import CHROMIUM, ROOT, LiveServer
from tests.fixtures.db import Urls


@pytest.fixture(scope="module")
def live_server(db_urls: Urls) -> Iterator[LiveServer]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    if not (ROOT / "node_modules" / "htmx.org").exists():
        pytest.skip("node_modules/htmx.org is missing: run `npm ci` at the repository root")
    with LiveServer(db_urls) as server:
        yield server
