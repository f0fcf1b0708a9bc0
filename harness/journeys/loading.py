"""Waiting for the page: its own requests (an address lookup), page loads after a click, and
the person's patience while waiting (system time, measured)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request

from .page_reading import PageView, read_page
from .state import JourneyContext, Leave


async def look(ctx: JourneyContext, limit_s: float = 10.0) -> PageView:
    """Read the page once its own requests (e.g. an address lookup) have finished and it has
    drawn what they brought: the person sees the page as it ends up, whatever the timing, so the
    same seed gives the same person the same experience. The wait is system time."""
    started = time.perf_counter()
    waited = bool(ctx.in_flight)
    while ctx.in_flight and time.perf_counter() - started < limit_s:
        await asyncio.sleep(0.005)
    for attempt in range(3):
        try:
            view = await read_page(ctx.page, after_frame=waited)
            break
        except PlaywrightError as err:
            # The page's own script moved it on while it was read (a Stripe.js payment done, then
            # location = the result page): the person sees the new page once it has loaded.
            if "context was destroyed" not in str(err) or attempt == 2:
                raise
            await ctx.page.wait_for_load_state("load", timeout=limit_s * 1000)
            waited = True
    if waited:
        ctx.record.system_ms += (time.perf_counter() - started) * 1000
    return view


def track_requests(ctx: JourneyContext) -> Callable[[], None]:
    """Follow the page's own fetches; returns what stops following them (the page outlives the journey)."""
    def started(request: Request) -> None:
        if not request.is_navigation_request() and request.resource_type in ("fetch", "xhr"):
            ctx.in_flight.add(request)

    def ended(request: Request) -> None:
        ctx.in_flight.discard(request)

    listeners = {"request": started, "requestfinished": ended, "requestfailed": ended}
    ctx.page.on("request", started)
    ctx.page.on("requestfinished", ended)
    ctx.page.on("requestfailed", ended)

    def stop() -> None:
        for event, listener in listeners.items():
            ctx.page.remove_listener(event, listener)

    return stop


async def timed_navigation(ctx: JourneyContext, action: Any, *, wait_for_request: bool = True) -> bool:
    """Run an action that may load a page; add the wait to system time; the person may leave if
    it takes longer than they tolerate. Returns whether a page load happened."""
    page = ctx.page
    navigations: list[Request] = []

    def on_request(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            navigations.append(request)

    page.on("request", on_request)
    started = time.perf_counter()
    deadline_ms = ctx.shopper.wait_deadline_ms(feedback=True)
    try:
        await action()
        if wait_for_request:
            # A form the page validates itself does not navigate: give a real submission a moment to start.
            for _ in range(10):
                if navigations:
                    break
                await asyncio.sleep(0.01)
        if navigations or not wait_for_request:
            remaining = max(0.05, deadline_ms / 1000 - (time.perf_counter() - started))
            try:
                await page.wait_for_load_state("load", timeout=remaining * 1000)
            except Exception:
                waited = (time.perf_counter() - started) * 1000
                ctx.record.system_ms += waited
                if ctx.shopper.leaves_after_wait(waited, feedback=True) or waited >= deadline_ms:
                    raise Leave("slow_response") from None
                await page.wait_for_load_state("load", timeout=60_000)
    finally:
        page.remove_listener("request", on_request)
    ctx.record.system_ms += (time.perf_counter() - started) * 1000
    return bool(navigations) or not wait_for_request


_BUSY = "() => !!document.querySelector('button[disabled][type=submit], form [aria-busy=true], [role=progressbar]')"


async def settle(ctx: JourneyContext) -> None:
    """After pressing the button, while the page is visibly busy (its own requests under way, the
    button it disabled, a progress indicator) the person waits, as long as they tolerate waiting
    with feedback; a page load that starts meanwhile is waited for too. A frame shown over the
    page (a bank's 3-D Secure page) ends the wait: it asks something of the person. System time."""
    started = time.perf_counter()
    deadline_ms = ctx.shopper.wait_deadline_ms(feedback=True)
    calm = 0
    while calm < 2:
        waited = (time.perf_counter() - started) * 1000
        if waited > min(deadline_ms, 60_000):
            ctx.record.system_ms += waited
            raise Leave("slow_response")
        try:
            busy = bool(ctx.in_flight) or await ctx.page.evaluate(_BUSY)
        except PlaywrightError:  # the page moved on while it was asked
            await ctx.page.wait_for_load_state("load", timeout=max(50.0, deadline_ms - waited))
            busy = True
        if any(f is not ctx.page.main_frame and not f.is_detached() and f.url.startswith("http") for f in ctx.page.frames):
            break
        calm = 0 if busy else calm + 1
        if calm < 2:
            await asyncio.sleep(0.05)
    ctx.record.system_ms += (time.perf_counter() - started) * 1000
