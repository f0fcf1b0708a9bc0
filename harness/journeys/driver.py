"""A person buying once through the hosted checkout: reads the page, types key by key, notices
(or misses) what the page shows, fixes, waits, and sometimes gives up.

Every decision comes from the shopper model (harness/shopper) and every fact from the page
(page_reading.py); the variant's configuration is never read. Human time goes to the shopper's
clock (slept only at pace "real"); system time (page loads, form submissions, gateway calls) is
measured here.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

import httpx
from playwright.async_api import Page, Request

from harness.shopper.model import Shopper
from harness.shopper.keystrokes import apply_keystrokes
from harness.shopper.noticing import ErrorSignal
from harness.stripe_api import encode

from .page_reading import Control, PageView, read_page
from .record import JourneyRecord
from .understanding import data_key, intended_value, normalise

MAX_SUBMITS = 12
MAX_FIX_ATTEMPTS = 2
_PRIMARY = re.compile(r"pay|place order|next|continue|review|confirm|支払|注文|次へ|進む|確認", re.I)
_METHOD_WORDS = [
    ("konbini", re.compile(r"konbini|convenience|コンビニ", re.I)),
    ("customer_balance", re.compile(r"bank transfer|銀行振込|振込", re.I)),
    ("paypal", re.compile(r"paypal", re.I)),
    ("paypay", re.compile(r"paypay", re.I)),
    ("card", re.compile(r"card|カード", re.I)),
]
PASSWORD = "Harness-Shopper-2024!"


@dataclass
class JourneyContext:
    page: Page
    shopper: Shopper
    record: JourneyRecord
    target: str
    api: httpx.AsyncClient  # the merchant's backend talking to the gateway: base URL and secret key set
    currency: str
    amount: int
    card_number: str | None = None
    method: str | None = None
    session: dict[str, Any] = field(default_factory=dict)
    success_prefix: str = ""
    account_seen: bool = False
    here: dict[str, float] = field(default_factory=lambda: {"x": 0.0, "y": 0.0})
    fix_attempts: dict[str, int] = field(default_factory=dict)
    typed: set[str] = field(default_factory=set)  # fields this person has typed into
    in_flight: set[Any] = field(default_factory=set)  # the page's own fetches (postal-code lookup, ...)

    @property
    def clock(self):  # noqa: ANN201
        return self.shopper.clock


class Leave(Exception):
    """The person gives up; where and why go to the record."""

    def __init__(self, reason: str, step: str | None = None, field_name: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.step, self.field_name = reason, step, field_name


async def look(ctx: JourneyContext, limit_s: float = 10.0) -> PageView:
    """Read the page once its own requests (e.g. an address lookup) have finished and it has
    drawn what they brought: the person sees the page as it ends up, whatever the timing, so the
    same seed gives the same person the same experience. The wait is system time."""
    if not ctx.in_flight:
        return await read_page(ctx.page)
    started = time.perf_counter()
    while ctx.in_flight and time.perf_counter() - started < limit_s:
        await asyncio.sleep(0.005)
    view = await read_page(ctx.page, after_frame=True)
    ctx.record.system_ms += (time.perf_counter() - started) * 1000
    return view


def _track_requests(ctx: JourneyContext) -> Callable[[], None]:
    """Follow the page's own fetches; returns what stops following them (the page outlives the journey)."""
    def started(request: Request) -> None:
        if not request.is_navigation_request() and request.resource_type in ("fetch", "xhr"):
            ctx.in_flight.add(request)

    def ended(request: Request) -> None:
        ctx.in_flight.discard(request)

    listeners = {"request": started, "requestfinished": ended, "requestfailed": ended}
    for event, listener in listeners.items():
        ctx.page.on(event, listener)

    def stop() -> None:
        for event, listener in listeners.items():
            ctx.page.remove_listener(event, listener)

    return stop


async def drive(ctx: JourneyContext) -> None:
    untrack = _track_requests(ctx)
    try:
        await _journey(ctx)
    finally:
        untrack()


async def _journey(ctx: JourneyContext) -> None:
    data = ctx.shopper.person.data
    ctx.card_number = data.card_number
    await _create_session(ctx)
    await _timed_navigation(ctx, lambda: ctx.page.goto(ctx.session["url"]), wait_for_request=False)
    submits = 0
    step = "start"
    try:
        view = await look(ctx)
        while True:
            if view.url.startswith(ctx.success_prefix):
                await _confirm_success(ctx)
                return
            if view.has_heading("confirm your payment", "3d secure", "本人認証"):
                await _authenticate(ctx, view)
                view = await look(ctx)
                continue
            if submits >= MAX_SUBMITS:
                raise Leave("stuck", step)
            step = _step_name(view)
            ctx.record.steps.append(step)
            await ctx.clock.aspend(ctx.shopper.think_ms(), "orienting")
            if await _choose_method(ctx, view, step):
                view = await look(ctx)
            view = await _fill(ctx, view, step)
            await _submit(ctx, view, step)
            submits += 1
            view = await _after_submit(ctx, step)
    except Leave as leave:
        ctx.record.end("abandoned" if leave.reason != "unrecoverable_error" else "error", leave.step or step,
                       leave.field_name, leave.reason)


async def _create_session(ctx: JourneyContext) -> None:
    """What the merchant's backend does before the shopper arrives."""
    a = ctx.record.assignment
    locale = "ja" if ctx.shopper.person.locale.startswith("ja") else "en"
    # The hosted checkout's own confirmation page; against another target any page at this URL
    # (even a 404) tells the person the order went through, and the API confirms it.
    ctx.success_prefix = f"{ctx.target}/c/confirmation/"
    params = {
        "mode": "payment",
        "currency": ctx.currency,
        "line_items": [{"price_data": {"currency": ctx.currency, "unit_amount": ctx.amount,
                                       "product_data": {"name": "Harness test order"}}, "quantity": 1}],
        "success_url": ctx.success_prefix + "{CHECKOUT_SESSION_ID}",
        "cancel_url": f"{ctx.target}/checkout/cancel",
        "locale": locale,
        "variant": a.variant,
        "metadata": {"journey": a.journey_id, "persona": a.persona, "channel": "mobile_web" if ctx.shopper.is_phone else "web"},
    }
    started = time.perf_counter()
    response = await ctx.api.post("/v1/checkout/sessions", content=urlencode(encode(params)),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    ctx.record.system_ms += (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"creating the checkout session failed: {response.status_code} {response.text[:200]}")
    ctx.session = response.json()
    ctx.record.checkout_session = ctx.session["id"]


async def _timed_navigation(ctx: JourneyContext, action: Any, *, wait_for_request: bool = True) -> bool:
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


def _step_name(view: PageView) -> str:
    """The step the page says the person is on (steps layout), else the page's main heading."""
    if view.current_step:
        return view.current_step[:60]
    return (view.title.split(" – ")[0] or (view.headings[0] if view.headings else "checkout"))[:60]


def _offered_methods(view: PageView) -> dict[str, Control]:
    offered: dict[str, Control] = {}
    for radio in view.radios():
        for method, words in _METHOD_WORDS:
            if words.search(radio.label) and method not in offered:
                offered[method] = radio
                break
    return offered


async def _choose_method(ctx: JourneyContext, view: PageView, step: str) -> bool:
    """Pick (once) and select the payment method; returns whether the page was touched."""
    offered = _offered_methods(view)
    if not offered:
        return False
    if ctx.method is None:
        await ctx.clock.aspend(ctx.shopper.read_ms(" ".join(c.label for c in offered.values())), "reading")
        choice = ctx.shopper.choose_method(list(offered))
        if choice.method is None:
            raise Leave(choice.reason or "preferred_method_missing", step, "payment_method")
        ctx.method = choice.method
        ctx.record.payment_method = ctx.method
    radio = offered.get(ctx.method)
    if radio is not None and not radio.checked:
        await _point_at(ctx, radio.rect, 20)
        await ctx.page.get_by_role("radio", name=radio.label, exact=True).check()
        return True
    return False


async def _fill(ctx: JourneyContext, view: PageView, step: str) -> PageView:
    """Fill the page's fields in order; returns the page as it is afterwards."""
    data = ctx.shopper.person.data
    previous_field: Control | None = None
    seen_labels: dict[str, int] = {}
    latest: PageView | None = view  # the page as last read, while nothing has changed since
    for planned in view.fields():
        occurrence = seen_labels.get(planned.label, 0)
        seen_labels[planned.label] = occurrence + 1
        key = data_key(planned.label)
        if key is None:
            continue
        latest = latest or await look(ctx)
        c = _find(latest, planned.label, occurrence) or planned  # as it is now: a lookup may have filled it
        if c.optional and not c.value:
            continue
        if key.startswith("password") and not ctx.account_seen:
            ctx.account_seen = True
            if ctx.shopper.leaves_on("forced_account"):
                raise Leave("forced_account", step, key)
        intended = intended_value(key, data, card_number=ctx.card_number, password=PASSWORD)
        if intended is None:
            continue
        if c.value and (key in ctx.typed or normalise(c.value) == normalise(intended)):
            # Typed already (a slip the page accepts stays: the person does not know of it), or
            # filled by the page (autofill, data kept after an error) and right as far as they see.
            continue
        latest = await _enter(ctx, c, occurrence, key, intended, previous_field, step)
        ctx.typed.add(key)
        previous_field = c
    return latest or await look(ctx)


def _locate(ctx: JourneyContext, c: Control, occurrence: int):  # noqa: ANN202
    return ctx.page.get_by_label(c.label, exact=True).nth(occurrence)


async def _enter(ctx: JourneyContext, c: Control, occurrence: int, key: str, intended: str,
                 previous: Control | None, step: str) -> PageView | None:
    """Move to the field, type (with slips), move on; then look at what the page says about it.
    Returns the page as last read if nothing changed since."""
    shopper, record = ctx.shopper, ctx.record
    f = record.field(key)
    await ctx.clock.aspend(shopper.think_ms(), "thinking")
    consecutive = previous is not None and 0 < c.rect["y"] - previous.rect["y"] < 200
    if consecutive and not shopper.is_phone:
        await ctx.clock.aspend(shopper.tab_ms(), "pointing")
    else:
        await _point_at(ctx, c.rect, 100)
    locator = _locate(ctx, c, occurrence)
    if c.tag == "select":
        await _select(ctx, locator, c, intended, f)
    else:
        await ctx.clock.aspend(shopper.hands_to_keyboard_ms(), "homing")
        plan = shopper.type_plan(intended)
        await _type(ctx, locator, plan.keys, f, clear=bool(c.value), focused=c.focused)
        f.errors_made += plan.left
        f.typos_corrected += plan.corrected
    await ctx.page.keyboard.press("Tab")  # leaving the field: the page may validate it now
    return await _check_field(ctx, c, occurrence, key, intended, step)


async def _select(ctx: JourneyContext, locator: Any, c: Control, intended: str, f: Any) -> None:
    wanted = normalise(intended)
    exact = [o for o in c.options if wanted and wanted in (normalise(o["label"]), normalise(o["value"]))]
    loose = [o for o in c.options if wanted and len(wanted) > 2 and wanted in normalise(o["label"])]
    for option in exact or loose:
        # finding one's own option in a long list: reading down to it
        position = c.options.index(option)
        await ctx.clock.aspend(ctx.shopper.read_ms(" ".join(o["label"] for o in c.options[: position + 1][-15:])), "reading")
        await locator.select_option(value=option["value"])
        f.keystrokes += 1
        return
    # the person's option is not offered: they leave it as it is


async def _type(ctx: JourneyContext, locator: Any, keys: Any, f: Any, *, clear: bool = False, initial: str = "",
                focused: bool = False) -> None:
    """Type a plan's keys into the field, which holds `initial` with the caret at its end, or is
    first cleared (select all, delete: two keystrokes of time) when `clear`.

    At pace "real" each key is a key event after its modelled delay, and a correction (a run of
    Backspaces) is carried out against what the field really shows: a page that refused a slipped
    key (a card field that drops letters) or reformatted the value leaves the person deleting only
    what is wrong and retyping only what is missing. At pace "instant" the text the keys end with
    reaches the page as one text input (into the empty field the caret is already in, else with
    Playwright's fill: focus, select, insert); every key's time and count is kept, the page's
    reactions to the intermediate values are what is left out, for speed. What the page then
    shows (formatting, a refused character, an error) is read as usual."""
    keys = list(keys)
    if clear:
        await ctx.clock.aspend(2 * ctx.shopper.tab_ms(), "typing")
    if ctx.clock.pace != "real":
        for k in keys:
            await ctx.clock.aspend(k.delay_ms, "typing")
        f.keystrokes += len(keys)
        text = apply_keystrokes(keys, "" if clear else initial)
        if focused and not clear and not initial:
            if text:
                await ctx.page.keyboard.insert_text(text)
        else:
            await locator.fill(text)
        return
    keyboard = ctx.page.keyboard
    await locator.focus()
    if clear:
        await keyboard.press("ControlOrMeta+a")
        await keyboard.press("Backspace")
    elif initial:
        await keyboard.press("End")
    i = 0
    while i < len(keys):
        await ctx.clock.aspend(keys[i].delay_ms, "typing")
        f.keystrokes += 1
        if keys[i].key != "Backspace":
            await keyboard.type(keys[i].key)
            i += 1
            continue
        j = i
        while j + 1 < len(keys) and keys[j + 1].key == "Backspace":
            j += 1
            await ctx.clock.aspend(keys[j].delay_ms, "typing")
            f.keystrokes += 1
        await _correct_to(ctx, locator, apply_keystrokes(keys[: j + 1], initial if not clear else ""))
        i = j + 1


async def _correct_to(ctx: JourneyContext, locator: Any, meant: str) -> None:
    """Backspace until the field holds a beginning of what the person meant, then type the rest."""
    keyboard = ctx.page.keyboard
    meant_norm = normalise(meant)
    for _ in range(64):
        actual = normalise(await locator.input_value())
        if meant_norm.startswith(actual):
            break
        await keyboard.press("Backspace")
    cut = next((n for n in range(len(meant) + 1) if normalise(meant[:n]) == actual), len(meant))
    if meant[cut:]:
        await keyboard.type(meant[cut:])


def _error_text(c: Control) -> str:
    return " ".join(c.described) if c.invalid else ""


def _signal_for(ctx: JourneyContext, view: PageView, c: Control) -> ErrorSignal:
    """How the page shows an error on this field, if it does."""
    vh = view.viewport["h"]
    if c.invalid and c.described:
        in_view = 0 <= c.rect["top"] < vh
        return ErrorSignal("inline", _error_text(c), _distance(ctx.here, c.rect), in_view, True, c.rect["h"] or 40)
    for alert in view.alerts:
        for link in alert["links"]:
            if link["target_label"] == c.label:
                in_view = alert["rect"]["top"] < vh and alert["rect"]["bottom"] > 0
                return ErrorSignal("summary", link["text"] or alert["text"], _distance(ctx.here, c.rect), in_view, False,
                                   c.rect["h"] or 40)
    if c.invalid:
        return ErrorSignal("aria_invalid_only", "")
    return ErrorSignal("none")


async def _check_field(ctx: JourneyContext, c: Control, occurrence: int, key: str, intended: str, step: str,
                       just_fixed: bool = False) -> PageView | None:
    """After leaving a field: is an error shown for it? Noticed? Fixed? Returns the page as last
    read, or None when the person changed it after that."""
    for attempt in range(MAX_FIX_ATTEMPTS + 1):
        view = await look(ctx)
        now = _find(view, c.label, occurrence)
        if now is None:
            return view
        if (attempt or just_fixed) and normalise(now.value) == normalise(intended):
            return view  # fixed as far as the person can tell; a message left from the last submit is not news
        signal = _signal_for(ctx, view, now)
        if signal.kind == "none":
            return view
        if not await _handle_error(ctx, now, occurrence, key, intended, signal, step):
            return view
    return None


async def _handle_error(ctx: JourneyContext, c: Control, occurrence: int, key: str, intended: str,
                        signal: ErrorSignal, step: str) -> bool:
    """One error the page shows. Returns True if the person fixed it (and the field should be re-checked)."""
    shopper, f = ctx.shopper, ctx.record.field(key)
    f.errors_shown += 1
    if os.environ.get("HARNESS_DEBUG_JOURNEYS"):
        print(f"{ctx.record.assignment.journey_id} {key}: shown {signal.kind} {signal.text[:80]!r} value={c.value!r} intended={intended!r}", flush=True)
    if signal.text and signal.text not in f.messages and len(f.messages) < 5:
        f.messages.append(signal.text[:200])
    shown_at = ctx.clock.total_ms
    f.shown_at_ms.append(shown_at)
    notice = shopper.notice(signal)
    await ctx.clock.aspend(notice.time_ms, "noticing")
    if not notice.noticed:
        f.errors_unnoticed += 1
        return False
    f.errors_noticed += 1
    if shopper.gives_up_after_error(key):
        raise Leave("too_many_errors", step, key)
    attempts = ctx.fix_attempts.get(key, 0) + 1
    ctx.fix_attempts[key] = attempts
    if attempts > MAX_FIX_ATTEMPTS and normalise(c.value) == normalise(intended):
        # The page refuses what the person means to enter and they do not know what else to type.
        raise Leave("unrecoverable_error", step, key)
    locator = _locate(ctx, c, occurrence)
    await _point_at(ctx, c.rect, 100)
    if c.tag == "select":
        await _select(ctx, locator, c, intended, f)
    else:
        await ctx.clock.aspend(shopper.hands_to_keyboard_ms(), "homing")
        if c.value and c.value != intended and normalise(c.value) == c.value.replace(" ", "").lower():
            # The page reformatted what was typed (groups of four, "MM / YY"): finding the slip among
            # the separators is harder than starting again, so the person clears the field and retypes.
            plan = shopper.type_plan(intended)
            await _type(ctx, locator, plan.keys, f, clear=True)
        else:
            plan = shopper.fix_plan(c.value, intended if normalise(c.value) != normalise(intended) else c.value)
            await _type(ctx, locator, plan.keys, f, initial=c.value)
        f.errors_made += plan.left
    await ctx.page.keyboard.press("Tab")
    f.time_to_fix_ms.append(ctx.clock.total_ms - shown_at)
    return True


def _find(view: PageView, label: str, occurrence: int) -> Control | None:
    matches = [c for c in view.controls if c.label == label]
    return matches[occurrence] if occurrence < len(matches) else None


async def _submit(ctx: JourneyContext, view: PageView, step: str) -> None:
    buttons = [b for b in view.buttons if b["type"] == "submit" and _PRIMARY.search(b["text"])] or \
              [b for b in view.buttons if _PRIMARY.search(b["text"])]
    if not buttons:
        raise RuntimeError(f"no button to go on with on {view.url} (buttons: {[b['text'] for b in view.buttons]})")
    button = buttons[-1]
    shopper = ctx.shopper
    if not view.fields():  # a review page: the person reads the order before paying
        await ctx.clock.aspend(shopper.read_ms(" ".join(view.headings)) + shopper.read_ms("word " * min(view.body_words, 120)), "reading")
    await ctx.clock.aspend(shopper.think_ms(), "thinking")
    await _point_at(ctx, button["rect"], 80)
    locator = ctx.page.get_by_role("button", name=button["text"], exact=True).last
    await _timed_navigation(ctx, lambda: locator.click())


async def _after_submit(ctx: JourneyContext, step: str) -> PageView:
    """Read what the page says after submitting: field errors (handled by the next fill), or a
    decline. Returns the page as it is afterwards."""
    view = await look(ctx)
    if view.url.startswith(ctx.success_prefix) or view.has_heading("confirm your payment", "3d secure", "本人認証"):
        return view
    # A problem with the payment itself is an alert that points at no field (a field-error summary
    # links to its fields); the person reads it whatever its wording.
    decline = next((a for a in view.alerts if not a["links"]), None)
    if decline is None:
        # errors on fields: the person looks at each field the page marks
        touched = False
        for occurrence, c in _marked(view):
            key = data_key(c.label)
            if key is None:
                continue
            intended = intended_value(key, ctx.shopper.person.data, card_number=ctx.card_number, password=PASSWORD)
            if intended is None:
                continue
            signal = _signal_for(ctx, view, c)
            if signal.kind != "none":
                fixed = await _handle_error(ctx, c, occurrence, key, intended, signal, step)
                if fixed:
                    touched = True
                    await _check_field(ctx, c, occurrence, key, intended, step, just_fixed=True)
        return await look(ctx) if touched else view
    shopper = ctx.shopper
    await ctx.clock.aspend(shopper.read_ms(decline["text"]), "reading")
    offered = list(_offered_methods(view)) or ["card"]
    choice = shopper.after_decline(offered)
    code = await _decline_code(ctx)
    ctx.record.declines.append({"decline_code": code, "message": decline["text"][:200],
                                "next": {"another_card": "other_card", "switch_method": "other_method"}.get(choice.action, "gave_up")})
    if choice.action == "leave":
        raise Leave("declined", step, "card_number")
    if choice.action == "another_card":
        ctx.card_number = choice.card_number or ctx.shopper.person.data.backup_card_number
        ctx.typed -= {"card_number", "card_exp", "card_cvc"}  # the other card's details go in
    elif choice.action == "switch_method":
        ctx.method = choice.method
        ctx.record.payment_method = ctx.method
    return view


def _marked(view: PageView) -> list[tuple[int, Control]]:
    out, seen = [], {}
    for c in view.controls:
        n = seen.get(c.label, 0)
        seen[c.label] = n + 1
        if c.invalid:
            out.append((n, c))
    return out


async def _decline_code(ctx: JourneyContext) -> str | None:
    """For the record only (the person never sees it): the decline code the gateway gave."""
    session = (await ctx.api.get(f"/v1/checkout/sessions/{ctx.session['id']}", params={"expand[]": "payment_intent"})).json()
    pi = session.get("payment_intent")
    if isinstance(pi, dict):
        ctx.record.payment_intent = pi.get("id")
        return (pi.get("last_payment_error") or {}).get("decline_code") or (pi.get("last_payment_error") or {}).get("code")
    return None


async def _authenticate(ctx: JourneyContext, view: PageView) -> None:
    """The bank's 3-D Secure page: the cardholder reads it and confirms."""
    shopper = ctx.shopper
    ctx.record.steps.append("3-D Secure")
    await ctx.clock.aspend(shopper.think_ms() + shopper.read_ms("word " * min(view.body_words, 60)), "reading")
    button = next(b for b in view.buttons if re.search(r"complete|認証する|完了", b["text"], re.I))
    await ctx.clock.aspend(shopper.point_and_click_ms(_distance(ctx.here, button["rect"]), button["rect"]["w"] or 80), "pointing")
    await _timed_navigation(ctx, lambda: ctx.page.get_by_role("button", name=button["text"], exact=True).click())


async def _confirm_success(ctx: JourneyContext) -> None:
    session = (await ctx.api.get(f"/v1/checkout/sessions/{ctx.session['id']}")).json()
    pi = session.get("payment_intent")
    ctx.record.payment_intent = pi if isinstance(pi, str) else (pi or {}).get("id")
    if session.get("status") == "complete":
        ctx.record.end("success", "confirmation")
        ctx.record.payment_method = ctx.record.payment_method or "card"  # no choice was offered: the card form
    else:
        ctx.record.end("error", "confirmation", None, f"success page but session is {session.get('status')}")


async def _point_at(ctx: JourneyContext, rect: dict[str, float], default_width: float) -> None:
    """Move the pointer (or thumb) to a target and click it: Fitts's law from where it was."""
    width = rect["w"] or default_width
    await ctx.clock.aspend(ctx.shopper.point_and_click_ms(_distance(ctx.here, rect), width), "pointing")
    ctx.here = _centre(rect)


def _centre(rect: dict[str, float]) -> dict[str, float]:
    return {"x": rect["x"] + rect["w"] / 2, "y": rect["y"] + rect["h"] / 2}


def _distance(here: dict[str, float], rect: dict[str, float]) -> float:
    c = _centre(rect)
    return max(1.0, ((c["x"] - here["x"]) ** 2 + (c["y"] - here["y"]) ** 2) ** 0.5)
