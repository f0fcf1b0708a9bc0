"""Whether a person notices an error message, and what noticing it costs them.

The input is what the page shows, described without reference to any checkout variant: a
journey layer reads the page (visible text, `aria-invalid`, alerts, positions) and builds an
ErrorSignal. That keeps the model honest: two variants can differ only through their pages.

Rules: nothing shown is never noticed; `aria-invalid` alone is only heard by screen-reader users;
a message out of view is not seen (the journey asks again when it comes into view); a message in
view is seen with the persona's probabilities (assumptions). Noticing costs a mental preparation
(M, 1.35 s, Card, Moran & Newell) and reading the message (Brysbaert 2019); an error summary also
costs finding the field it names, by pointing (Fitts's law).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, NamedTuple

from harness.shopper.person import Person
from harness.shopper.timing import pointing_ms, reading_ms

SignalKind = Literal["inline", "summary", "alert", "aria_invalid_only", "none"]
SIGNAL_KINDS: tuple[str, ...] = ("inline", "summary", "alert", "aria_invalid_only", "none")


@dataclass(frozen=True)
class ErrorSignal:
    """How one error shows on the page.

    kind: inline (text by the field), summary (a list elsewhere, e.g. top of the form), alert (a
      dialog or a message that takes focus), aria_invalid_only (marked for assistive technology
      only, nothing visible), none (nothing at all).
    text: the words shown (or announced).
    distance_px: from where the person is working to the field in error (for a summary: to the
      field the summary names).
    in_view: the message is inside the viewport.
    near_current_field: the message is next to the field the person is working on.
    target_px: size of the field to point at (for a summary), in the pointing direction.
    """

    kind: SignalKind
    text: str = ""
    distance_px: float = 0.0
    in_view: bool = True
    near_current_field: bool = True
    target_px: float = 40.0

    def __post_init__(self) -> None:
        if self.kind not in SIGNAL_KINDS:
            raise ValueError(f"ErrorSignal.kind: expected one of {', '.join(SIGNAL_KINDS)}, found {self.kind!r}")


class Notice(NamedTuple):
    noticed: bool
    time_ms: float


NOT_NOTICED = Notice(False, 0.0)


def notice(person: Person, signal: ErrorSignal, rng: random.Random) -> Notice:
    """Decide whether `person` notices `signal`; if so, the human time it costs (ms)."""
    if signal.kind == "none":
        return NOT_NOTICED
    if signal.kind == "aria_invalid_only":
        if not person.uses_screen_reader:
            return NOT_NOTICED
        return Notice(True, person.mental_ms + reading_ms(person, signal.text))
    if signal.kind == "alert":
        p = person.notice_alert
    elif not signal.in_view:
        return NOT_NOTICED
    else:
        p = person.notice_in_view_near if signal.near_current_field else person.notice_in_view_far
    if rng.random() >= p:
        return NOT_NOTICED
    t = person.mental_ms + reading_ms(person, signal.text)
    if signal.kind == "summary":
        t += pointing_ms(person, signal.distance_px, signal.target_px)
    return Notice(True, t)
