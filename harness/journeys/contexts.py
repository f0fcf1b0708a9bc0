"""Browser contexts kept between journeys, each starting every journey as a first visit.

A new Playwright context per journey costs a new renderer process and a cold page (~0.4 s of a
2-core machine's time per journey, measured against reusing one). A context fixes the viewport,
touch, phone and locale, so contexts are kept per device shape; between journeys a kept one is
wiped of what a first-time visitor would not have: cookies, local and session storage, and the
HTTP cache is off for its page (static files are fetched on every visit, as for a new visitor).
A journey that failed closes its context instead: nothing of a broken page carries over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page

DEFAULT_TIMEOUT_MS = 10_000
_CLEAR_STORAGE = "() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }"


@dataclass(frozen=True)
class Shape:
    """What a browser context fixes for its whole life."""

    width: int
    height: int
    phone: bool
    locale: str

    def options(self) -> dict[str, Any]:
        return {"viewport": {"width": self.width, "height": self.height}, "is_mobile": self.phone,
                "has_touch": self.phone, "locale": self.locale}


@dataclass
class Tab:
    """One context with its one page; tracing runs for the context's life, a chunk per journey."""

    shape: Shape
    context: BrowserContext
    page: Page


@dataclass
class ContextPool:
    browser: Browser
    keep: int  # contexts kept idle at most (the journeys running at once)
    idle: list[Tab] = field(default_factory=list)
    prepare: Callable[[BrowserContext], Awaitable[None]] | None = None  # e.g. route Stripe.js, once per new context

    async def take(self, shape: Shape) -> Tab:
        """A clean tab for one journey (its trace chunk started)."""
        tab = next((t for t in self.idle if t.shape == shape), None)
        if tab is not None:
            self.idle.remove(tab)
        else:
            tab = await self._open(shape)
        await tab.context.tracing.start_chunk()
        return tab

    async def give_back(self, tab: Tab, *, healthy: bool, trace: Path | None = None) -> bool:
        """End the journey's trace chunk (saved to `trace` if given) and keep the tab for another
        journey if it is healthy. Returns whether the trace was written."""
        written = False
        try:
            await tab.context.tracing.stop_chunk(path=str(trace) if trace else None)
            written = trace is not None
        except Exception:  # a crashed page can take its trace with it
            healthy = False
        if healthy:
            try:
                await tab.page.evaluate(_CLEAR_STORAGE)
                await tab.context.clear_cookies()
            except Exception:
                healthy = False
        if healthy and len(self.idle) < self.keep:
            self.idle.append(tab)
        else:
            await _close(tab)
        return written

    async def close(self) -> None:
        for tab in self.idle:
            await _close(tab)
        self.idle.clear()

    async def _open(self, shape: Shape) -> Tab:
        if len(self.idle) >= self.keep:  # room for a context of another shape: drop the oldest idle one
            await _close(self.idle.pop(0))
        context = await self.browser.new_context(**shape.options())
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        if self.prepare is not None:
            await self.prepare(context)
        await context.tracing.start(snapshots=False, screenshots=False)
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        return Tab(shape, context, page)


async def _close(tab: Tab) -> None:
    try:
        await tab.context.close()
    except Exception:
        pass
