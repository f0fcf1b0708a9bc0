"""Filling a page's fields in order: understanding each label, deciding what to enter (what the
person means, harness/shopper/intent.py, steered by what the page shows about the field), moving
there, typing on the keyboard the field brings up, and leaving it (where the page may judge it)."""

from __future__ import annotations

import dataclasses
import os
import re

from harness.shopper.intent import FieldHints, Intent, intended_entry
from harness.shopper.keyboards import keyboard_for
from harness.shopper.shopper_data import US_STATE_NAMES

from .hands import locate, point_at, select_option, selector_of, type_keys
from .loading import look, settle
from .page_reading import Control, PageView
from .perception import texts_for
from .recovery import check_field, find, while_typing
from .state import PASSWORD, JourneyContext, Leave
from .understanding import country_names, normalise


def hints_of(c: Control) -> FieldHints:
    return FieldHints(label=c.label, placeholder=c.placeholder, hint_text=c.hint, input_type=c.type,
                      inputmode=c.inputmode, autocomplete=c.autocomplete, maxlength=c.maxlength, pattern=c.pattern)


def intent_for(ctx: JourneyContext, key: str, c: Control) -> Intent | None:
    """What this person means to enter in this field (None: nothing). Decided once per field from
    the person's own stream; a card tried after a decline is a new decision."""
    if key in ctx.intents:
        return ctx.intents[key]
    person = ctx.shopper.person
    if key in ("password", "password_confirm"):
        intent = Intent(PASSWORD, PASSWORD, None, key)
    elif key == "country":
        names = country_names(person.country, person.locale)
        if not names:
            return None
        intent = Intent(names[0], names[0], None, key, names[1:])
    elif key == "company":
        return None  # people without a company leave it empty
    else:
        data = person.data
        if key == "card_number" and ctx.card_number and ctx.card_number != data.card_number:
            data = dataclasses.replace(data, card_number=ctx.card_number)
        intent = intended_entry(key, data, person, None, hints_of(c))
        if not intent.value:
            return None
    ctx.intents[key] = intent
    return intent


def _options_for(intent: Intent) -> tuple[str, ...]:
    """The names a person looks for in a list: what they mean, its canonical form, other forms
    they know (a state's name as well as its code)."""
    names = (intent.value, intent.canonical, *intent.alternatives)
    if intent.key == "region":
        names += tuple(US_STATE_NAMES[n] for n in names if n in US_STATE_NAMES)
    return names


def _already_there(c: Control, intent: Intent) -> bool:
    if c.tag == "select":
        chosen = next((o for o in c.options if o["value"] == c.value), None)
        names = {normalise(x) for x in _options_for(intent)}
        return chosen is not None and bool(c.value) and (normalise(chosen["label"]) in names or normalise(c.value) in names)
    return normalise(c.value) in (normalise(intent.value), normalise(intent.canonical))


async def fill(ctx: JourneyContext, view: PageView, step: str) -> PageView:
    """Fill the page's fields in order; returns the page as it is afterwards."""
    previous_field: Control | None = None
    seen_labels: dict[str, int] = {}
    latest: PageView | None = view  # the page as last read, while nothing has changed since
    for planned in view.fields():
        occurrence = seen_labels.get(planned.label, 0)
        seen_labels[planned.label] = occurrence + 1
        key = planned.meaning
        if key is None:
            continue
        latest = latest or await look(ctx)
        c = find(latest, planned.label, occurrence) or planned  # as it is now: a lookup may have filled it
        if c.optional and not c.value:
            continue
        if key.startswith("password") and not ctx.account_seen:
            ctx.account_seen = True
            ctx.tire("forced_account", step, key)
            if ctx.shopper.leaves_on("forced_account"):
                raise Leave("forced_account", step, key)
        intent = intent_for(ctx, key, c)
        if intent is None:
            continue
        if c.value and (key in ctx.typed or _already_there(c, intent)):
            # Typed already (a slip the page accepts stays: the person does not know of it), or
            # filled by the page (autofill, data kept after an error) and right as far as they see.
            continue
        if c.tag == "select" and not c.value and key in ctx.typed:
            continue
        fields_before = [f.label for f in latest.fields()] if key == "country" else []
        latest = await enter(ctx, latest, c, occurrence, key, intent, previous_field, step)
        ctx.typed.add(key)
        previous_field = c
        if key == "country":
            now = await look(ctx)
            if [f.label for f in now.fields()] != fields_before:
                # The page changed its address fields for the chosen country: read it again and
                # go on from there (what was typed stays typed).
                return await fill(ctx, now, step)
            latest = now
    latest = latest or await look(ctx)
    return await agree(ctx, latest, step)


_AGREE = re.compile(r"agree|accept|terms|conditions|同意|規約", re.IGNORECASE)


async def agree(ctx: JourneyContext, view: PageView, step: str) -> PageView:
    """Tick what the page requires agreeing to (terms of sale): a person reads its label and ticks
    it; boxes that are not required and do not ask for agreement (a newsletter) stay as they are."""
    ticked = False
    for c in view.controls:
        if c.type != "checkbox" or c.checked or not (c.required or c.marked or c.invalid) or not _AGREE.search(c.label):
            continue
        await ctx.clock.aspend(ctx.shopper.read_ms(c.label), "reading")
        await point_at(ctx, c.rect, 20)
        await locate(ctx, c, 0).check()
        ctx.record.field("agreement").keystrokes += 1
        ticked = True
    return await look(ctx) if ticked else view


async def enter(ctx: JourneyContext, view: PageView, c: Control, occurrence: int, key: str, intent: Intent,
                previous: Control | None, step: str) -> PageView | None:
    """Move to the field, type (with slips), move on; then look at what the page says about it.
    Returns the page as last read if nothing changed since."""
    shopper, record = ctx.shopper, ctx.record
    f = record.field(key)
    ctx.fields_met += 1
    ctx.tire("field", step, key)
    await ctx.clock.aspend(shopper.think_ms(), "thinking")
    consecutive = previous is not None and 0 < c.rect["y"] - previous.rect["y"] < 200
    if consecutive and not shopper.is_phone:
        await ctx.clock.aspend(shopper.tab_ms(), "pointing")
        ctx.here = {"x": c.rect["x"] + c.rect["w"] / 2, "y": c.rect["y"] + c.rect["h"] / 2}
    else:
        await point_at(ctx, c.rect, 100)
    locator = locate(ctx, c, occurrence)
    before = texts_for(view, c.label)
    seen_typing: set[str] = set()
    if c.tag == "select":
        known = ctx.shopper.person.data.region_names if key == "region" else ()
        if not await select_option(ctx, locator, c, _options_for(intent) + known, f):
            return view  # the person's option is not offered: they leave it as it is
        await ctx.page.keyboard.press("Tab")  # leaving the field: the page may validate it now
        if key == "country":  # the page may bring that country's address fields: wait while it says it is busy
            await settle(ctx)
    else:
        await ctx.clock.aspend(shopper.hands_to_keyboard_ms(), "homing")
        if intent.is_format_error:
            f.intent_errors += 1
        text, initial, clear = intent.value, "", bool(c.value)
        cut = _typed_beginning(c.value, intent.value)
        if os.environ.get("HARNESS_DEBUG_JOURNEYS") and c.value:
            print(f"{record.assignment.journey_id} {key}: page filled {c.value!r}, meant {intent.value!r}, kept {cut}", flush=True)
        if cut is not None:
            # The page filled in the beginning (a postal-code lookup's town): add only what is missing.
            text, initial, clear = intent.value[cut:], c.value, False
        person = shopper.person
        keyboard = keyboard_for(shopper.is_phone, person.locale, c.type, c.inputmode, c.autocomplete, text=text)
        plan = shopper.type_plan(text, keyboard)
        await type_keys(ctx, locator, plan.keys, f, clear=clear, initial=initial, focused=c.focused and not c.value,
                        selector=selector_of(c), leave=True)  # Tab: leaving the field, the page may judge it now
        f.errors_made += plan.left
        f.typos_corrected += plan.corrected
        ctx.believed[key] = intent.value
        seen_typing = await while_typing(ctx, c, occurrence, key, intent, before)
    return await check_field(ctx, c, occurrence, key, intent, step, seen_typing=seen_typing, before=before)


def _typed_beginning(current: str, meant: str) -> int | None:
    """If the field holds the beginning of what the person means (not all of it), where the rest starts."""
    if not current or not meant:
        return None
    target = normalise(current)
    if not normalise(meant).startswith(target) or normalise(meant) == target:
        return None
    for n in range(1, len(meant) + 1):
        if normalise(meant[:n]) == target:
            return n
    return None
