"""One Chromium per test session (Debian's, through harness/browser.py), for Playwright tests.

conftest.py imports `browser` from here. The sync Playwright API runs its own event loop in a
thread, which is fine beside the gateway running in its own process.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.browser import BrowserNotFound, launch_options


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    try:
        options = launch_options()
    except BrowserNotFound as err:
        pytest.skip(str(err))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(**options)
        yield chromium
        chromium.close()
