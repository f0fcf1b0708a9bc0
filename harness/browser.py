"""Launching Chromium for journeys and tests: Debian's browser, not a downloaded one.

`playwright install` cannot fetch browsers on these machines, so Playwright drives the system
Chromium (/usr/bin/chromium, or the path in CHECKOUT_HARNESS_BROWSER) with flags that keep it
quiet and offline: no background networking, component updates, sync or QUIC.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

DEFAULT_BROWSER = "/usr/bin/chromium"
BROWSER_ENV = "CHECKOUT_HARNESS_BROWSER"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
# Viewports a person meets the page in: a phone (iPhone 12-15 size) and a desktop.
VIEWPORTS: dict[str, dict[str, int]] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


class BrowserNotFound(RuntimeError):
    pass


def browser_path() -> str:
    """The Chromium executable: $CHECKOUT_HARNESS_BROWSER if set, else Debian's."""
    path = os.environ.get(BROWSER_ENV) or DEFAULT_BROWSER
    resolved = path if os.path.isfile(path) else shutil.which(path)
    if not resolved or not os.access(resolved, os.X_OK):
        raise BrowserNotFound(
            f"no Chromium at {path!r}: install Debian's (apt-get install chromium) or set {BROWSER_ENV} to a Chromium executable"
        )
    return resolved


def launch_options(headless: bool = True, extra_args: tuple[str, ...] = ()) -> dict[str, Any]:
    """Keyword arguments for `playwright.chromium.launch(**launch_options())`."""
    return {"executable_path": browser_path(), "args": [*CHROMIUM_ARGS, *extra_args], "headless": headless}


def context_options(device: str = "desktop", locale: str | None = None) -> dict[str, Any]:
    """Keyword arguments for `browser.new_context(...)` for a phone or a desktop."""
    if device not in VIEWPORTS:
        raise ValueError(f"unknown device {device!r}; expected one of {', '.join(VIEWPORTS)}")
    options: dict[str, Any] = {"viewport": dict(VIEWPORTS[device])}
    if device == "phone":
        options.update(device_scale_factor=3, is_mobile=True, has_touch=True)
    if locale:
        options["locale"] = locale
    return options
