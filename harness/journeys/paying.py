"""Choosing how to pay, pressing the button that goes on, and what the page says back about the
payment itself (a decline, the bank's 3-D Secure page)."""

from __future__ import annotations

import re

from scenarios.methods import LABEL_WORDS

from .hands import distance, point_at
from .loading import look, timed_navigation
from .page_reading import Control, PageView
from .state import JourneyContext, Leave

PRIMARY = re.compile(r"pay|place order|next|continue|review|confirm|submit|checkout|支払|注文|次へ|進む|確認", re.I)
METHOD_WORDS = LABEL_WORDS  # how a shopper recognises each method by its label (scenarios/methods.py)
SECURE_HEADINGS = ("confirm your payment", "3d secure", "本人認証")


def offered_methods(view: PageView) -> dict[str, Control]:
    offered: dict[str, Control] = {}
    for radio in view.radios():
        for method, words in METHOD_WORDS:
            if words.search(radio.label) and method not in offered:
                offered[method] = radio
                break
    return offered


async def choose_method(ctx: JourneyContext, view: PageView, step: str) -> bool:
    """Pick (once) and select the payment method; returns whether the page was touched."""
    offered = offered_methods(view)
    if not offered:
        return False
    if ctx.method is None:
        await ctx.clock.aspend(ctx.shopper.read_ms(" ".join(c.label for c in offered.values())), "reading")
        choice = ctx.shopper.choose_method(list(offered))
        if choice.method is None:
            reason = {"preferred_missing": "preferred_method_missing"}.get(choice.reason, choice.reason)
            raise Leave(reason or "preferred_method_missing", step, "payment_method")
        if choice.reason == "accepted_alternative":
            ctx.tire("method_missing", step, "payment_method")
        ctx.method = choice.method
        ctx.record.payment_method = ctx.method
    radio = offered.get(ctx.method)
    if radio is not None and not radio.checked:
        await point_at(ctx, radio.rect, 20)
        await ctx.page.get_by_role("radio", name=radio.label, exact=True).check()
        return True
    return False


async def submit(ctx: JourneyContext, view: PageView) -> bool:
    """Press the button that goes on; returns whether a page load followed (a page that handles the
    submission with its own script does not load another)."""
    buttons = [b for b in view.buttons if b["type"] == "submit" and PRIMARY.search(b["text"])] or \
              [b for b in view.buttons if PRIMARY.search(b["text"])]
    if not buttons:
        raise RuntimeError(f"no button to go on with on {view.url} (buttons: {[b['text'] for b in view.buttons]})")
    button = buttons[-1]
    shopper = ctx.shopper
    if not view.fields():  # a review page: the person reads the order before paying
        await ctx.clock.aspend(shopper.read_ms(" ".join(view.headings)) + shopper.read_ms("word " * min(view.body_words, 120)), "reading")
    await ctx.clock.aspend(shopper.think_ms(), "thinking")
    await point_at(ctx, button["rect"], 80)
    locator = ctx.page.get_by_role("button", name=button["text"], exact=True).last
    return await timed_navigation(ctx, lambda: locator.click())


def payment_problem(view: PageView) -> str | None:
    """A problem with the payment itself: an alert that is about no field (a field-error summary
    links to its fields), on a page that shows no field in error."""
    page_level = [m for m in view.page_messages() if m.role]
    if not page_level:
        return None
    if any(c.marked or c.invalid for c in view.fields()) or any(m.field or m.items for m in view.messages):
        return None
    return page_level[0].text


async def after_decline(ctx: JourneyContext, view: PageView, text: str, step: str) -> PageView:
    """The person reads that the payment failed and tries another card, another method, or leaves."""
    shopper = ctx.shopper
    await ctx.clock.aspend(shopper.read_ms(text), "reading")
    offered = list(offered_methods(view)) or ["card"]
    choice = shopper.after_decline(offered)
    code = await ctx.site.decline_code(ctx)
    ctx.record.declines.append({"decline_code": code, "message": text[:200],
                                "next": {"another_card": "other_card", "switch_method": "other_method"}.get(choice.action, "gave_up")})
    if choice.action == "leave":
        raise Leave("declined", step, "card_number")
    if choice.action == "another_card":
        ctx.card_number = choice.card_number or ctx.shopper.person.data.backup_card_number
        ctx.typed -= {"card_number", "card_exp", "card_cvc"}  # the other card's details go in
        ctx.intents.pop("card_number", None)
    elif choice.action == "switch_method":
        ctx.method = choice.method
        ctx.record.payment_method = ctx.method
    return view


async def authenticate(ctx: JourneyContext, view: PageView) -> PageView:
    """The bank's 3-D Secure page: the cardholder reads it and confirms."""
    shopper = ctx.shopper
    ctx.record.steps.append("3-D Secure")
    await ctx.clock.aspend(shopper.think_ms() + shopper.read_ms("word " * min(view.body_words, 60)), "reading")
    button = next(b for b in view.buttons if re.search(r"complete|認証する|完了", b["text"], re.I))
    await ctx.clock.aspend(shopper.point_and_click_ms(distance(ctx.here, button["rect"]), button["rect"]["w"] or 80), "pointing")
    await timed_navigation(ctx, lambda: ctx.page.get_by_role("button", name=button["text"], exact=True).click())
    return await look(ctx)
