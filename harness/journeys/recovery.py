"""Noticing, finding and fixing errors: what the person does about what the page shows.

- While typing: a message that appears about the field being typed (live validation) is seen or
  not (it stands near the point of regard); seen, it costs reading and a moment of hesitation,
  and if what was typed so far was right (the message came too early) the person may correct
  what needed no correcting (NEEDLESS_CORRECTION).
- On leaving a field: a message that appears beside it is an onset near where they look.
- After submitting: the person looks where the page left them; what is out of view is not seen;
  if nothing is seen, they search the page screen by screen from the top (NN/g's attention by
  screenful), paying for each scroll.
- Fixing: finding the field a distant message names (scrolling, visual search, pointing),
  reading the message, and a fix that is right only as often as the message lets this person
  understand what the page wants (intent.fix_understood / value_after_fix): a vague message may
  bring the same value again or a change of the wrong thing.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Set

from harness.shopper.intent import Intent, fix_understood, value_after_fix
from harness.shopper.keyboards import keyboard_for
from harness.shopper.noticing import ErrorSignal, finding_ms, screen_reached, scroll_ms

from . import perception
from .hands import centre, distance, locate, point_at, retype_tail, scroll_to, select_option, selector_of, type_keys
from .loading import look
from .page_reading import Control, PageView
from .perception import Spot
from .state import JourneyContext, Leave
from .understanding import normalise

MAX_FIX_ATTEMPTS = 2
# Chance that a person who sees an error message about a value they are still typing correctly
# deletes and retypes some of it. assumption: no published figure; the direction (premature
# messages interrupt and cause re-checking) is what the mechanism models.
NEEDLESS_CORRECTION = 0.3


def fix_rng(ctx: JourneyContext, key: str, attempt: int) -> random.Random:
    """The person's own stream for understanding a message on this field at this attempt."""
    p = ctx.shopper.person
    return random.Random(f"{p.persona}|{p.seed}|fix|{key}|{attempt}")


def _viewport_h(ctx: JourneyContext) -> float:
    size = ctx.page.viewport_size
    return float(size["height"]) if size else 800.0


def _wrong_fix(ctx: JourneyContext, key: str, step: str) -> None:
    f = ctx.record.field(key)
    f.wrong_fixes += 1
    f.fix_pending = False
    ctx.tire("wrong_fix", step, key)


def find(view: PageView, label: str, occurrence: int) -> Control | None:
    matches = [c for c in view.controls if c.label == label]
    return matches[occurrence] if occurrence < len(matches) else None


async def while_typing(ctx: JourneyContext, c: Control, occurrence: int, key: str, intent: Intent, before: set[str]) -> set[str]:
    """Errors the page showed while the field was being typed (the page's log, returned by the
    typing call). Returns the texts the person saw, so that the same message on leaving is not news.
    A needless correction is made once the value is typed (the person goes back into the field)."""
    traces, ctx.typed_log = ctx.typed_log, []
    onsets = perception.typing_onsets(traces, c.label, before)
    if not onsets:
        return set()
    f, shopper = ctx.record.field(key), ctx.shopper
    seen: set[str] = set()
    for trace, m in onsets:
        text = m.text_for(c.label)
        f.shown_while_typing += 1
        sig = ErrorSignal("inline" if m.field == c.label else "summary", text, 0.0,
                          m.rect["top"] < _viewport_h(ctx) and m.rect["bottom"] > 0,
                          m.field == c.label, c.rect["h"] or 40, True, distance(centre(c.rect), m.rect))
        noticed = shopper.notice(sig).noticed
        f.shown(text, noticed)
        if not noticed:
            continue
        seen.add(text)
        await ctx.clock.aspend(shopper.read_ms(text), "error_reading")
        await ctx.clock.aspend(shopper.think_ms(), "hesitating")
        typed_so_far = normalise(trace.value)
        premature = typed_so_far != normalise(intent.value) and normalise(intent.value).startswith(typed_so_far)
        if premature and shopper.rng.random() < NEEDLESS_CORRECTION:
            f.needless_corrections += 1
            locator = locate(ctx, c, occurrence)
            value = await locator.input_value()
            await retype_tail(ctx, locator, value, 1 + shopper.rng.randrange(3), f, "error_fixing")
            await ctx.page.keyboard.press("Tab")  # and leaves it again
    return seen


async def check_field(ctx: JourneyContext, c: Control, occurrence: int, key: str, intent: Intent, step: str,
                      *, seen_typing: Set[str] = frozenset(), before: Set[str] = frozenset()) -> PageView | None:
    """After leaving a field: does the page show an error for it? Noticed? Fixed? Returns the
    page as last read, or None when the person changed it after that."""
    stale = set(before)  # what was shown before the person typed: not news unless it changes
    for _ in range(MAX_FIX_ATTEMPTS + 1):
        view = await look(ctx)
        now = find(view, c.label, occurrence)
        if now is None:
            return view
        spot = perception.spot_for(view, now, occurrence)
        f = ctx.record.field(key)
        if spot is None:
            f.fix_pending = False
            return view
        if perception.signature(spot) in stale:
            return view  # the same as before the person typed: they expect it to clear on submit
        if f.fix_pending:
            _wrong_fix(ctx, key, step)
        sig = perception.signal(view, spot, ctx.here, onset=True)
        if not await handle_error(ctx, spot, key, intent, sig, step, already_seen=spot.text in seen_typing):
            return view
        stale = {perception.signature(spot)}
        seen_typing = frozenset()
    return None


async def handle_error(ctx: JourneyContext, spot: Spot, key: str, intent: Intent, signal: ErrorSignal, step: str,
                       *, already_seen: bool = False) -> bool:
    """One error the page shows. Returns True if the person tried a fix (the field should be re-checked)."""
    shopper, f = ctx.shopper, ctx.record.field(key)
    c = spot.control
    text = spot.text
    f.errors_shown += 1
    if os.environ.get("HARNESS_DEBUG_JOURNEYS"):
        print(f"{ctx.record.assignment.journey_id} {key}: shown {signal.kind} {text[:80]!r} value={c.value!r} "
              f"intent={intent.value!r} in_view={signal.in_view}", flush=True)
    if text and text not in f.messages and len(f.messages) < 5:
        f.messages.append(text[:200])
    shown_at = ctx.clock.total_ms
    f.shown_at_ms.append(shown_at)
    if not already_seen:
        noticed = shopper.notice(signal).noticed
        f.shown(text, noticed)
        if not noticed:
            f.errors_unnoticed += 1
            return False
        await ctx.clock.aspend(shopper.think_ms(), "error_noticing")
        await ctx.clock.aspend(shopper.read_ms(text), "error_reading")
    f.errors_noticed += 1
    ctx.tire("error", step, key)
    if shopper.gives_up_after_error(key):
        raise Leave("too_many_errors", step, key)
    attempts = ctx.fix_attempts.get(key, 0) + 1
    ctx.fix_attempts[key] = attempts
    understood = fix_understood(text, intent, shopper.person, fix_rng(ctx, key, attempts))
    new_value = value_after_fix(intent, text, understood, fix_rng(ctx, key, attempts))
    if attempts > MAX_FIX_ATTEMPTS and (normalise(new_value) == normalise(c.value) or attempts > MAX_FIX_ATTEMPTS + 1):
        # The page refuses what the person can think of entering and they do not know what else to type.
        raise Leave("unrecoverable_error", step, key)
    # finding the field: scrolling and searching from a distant message, then pointing at it
    await ctx.clock.aspend(finding_ms(shopper.person, signal, _viewport_h(ctx)), "error_finding")
    await point_at(ctx, c.rect, 100, "error_finding")
    locator = locate(ctx, c, spot.occurrence)
    if c.tag == "select":
        await select_option(ctx, locator, c, (new_value, intent.canonical), f)
        await ctx.page.keyboard.press("Tab")
    else:
        await ctx.clock.aspend(shopper.hands_to_keyboard_ms(), "homing")
        person = shopper.person
        keyboard = keyboard_for(shopper.is_phone, person.locale, c.type, c.inputmode, c.autocomplete, text=new_value)
        reformatted = c.value and normalise(c.value) == c.value.replace(" ", "").lower() and c.value != new_value \
            and " " in c.value and " " not in new_value
        if normalise(c.value) == normalise(new_value) or reformatted:
            # Retyping what they believe they meant (they think it was a slip), or a value the page
            # reformatted (groups of four): starting again is easier than finding the spot.
            plan = shopper.type_plan(new_value, keyboard)
            await type_keys(ctx, locator, plan.keys, f, kind="error_fixing", clear=True,
                            selector=selector_of(c), leave=True)
        else:
            plan = shopper.fix_plan(c.value, new_value, keyboard)
            await type_keys(ctx, locator, plan.keys, f, kind="error_fixing", initial=c.value,
                            selector=selector_of(c), leave=True)
        f.errors_made += plan.left
        await while_typing(ctx, c, spot.occurrence, key, dataclasses.replace(intent, value=new_value), {text})
    ctx.believed[key] = new_value
    f.time_to_fix_ms.append(ctx.clock.total_ms - shown_at)
    f.fix_pending = True
    return True


async def after_submit_errors(ctx: JourneyContext, view: PageView, step: str, intents_for) -> PageView:  # noqa: ANN001
    """The page stayed (or came back) with errors on fields: what the person sees and does.
    `intents_for(key, control)` gives what the person means for a field (None: nothing)."""
    pending = [s for s in perception.spots(view) if s.control.meaning]
    in_error = {s.control.meaning for s in pending}
    for key, f in list(ctx.record.fields.items()):
        if f.fix_pending and key in in_error:
            _wrong_fix(ctx, key, step)  # the page judged the fix and still refuses it
        f.fix_pending = False
    if not pending:
        return view
    regard = perception.regard_after_submit(view, ctx.here)
    touched = await _attend(ctx, view, pending, step, intents_for, regard, onset=True)
    if touched:
        return await look(ctx)
    # Nothing seen where the page left them: search the page from the top, screen by screen.
    vp = view.viewport
    screens = max(1, int((vp.get("page_h", vp["h"]) + vp["h"] - 1) // vp["h"]))
    rng = random.Random(f"{ctx.shopper.person.persona}|{ctx.shopper.person.seed}|search|{len(ctx.record.steps)}")
    y = 0.0
    for k in range(screens):
        if rng.random() >= screen_reached(k):
            break
        await ctx.clock.aspend(scroll_ms(abs(y - vp.get("scroll", 0.0)) or vp["h"], vp["h"]), "error_finding")
        await scroll_to(ctx, y)
        view = await look(ctx)
        vp = view.viewport
        middle = {"x": vp["w"] / 2, "y": vp.get("scroll", y) + vp["h"] / 2}
        here = [s for s in perception.spots(view) if s.control.meaning]
        if await _attend(ctx, view, here, step, intents_for, middle, onset=False):
            return await look(ctx)
        y += vp["h"]
    return await look(ctx)


async def _attend(ctx: JourneyContext, view: PageView, spots: list[Spot], step: str, intents_for, regard, *, onset: bool) -> bool:  # noqa: ANN001
    """Each error spot in view, nearest the point of regard first: noticed or not, and fixed if noticed."""
    visible = []
    for s in spots:
        sig = perception.signal(view, s, ctx.here, onset=onset, regard=regard)
        if sig.in_view or sig.kind == "aria_invalid_only":
            visible.append((sig.regard_px or 0.0, s, sig))
        else:
            ctx.record.field(s.control.meaning or "").shown(s.text, False)
    touched = False
    for _, s, sig in sorted(visible, key=lambda t: t[0]):
        key = s.control.meaning
        intent = intents_for(key, s.control) if key else None
        if key is None or intent is None:
            continue
        if await handle_error(ctx, s, key, intent, sig, step):
            touched = True
            await check_field(ctx, s.control, s.occurrence, key, intent, step, before={perception.signature(s)})
    return touched
