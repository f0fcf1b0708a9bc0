"""Whether a person notices an error the page shows, and what noticing, finding and reading cost.

The input is what the rendered page shows, described without reference to any checkout variant:
the journey reads the page (visible text that looks like an error, a field that looks wrong,
positions against the viewport and the person's point of regard) and builds an ErrorSignal.
Two variants can differ only through their pages.

Rules (sources in docs/shopper-model.md, "Perception"):
- Nothing visible is never noticed; `aria-invalid` alone is heard only by screen-reader users.
- Out of the viewport is not seen: the person has to scroll there first (a summary scrolled off a
  phone screen is not seen until the person scrolls back up).
- In view, the chance falls with the distance from where the person is looking (eccentricity):
  the persona's `in_view_near` within the parafovea (~2 deg, NEAR_DEG), falling linearly to its
  `in_view_far` at the edge of the useful field of view (UFOV_DEG, 20 deg: Ball et al.'s UFOV
  test places targets at 10 to 30 deg; assumption for the midpoint). An onset (something that
  appears while the person is looking at the page) captures attention better: at least
  ONSET_CAPTURE (Brockmole & Henderson 2004, J. of Vision 4(8):127: 63% of the eye movements
  right after a new object's onset went to it) wherever it appears in view.
- Something that only looks wrong (a red border, no words) is noticed by the same rule but tells
  the person nothing about what is wrong.
- Noticing costs a mental preparation (M, 1.35 s, Card, Moran & Newell); reading the message
  costs reading time (Brysbaert 2019); finding the field a distant message names costs scrolling
  and a visual search (see `finding_ms`) and pointing at it (Fitts's law).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, NamedTuple

from harness.shopper.person import Person
from harness.shopper.timing import pointing_ms, reading_ms

SignalKind = Literal["inline", "summary", "alert", "marked_only", "aria_invalid_only", "none"]
SIGNAL_KINDS: tuple[str, ...] = ("inline", "summary", "alert", "marked_only", "aria_invalid_only", "none")

# CSS pixels per degree of visual angle. A phone at ~30 cm with ~160 CSS px per inch and a desktop
# screen at ~60 cm with ~96 px per inch both give 33 to 40 px per degree: assumption (geometry from
# typical viewing distances; no single published figure).
PX_PER_DEGREE = 36.0
NEAR_DEG = 2.0  # parafovea: the "neighbouring item" distance in Wolfe et al.'s search data (JoV 2021)
UFOV_DEG = 20.0  # assumption: middle of the 10-30 deg range Ball et al.'s UFOV test probes
ONSET_CAPTURE = 0.63  # Brockmole & Henderson 2004: share of next saccades going to an onset
# Per fixation of a visual search for a named field: one label read per fixation, ~250 ms
# (typical fixation duration in reading and scene viewing, Rayner 1998). assumption: serial
# search through half the labels on screen on average.
FIXATION_MS = 250.0
# Scrolling one screenful with a wheel or a flick and re-orienting: assumption (no figure in the
# research file); about one pointing movement.
SCROLL_SCREEN_MS = 700.0


@dataclass(frozen=True)
class ErrorSignal:
    """How one error shows on the page, as the person could see it.

    kind: inline (text by the field), summary (a list elsewhere naming the field), alert (a
      dialog or page-level message that takes focus), marked_only (the field looks wrong, no
      words), aria_invalid_only (marked for assistive technology only), none.
    text: the words shown (or announced).
    distance_px: from where the person is working to the field in error (for a summary: to the
      field the summary names; pointing there).
    regard_px: from the person's point of regard to the message (eccentricity, for noticing);
      None: unknown, then `near_current_field` picks the persona's near or far chance.
    in_view: the message is inside the viewport now.
    near_current_field: the message stands next to the field it is about (inline).
    target_px: size of the field to point at, in the pointing direction.
    onset: it appeared while the person was looking at the page (not there when they arrived).
    field_distance_px: from the message to the field it names (finding the field).
    field_in_view: that field is inside the viewport now.
    fields_between: fields a visual search passes before the one named (finding it).
    """

    kind: SignalKind
    text: str = ""
    distance_px: float = 0.0
    in_view: bool = True
    near_current_field: bool = True
    target_px: float = 40.0
    onset: bool = False
    regard_px: float | None = None
    field_distance_px: float = 0.0
    field_in_view: bool = True
    fields_between: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SIGNAL_KINDS:
            raise ValueError(f"ErrorSignal.kind: expected one of {', '.join(SIGNAL_KINDS)}, found {self.kind!r}")

    @property
    def eccentricity_deg(self) -> float:
        if self.regard_px is None:
            return 0.0 if self.near_current_field else UFOV_DEG
        return self.regard_px / PX_PER_DEGREE


class Notice(NamedTuple):
    noticed: bool
    time_ms: float


NOT_NOTICED = Notice(False, 0.0)


def notice_probability(person: Person, signal: ErrorSignal) -> float:
    """The chance this person notices this signal now (0 when nothing is visible or it is out of view)."""
    if signal.kind == "none":
        return 0.0
    if signal.kind == "aria_invalid_only":
        return 1.0 if person.uses_screen_reader else 0.0
    if signal.kind == "alert":
        return person.notice_alert if signal.in_view or signal.onset else 0.0
    if not signal.in_view:
        return 0.0
    near, far = person.notice_in_view_near, person.notice_in_view_far
    ecc = signal.eccentricity_deg
    if ecc <= NEAR_DEG:
        p = near
    elif ecc >= UFOV_DEG:
        p = far
    else:
        p = near + (far - near) * (ecc - NEAR_DEG) / (UFOV_DEG - NEAR_DEG)
    if signal.onset:
        p = max(p, min(near, ONSET_CAPTURE))
    return p


def notice(person: Person, signal: ErrorSignal, rng: random.Random) -> Notice:
    """Decide whether `person` notices `signal`; if so, the human time it costs (M + reading).

    One uniform is drawn whenever something is visible, noticed or not, so that two pages that
    differ only in where a message stands give the same person the same later draws."""
    p = notice_probability(person, signal)
    if signal.kind == "none" or (p == 0.0 and signal.kind != "aria_invalid_only"):
        return NOT_NOTICED
    if signal.kind == "aria_invalid_only":
        if not person.uses_screen_reader:
            return NOT_NOTICED
        return Notice(True, person.mental_ms + reading_ms(person, signal.text))
    if rng.random() >= p:
        return NOT_NOTICED
    t = person.mental_ms + reading_ms(person, signal.text)
    if signal.kind == "summary":
        t += pointing_ms(person, signal.distance_px, signal.target_px)
    return Notice(True, t)


def finding_ms(person: Person, signal: ErrorSignal, viewport_h: float) -> float:
    """Time to get from a message to the field it names, before pointing at it: scroll to it if
    it is out of view, then a visual search among the fields on the way (one fixation per label
    read). Zero for a message next to its field."""
    if signal.kind in ("inline", "marked_only", "aria_invalid_only", "none"):
        return 0.0
    t = 0.0
    if not signal.field_in_view:
        screens = max(1.0, signal.field_distance_px / max(1.0, viewport_h))
        t += SCROLL_SCREEN_MS * screens
    t += FIXATION_MS * (1 + signal.fields_between / 2)
    return t


def scroll_ms(distance_px: float, viewport_h: float) -> float:
    """Scrolling a distance of the page (in screenfuls, at least one)."""
    return SCROLL_SCREEN_MS * max(1.0, abs(distance_px) / max(1.0, viewport_h))


# Nielsen Norman Group, "Scrolling and Attention" (2018; 120 participants, eyetracking on
# 1920x1080 screens): share of viewing time by screenful: 57%, 17%, 7%, 5%, 3%, 2%, then 1%.
# Used as the chance that a person searching the page for what went wrong looks at screenful k
# at all: screens 1 and 2 always (74% of viewing time), further ones relative to the second.
NNG_SCREEN_SHARE = (0.57, 0.17, 0.07, 0.05, 0.03, 0.02, 0.01)


def screen_reached(k: int) -> float:
    """The chance that a search of the page goes on to screenful `k` (0 = the first)."""
    if k <= 1:
        return 1.0
    share = NNG_SCREEN_SHARE[k] if k < len(NNG_SCREEN_SHARE) else NNG_SCREEN_SHARE[-1]
    return share / NNG_SCREEN_SHARE[1]
