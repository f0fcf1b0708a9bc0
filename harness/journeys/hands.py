"""The person's hands on the page: pointing and clicking (Fitts's law time), focusing a field,
typing key by key, choosing an option, scrolling.

Keys reach the page one by one at every pace, so what the page does with intermediate values
(live validation, formatting, autofill) happens as it would for a person. At pace "real" each key
is a real key event (or text insertion for characters no US layout has) after its modelled delay;
at pace "instant" a field's whole typing plan goes to the page in one call that raises, for each
key, the events a key brings (keydown, keypress, the browser's own text insertion with its
beforeinput and input events, keyup; page_reading.type_ops), and only the human time is booked. A correction (a run of
Backspaces) is carried out against what the field really shows: a page that refused a key or
reformatted the value leaves the person deleting only what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.shopper.keystrokes import BACKSPACE, Keystroke, apply_keystrokes

from .page_reading import Control, read_typed, type_ops
from .state import JourneyContext
from .understanding import normalise


def centre(rect: dict[str, float]) -> dict[str, float]:
    return {"x": rect["x"] + rect["w"] / 2, "y": rect["y"] + rect["h"] / 2}


def distance(here: dict[str, float], rect: dict[str, float]) -> float:
    c = centre(rect)
    return max(1.0, ((c["x"] - here["x"]) ** 2 + (c["y"] - here["y"]) ** 2) ** 0.5)


async def point_at(ctx: JourneyContext, rect: dict[str, float], default_width: float, kind: str = "pointing") -> None:
    """Move the pointer (or thumb) to a target and click it: Fitts's law from where it was."""
    width = rect["w"] or default_width
    await ctx.clock.aspend(ctx.shopper.point_and_click_ms(distance(ctx.here, rect), width), kind)
    ctx.here = centre(rect)


def locate(ctx: JourneyContext, c: Control, occurrence: int) -> Any:
    """The element the person sees as this field: by its label, else by what identifies it on the page."""
    if c.label and c.label_from == "label":
        return ctx.page.get_by_label(c.label, exact=True).nth(occurrence)
    if c.id:
        return ctx.page.locator(f'[id="{c.id}"]')
    if c.name:
        return ctx.page.locator(f'[name="{c.name}"]').nth(occurrence)
    return ctx.page.get_by_placeholder(c.placeholder, exact=True).nth(occurrence)


def selector_of(c: Control) -> str | None:
    """A CSS selector for the element the scan saw, when it has an id."""
    return '[id="' + c.id.replace("\\", "\\\\").replace('"', '\\"') + '"]' if c.id else None


async def type_keys(ctx: JourneyContext, locator: Any, keys: Sequence[Keystroke], f: Any, *, kind: str = "typing",
                    clear: bool = False, initial: str = "", focused: bool = False, selector: str | None = None,
                    leave: bool = False) -> None:
    """Type a plan's keys into the field, which holds `initial` with the caret at its end, or is
    first cleared (select all, delete: two keystrokes of time) when `clear`; with `leave`, then
    press Tab (the page may judge the field now). What the page's error messages did while the
    field was typed is added to `ctx.typed_log`."""
    keys = list(keys)
    keyboard = ctx.page.keyboard
    real = ctx.clock.pace == "real"
    if clear:
        await ctx.clock.aspend(2 * ctx.shopper.tab_ms(), kind)
    if not real and keys and (focused or selector is not None):
        # pace "instant": the whole plan in one call, key by key (page_reading.type_ops)
        ops: list[tuple[str, str | None]] = []
        i = 0
        while i < len(keys):
            j = i
            while j < len(keys) and keys[j].key == BACKSPACE:
                j += 1
            meant = apply_keystrokes(keys[:j], "" if clear else initial) if j > i else None
            k = j
            while k < len(keys) and keys[k].key != BACKSPACE:
                k += 1
            ops.append(("".join(x.key for x in keys[j:k]), meant))
            i = k
        for x in keys:
            await ctx.clock.aspend(x.delay_ms, kind)
        f.keystrokes += len(keys)
        focus = None if focused else selector
        if initial and not clear:
            # the caret to the end with a real End key: script cannot place it in every field
            # (an email or number input has no selection API)
            if not focused:
                await locator.focus()
            await keyboard.press("End")
            focus = None
        ctx.typed_log.extend(await type_ops(ctx.page, ops, focus=focus, clear=clear, tab=leave))
        return
    if not focused:
        await locator.focus()
    if clear:
        await keyboard.press("ControlOrMeta+a")
        await keyboard.press("Backspace")
    elif initial:
        await keyboard.press("End")
    i = 0
    while i < len(keys):
        if keys[i].key != BACKSPACE:
            j = i
            while j < len(keys) and keys[j].key != BACKSPACE:
                j += 1
            for stroke in keys[i:j]:
                await ctx.clock.aspend(stroke.delay_ms, kind)
                await keyboard.type(stroke.key)
            f.keystrokes += j - i
            i = j
            continue
        j = i
        await ctx.clock.aspend(keys[i].delay_ms, kind)
        while j + 1 < len(keys) and keys[j + 1].key == BACKSPACE:
            j += 1
            await ctx.clock.aspend(keys[j].delay_ms, kind)
        f.keystrokes += j - i + 1
        await correct_to(ctx, locator, apply_keystrokes(keys[: j + 1], "" if clear else initial))
        i = j + 1
    ctx.typed_log.extend(await read_typed(ctx.page))
    if leave:
        await keyboard.press("Tab")


async def correct_to(ctx: JourneyContext, locator: Any, meant: str) -> None:
    """Backspace until the field holds a beginning of what the person meant, then type the rest."""
    keyboard = ctx.page.keyboard
    meant_norm = normalise(meant)
    actual = ""
    for _ in range(64):
        actual = normalise(await locator.input_value())
        if meant_norm.startswith(actual):
            break
        await keyboard.press("Backspace")
    cut = next((n for n in range(len(meant) + 1) if normalise(meant[:n]) == actual), len(meant))
    if meant[cut:]:
        await keyboard.type(meant[cut:])


async def retype_tail(ctx: JourneyContext, locator: Any, value: str, n: int, f: Any, kind: str) -> None:
    """Delete the last `n` characters of a field holding `value` and type them again (a correction
    of something that was right)."""
    n = min(n, len(value))
    if n <= 0:
        return
    keyboard = ctx.page.keyboard
    await locator.focus()  # back into the field if it was left
    await keyboard.press("End")
    for _ in range(n):
        await ctx.clock.aspend(ctx.shopper.tab_ms(), kind)
        await keyboard.press("Backspace")
    tail = value[-n:]
    plan = ctx.shopper.type_plan(tail)
    for k in plan.keys:
        await ctx.clock.aspend(k.delay_ms, kind)
    await keyboard.type(apply_keystrokes(plan.keys))
    f.keystrokes += n + len(plan.keys)


async def select_option(ctx: JourneyContext, locator: Any, c: Control, wanted_forms: Sequence[str], f: Any) -> bool:
    """Choose the person's option in a list, found by its visible name (or value); reading down the
    list to it costs reading time. Returns False when their option is not offered."""
    wanted = [normalise(w) for w in wanted_forms if w]
    exact = [o for o in c.options if any(w in (normalise(o["label"]), normalise(o["value"])) for w in wanted)]
    loose = [o for o in c.options if any(len(w) > 2 and w in normalise(o["label"]) for w in wanted)]
    for option in exact or loose:
        position = c.options.index(option)
        await ctx.clock.aspend(ctx.shopper.read_ms(" ".join(o["label"] for o in c.options[: position + 1][-15:])), "reading")
        await locator.select_option(value=option["value"])
        f.keystrokes += 1
        return True
    return False


async def scroll_to(ctx: JourneyContext, y: float) -> None:
    """Scroll the page so that page coordinate `y` is at the top of the viewport."""
    await ctx.page.evaluate("(y) => window.scrollTo(0, y)", max(0.0, y))
