"""What the person sees of the page's errors: from the page scan (page_reading.py) to the
signals the shopper model decides on (harness/shopper/noticing.py).

A field is "in error" for the person when the page shows words about it (a message in its block
or tied to it, or a summary's link to it) or when the field itself looks wrong (a red border,
an "invalid" class). Where those stand matters: relative to the viewport (out of view is not
seen until the person scrolls) and to the person's point of regard (near onsets capture
attention, far ones less). ARIA counts only as one way of tying words to a field.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.shopper.noticing import ErrorSignal

from .hands import centre, distance
from .page_reading import Control, Message, PageView, TypedTrace

# A message whose nearest edge is within this of its field's box stands "by" the field (inline);
# farther, it is a message elsewhere (a summary at the top). assumption: about three lines of text.
NEAR_FIELD_PX = 120.0


@dataclass
class Spot:
    """One field the page shows to be wrong, as the person could see it."""

    control: Control
    occurrence: int
    kind: str  # "inline", "summary", "marked_only", "aria_invalid_only"
    text: str  # the words about this field ("" if none)
    message: Message | None = None


def in_view(rect: dict[str, float], viewport: dict[str, float]) -> bool:
    return rect["top"] < viewport["h"] and rect["bottom"] > 0


def _gap(a: dict[str, float], b: dict[str, float]) -> float:
    """Vertical gap between two boxes (0 if they overlap)."""
    return max(0.0, max(a["y"], b["y"]) - min(a["y"] + a["h"], b["y"] + b["h"]))


def _occurrences(view: PageView) -> list[tuple[int, Control]]:
    out: list[tuple[int, Control]] = []
    seen: dict[str, int] = {}
    for c in view.fields():
        n = seen.get(c.label, 0)
        seen[c.label] = n + 1
        out.append((n, c))
    return out


def spot_for(view: PageView, c: Control, occurrence: int = 0) -> Spot | None:
    """How the page shows an error on this field, if it does: words beside it first, then words
    elsewhere naming it, then the field's own look."""
    near, far = None, None
    for m in view.messages_for(c.label):
        if m.field == c.label and _gap(m.rect, c.rect) <= NEAR_FIELD_PX:
            near = near or m
        else:
            far = far or m
    if near is not None:
        return Spot(c, occurrence, "inline", near.text_for(c.label), near)
    if far is not None:
        return Spot(c, occurrence, "summary", far.text_for(c.label), far)
    if c.marked:
        return Spot(c, occurrence, "marked_only", "")
    if c.invalid:
        return Spot(c, occurrence, "aria_invalid_only", " ".join(c.described))
    return None


def spots(view: PageView) -> list[Spot]:
    """Every field the page shows in error, in page order."""
    out = []
    for n, c in _occurrences(view):
        s = spot_for(view, c, n)
        if s is not None:
            out.append(s)
    return out


def signal(view: PageView, spot: Spot, here: dict[str, float], *, onset: bool,
           regard: dict[str, float] | None = None) -> ErrorSignal:
    """The ErrorSignal for a spot, seen from the point of regard (default: where the person is working)."""
    regard = regard or here
    c = spot.control
    vp = view.viewport
    size = c.rect["h"] or 40
    if spot.kind == "aria_invalid_only":
        return ErrorSignal("aria_invalid_only", spot.text)
    if spot.kind == "marked_only":
        return ErrorSignal("marked_only", "", distance(here, c.rect), in_view(c.rect, vp), True, size, onset,
                           distance(regard, c.rect), 0.0, in_view(c.rect, vp))
    m = spot.message
    assert m is not None
    if spot.kind == "inline":
        return ErrorSignal("inline", spot.text, distance(here, c.rect), in_view(m.rect, vp), True, size, onset,
                           distance(regard, m.rect), _gap(m.rect, c.rect), in_view(c.rect, vp))
    between = sum(1 for other in view.fields()
                  if min(m.rect["y"], c.rect["y"]) < other.rect["y"] < max(m.rect["y"], c.rect["y"]))
    return ErrorSignal("summary", spot.text, distance(centre(m.rect), c.rect), in_view(m.rect, vp), False, size, onset,
                       distance(regard, m.rect), _gap(m.rect, c.rect), in_view(c.rect, vp), between)


def typing_onsets(traces: list[TypedTrace], label: str, before: set[str]) -> list[tuple[TypedTrace, Message]]:
    """Messages about the field `label` that appeared while it was being typed (in focus): each
    with the moment (the trace) it appeared."""
    out: list[tuple[TypedTrace, Message]] = []
    current = set(before)
    for t in traces:
        if t.field != label:
            continue
        now = {}
        for m in t.messages:
            if m.names(label):
                now[m.text_for(label)] = m
        out.extend((t, m) for text, m in now.items() if text not in current)
        current = set(now)
    return out


MARKED = "(marked)"


def texts_for(view: PageView, label: str) -> set[str]:
    """What the page shows about a field now, as the person would recognise it again: the words
    about it, and MARKED if the field itself looks wrong."""
    out = {m.text_for(label) for m in view.messages_for(label)}
    if any(c.label == label and c.marked for c in view.fields()):
        out.add(MARKED)
    return out


def signature(spot: Spot) -> str:
    return spot.text or MARKED


def regard_after_submit(view: PageView, here: dict[str, float]) -> dict[str, float]:
    """Where the person looks once the page has reacted to their submit: the field the page put
    the caret in (it scrolled there), else where they clicked if still in view, else the top of
    the view (a new page is read from the top)."""
    focused = next((c for c in view.fields() if c.focused), None)
    if focused is not None:
        return centre(focused.rect)
    scroll = view.viewport.get("scroll", 0.0)
    if scroll <= here["y"] <= scroll + view.viewport["h"]:
        return here
    return {"x": view.viewport["w"] / 2, "y": scroll + view.viewport["h"] * 0.2}
