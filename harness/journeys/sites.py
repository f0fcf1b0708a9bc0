"""Where a journey buys: the reference hosted checkout, or a user's own checkout.

The journey loop (journey.py) is the same for both; a site says how a journey starts (a Checkout
Session per journey, or the user's start URL and the steps a person takes before the form), when
the purchase is done (the session's success page, or the URL, text or payment state the scenario
names) and what the record learns that the person never sees (the decline code, the payment).

A user's own pages are read and filled exactly as the reference checkout is: by what they show.
Their payments are followed through the public Stripe API of the gateway the page's Stripe.js
talks to: the PaymentIntents this browser confirmed are seen in its own traffic.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Protocol
from urllib.parse import urljoin

import httpx
from playwright.async_api import Frame, Response

from scenarios.sites import SitePlan, SiteStep

from ..payment_errors import decline_code as payment_decline_code
from .hands import point_at
from .loading import look, timed_navigation
from .merchant import confirm_success, create_session, decline_code
from .page_reading import PageView, read_page
from .paying import SECURE_HEADINGS
from .state import JourneyContext, Leave

_INTENT_PATH = re.compile(r"/v1/payment_intents/(pi_[A-Za-z0-9]+)(?:/confirm)?(?:\?|$)")
_PAID = ("succeeded", "processing", "requires_capture")
CHALLENGE_WAIT_S = 30.0


class Site(Protocol):
    async def open(self, ctx: JourneyContext) -> None: ...

    async def done(self, ctx: JourneyContext, view: PageView) -> bool: ...

    async def finish(self, ctx: JourneyContext) -> None: ...

    async def decline_code(self, ctx: JourneyContext) -> str | None: ...


class ReferenceCheckout:
    """The gateway's hosted checkout: the merchant creates a Checkout Session for the journey (with
    its variant), the person opens its URL; the purchase is done on the session's success page."""

    async def open(self, ctx: JourneyContext) -> None:
        await create_session(ctx)
        await timed_navigation(ctx, lambda: ctx.page.goto(ctx.session["url"]), wait_for_request=False)

    async def done(self, ctx: JourneyContext, view: PageView) -> bool:
        return view.url.startswith(ctx.success_prefix)

    async def finish(self, ctx: JourneyContext) -> None:
        await confirm_success(ctx)

    async def decline_code(self, ctx: JourneyContext) -> str | None:
        return await decline_code(ctx)


class OwnSite:
    """A user's own checkout (scenarios.sites.SitePlan): their start URL per variant, the steps a
    person takes before the form, success by URL, visible text or payment state."""

    def __init__(self, plan: SitePlan) -> None:
        self.plan = plan
        self.intents: list[str] = []  # PaymentIntents this journey's browser asked the gateway about, in order

    async def open(self, ctx: JourneyContext) -> None:
        a = ctx.record.assignment
        ctx.page.on("response", self._watch_intents)
        url = self.plan.url_for(a.variant, a.journey_id, a.seed)
        if self.plan.start_method == "POST":
            url = await _fresh_checkout(ctx, url)
        await timed_navigation(ctx, lambda: ctx.page.goto(url), wait_for_request=False)
        for step in self.plan.steps_for(a.variant):
            await self._step(ctx, step)

    def _watch_intents(self, response: Response) -> None:
        match = _INTENT_PATH.search(response.url)
        if match and match.group(1) not in self.intents:
            self.intents.append(match.group(1))

    async def _step(self, ctx: JourneyContext, step: SiteStep) -> None:
        """One thing a person does before the form: find what the step names on the page, then act."""
        page, shopper = ctx.page, ctx.shopper
        ctx.record.steps.append(f"{step.action} {step.target}"[:60])
        if step.action == "goto":
            await ctx.clock.aspend(shopper.think_ms(), "orienting")
            await timed_navigation(ctx, lambda: page.goto(urljoin(page.url, step.target)), wait_for_request=False)
            return
        await ctx.clock.aspend(shopper.think_ms() + shopper.read_ms(step.target), "orienting")
        if step.action == "click":
            target = await _visible(page.get_by_role("button", name=step.target), page.get_by_role("link", name=step.target),
                                    page.get_by_text(step.target))
            if target is None:
                raise Leave("stuck", f"{step.action} {step.target}"[:60])
            box = await target.bounding_box()
            if box:
                await point_at(ctx, {"x": box["x"], "y": box["y"], "w": box["width"], "h": box["height"]}, 80)
            await timed_navigation(ctx, lambda: target.click())
            return
        field = page.get_by_label(step.target).first
        box = await field.bounding_box()
        if box:
            await point_at(ctx, {"x": box["x"], "y": box["y"], "w": box["width"], "h": box["height"]}, 120)
        plan = shopper.type_plan(step.value)
        await ctx.clock.aspend(plan.time_ms, "typing")
        await field.fill(step.value)

    async def done(self, ctx: JourneyContext, view: PageView) -> bool:
        kind, pattern = self.plan.success.kind, self.plan.success.pattern
        if kind == "url":
            return re.search(pattern, view.url) is not None
        if kind == "text":
            return pattern in await ctx.page.inner_text("body")
        intent = await self._intent(ctx)
        return intent is not None and _in_state(intent.get("status"), pattern)

    async def _intent(self, ctx: JourneyContext) -> dict[str, Any] | None:
        """The last PaymentIntent this browser confirmed, as the gateway has it now."""
        if not self.intents:
            return None
        started = time.perf_counter()
        response = await ctx.api.get(f"/v1/payment_intents/{self.intents[-1]}")
        ctx.record.system_ms += (time.perf_counter() - started) * 1000
        return response.json() if response.status_code == 200 else None

    async def finish(self, ctx: JourneyContext) -> None:
        intent = await self._intent(ctx)
        if intent is not None:
            ctx.record.payment_intent = intent.get("id")
            types = intent.get("payment_method_types") or []
            ctx.record.payment_method = ctx.record.payment_method or (types[0] if len(types) == 1 else None)
        if self.plan.success.kind != "payment" and intent is not None and not _in_state(intent.get("status"), "any"):
            ctx.record.end("error", "confirmation", None,
                           f"the page says the order is done but its payment is {intent.get('status')}")
            return
        ctx.record.end("success", "confirmation")

    async def decline_code(self, ctx: JourneyContext) -> str | None:
        intent = await self._intent(ctx)
        return payment_decline_code((intent or {}).get("last_payment_error"))


def site_for(plan: dict[str, Any] | None) -> Site:
    """The site a journeys worker's spec names (scenarios.sites.SitePlan.as_dict), or the reference checkout."""
    return OwnSite(SitePlan.from_dict(plan)) if plan else ReferenceCheckout()


def _in_state(status: str | None, wanted: str) -> bool:
    return status in _PAID if wanted == "any" else status == wanted


async def _visible(*locators: Any) -> Any:
    """The first visible element among the candidates (a button, then a link, then any text)."""
    for locator in locators:
        count = await locator.count()
        for i in range(count):
            if await locator.nth(i).is_visible():
                return locator.nth(i)
    return None


async def _fresh_checkout(ctx: JourneyContext, endpoint: str) -> str:
    """Ask the merchant's endpoint for a fresh checkout: JSON {"url": ...} or a redirect."""
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
        response = await client.post(endpoint)
    ctx.record.system_ms += (time.perf_counter() - started) * 1000
    if response.is_redirect and response.headers.get("location"):
        return urljoin(endpoint, response.headers["location"])
    try:
        url = response.json().get("url")
    except ValueError:
        url = None
    if response.status_code >= 400 or not isinstance(url, str):
        raise RuntimeError(f"the start endpoint {endpoint} gave no checkout: HTTP {response.status_code} "
                           f"(expected a redirect or JSON {{\"url\": ...}})")
    return urljoin(endpoint, url)


async def challenge_frame(ctx: JourneyContext) -> Frame | None:
    """A bank's 3-D Secure page shown in a frame over the merchant's page (Stripe.js does that)."""
    for frame in ctx.page.frames:
        if frame is ctx.page.main_frame or frame.is_detached():
            continue
        try:
            view = await read_page(frame)  # type: ignore[arg-type]
        except Exception:  # a frame that went away while being read
            continue
        if view.has_heading(*SECURE_HEADINGS):
            return frame
    return None


async def authenticate_in_frame(ctx: JourneyContext, frame: Frame) -> PageView:
    """The cardholder reads the bank's page in its frame and confirms; the merchant's page then
    goes on by itself (the frame closes, the page moves to its result)."""
    shopper = ctx.shopper
    ctx.record.steps.append("3-D Secure")
    view = await read_page(frame)  # type: ignore[arg-type]
    await ctx.clock.aspend(shopper.think_ms() + shopper.read_ms("word " * min(view.body_words, 60)), "reading")
    button = next((b for b in view.buttons if re.search(r"complete|認証する|完了", b["text"], re.I)), None)
    if button is None:
        raise Leave("stuck", "3-D Secure")
    await point_at(ctx, button["rect"], 80)
    started = time.perf_counter()
    url = ctx.page.url
    await frame.get_by_role("button", name=button["text"], exact=True).click()
    while time.perf_counter() - started < CHALLENGE_WAIT_S and not frame.is_detached() and ctx.page.url == url:
        await asyncio.sleep(0.05)
    try:
        await ctx.page.wait_for_load_state("load", timeout=CHALLENGE_WAIT_S * 1000)
    finally:
        ctx.record.system_ms += (time.perf_counter() - started) * 1000
    return await look(ctx)
