"""When a person gives up, and what they do after a card is declined.

Each rule takes its chance from the person (and so from the persona file, where the sources are):
- errors: more errors shown on one field, or in all, than the person tolerates (assumption).
- waiting: within the person's tolerance (Nielsen 1993: 10 s with feedback; Nah 2004: ~2 s
  without) nobody leaves; beyond it, each further 100 ms loses the Akamai/SOASTA 2017 share
  (2.4% desktop, 7.1% phone; correlational figures, used as a hazard).
- payment method: preferred method missing -> leave with the stated share (SB Payment 2025, >60%
  in Japan; PPRO 2020, 42% US), else pay with another accepted method; none accepted -> leave.
- stated reasons (Baymard 2024, stated, not observed), e.g. forced account creation 26%.
- card declined: try again with the persona's probability, another card or another method.
- effort: a hazard that grows with the effort met (fields, steps, errors, time, surprises); see
  `Effort`. The person's tolerance is drawn once per journey from their own stream, so the same
  person on two variants gives up at the same accumulated effort.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from harness.shopper.person import Person


@dataclass(frozen=True)
class MethodChoice:
    method: str | None  # None: the person leaves
    reason: str  # "preferred", "accepted_alternative", "preferred_missing", "nothing_accepted"


@dataclass(frozen=True)
class DeclineChoice:
    action: Literal["another_card", "switch_method", "leave"]
    method: str | None = None  # the method to use next ("card" for another card)
    card_number: str | None = None  # for another_card: the person's other card


# -- effort ---------------------------------------------------------------------------------------
# Effort in "field equivalents": what one ordinary field costs a person is 1. The weights and the
# hazard are assumptions (no published measurement of people gives a per-effort abandonment
# hazard independent of design): they encode the direction form analytics observe across many
# forms (Zuko's field benchmark over 1,362 forms: abandonment concentrates on the fields that take
# longest and are returned to most, phone and password highest) without taking any figure from a
# comparison of designs. docs/shopper-model.md ("Effort and giving up") gives the reasoning.
EFFORT_WEIGHTS: dict[str, float] = {
    "field": 1.0,  # a field filled
    "step": 1.0,  # a new page or step to orient on
    "error": 2.0,  # an error noticed: read, found, fixed (about two fields' worth: assumption)
    "wrong_fix": 3.0,  # an error that came back after a fix: frustration (assumption)
    "minute": 1.0,  # each minute of human time (assumption)
    "forced_account": 3.0,  # a surprise: an account to create (assumption)
    "method_missing": 2.0,  # a surprise: the preferred payment method is not offered (assumption)
}
# Hazard per unit of effort at the start (assumption: ~3% of error-free shoppers leave a 12-field
# one-page checkout from effort alone), and the effort at which it has doubled: one average
# checkout's worth (Baymard: 11 to 15 form fields in the average checkout, editions 2016-2024).
EFFORT_HAZARD_0 = 0.0015
EFFORT_DOUBLING = 15.0
# A checkout longer than the average one (Baymard: ~5 steps, 11-15 fields) is what "too long or
# complicated" names: the stated share (22%, Baymard 2024, stated not observed) is used once, when
# the person meets more fields or steps than that.
LONG_FIELDS = 15
LONG_STEPS = 5


def cumulative_hazard(effort: float) -> float:
    """H(E) = h0 (E + E^2 / (2 E_d)): the hazard h0 (1 + E / E_d) grows with the effort met."""
    e = max(0.0, effort)
    return EFFORT_HAZARD_0 * (e + e * e / (2.0 * EFFORT_DOUBLING))


def left_by(effort: float) -> float:
    """P(the person has given up from effort by the time they have met `effort`)."""
    return 1.0 - math.exp(-cumulative_hazard(effort))


@dataclass
class Effort:
    """Effort met in one journey, and the person's tolerance for it (an Exp(1) draw: they leave
    when the cumulative hazard passes it, the usual way of sampling a time-to-event)."""

    tolerance: float
    total: float = 0.0
    by_kind: dict[str, float] = field(default_factory=dict)

    @classmethod
    def for_person(cls, person: Person) -> Effort:
        rng = random.Random(f"{person.persona}|{person.seed}|effort")
        return cls(tolerance=-math.log(1.0 - rng.random()))

    def add(self, kind: str, amount: float = 1.0) -> bool:
        """Meet some effort; True if the person gives up now."""
        units = EFFORT_WEIGHTS[kind] * amount
        self.total += units
        self.by_kind[kind] = self.by_kind.get(kind, 0.0) + units
        return cumulative_hazard(self.total) >= self.tolerance


@dataclass
class GiveUpPolicy:
    """Per-journey state (errors seen, declines) plus the person's thresholds."""

    person: Person
    field_errors: dict[str, int] = field(default_factory=dict)
    total_errors: int = 0
    declines: int = 0

    # -- errors -------------------------------------------------------------------------------
    def on_error_shown(self, field_name: str) -> bool:
        """Count one error the person noticed on a field; True if they give up now."""
        self.field_errors[field_name] = self.field_errors.get(field_name, 0) + 1
        self.total_errors += 1
        return (self.field_errors[field_name] > self.person.max_errors_per_field
                or self.total_errors > self.person.max_errors_total)

    # -- waiting ------------------------------------------------------------------------------
    def tolerance_ms(self, feedback: bool = True) -> float:
        p = self.person
        return p.wait_tolerance_ms if feedback else p.wait_tolerance_no_feedback_ms

    def leave_probability_after_wait(self, waited_ms: float, feedback: bool = True) -> float:
        """P(left by the time `waited_ms` has passed): 1 - (1 - h) ** (excess / 100 ms)."""
        excess = max(0.0, waited_ms - self.tolerance_ms(feedback))
        h = self.person.abandon_per_100ms
        return 1.0 - (1.0 - h) ** (excess / 100.0)

    def leaves_after_wait(self, waited_ms: float, rng: random.Random, feedback: bool = True) -> bool:
        """For a wait that is over: did the person leave during it?"""
        return rng.random() < self.leave_probability_after_wait(waited_ms, feedback)

    def wait_deadline_ms(self, rng: random.Random, feedback: bool = True) -> float:
        """How long this person will wait this time before leaving (inf if never): a timeout
        for the journey, with the same distribution as `leaves_after_wait`."""
        h = self.person.abandon_per_100ms
        if h <= 0:
            return math.inf
        if h >= 1:
            return self.tolerance_ms(feedback)
        u = 1.0 - rng.random()  # (0, 1]
        return self.tolerance_ms(feedback) + 100.0 * math.log(u) / math.log(1.0 - h)

    # -- payment methods ----------------------------------------------------------------------
    def choose_method(self, offered: Sequence[str], rng: random.Random) -> MethodChoice:
        """Pick a method among those the page offers, or leave."""
        p = self.person
        if p.preferred_method in offered:
            return MethodChoice(p.preferred_method, "preferred")
        alternatives = [m for m in p.accepted_methods if m in offered]
        if not alternatives:
            return MethodChoice(None, "nothing_accepted")
        if rng.random() < p.leave_if_preferred_missing:
            return MethodChoice(None, "preferred_missing")
        return MethodChoice(alternatives[0], "accepted_alternative")

    # -- stated reasons -----------------------------------------------------------------------
    def leaves_on(self, reason: str, rng: random.Random) -> bool:
        """The person meets something named in the survey (e.g. "forced_account"): leave?

        A returning shopper already has an account, so forced account creation does not apply.
        "card_declined" is not used here: after a decline, use `after_decline`.
        """
        chances = self.person.abandonment_map
        if reason not in chances:
            raise KeyError(f"unknown abandonment reason {reason!r}; known: {', '.join(chances)}")
        if reason == "forced_account" and self.person.returning:
            return False
        return rng.random() < chances[reason]

    def stated_rng(self, reason: str) -> random.Random:
        """The person's own stream for one stated reason: the same answer on every variant."""
        return random.Random(f"{self.person.persona}|{self.person.seed}|stated|{reason}")

    # -- declines -----------------------------------------------------------------------------
    def after_decline(self, offered: Sequence[str], rng: random.Random) -> DeclineChoice:
        """After a card decline: another card (once; people carry few), another method, or leave."""
        p = self.person
        self.declines += 1
        if rng.random() >= p.retry_after_decline:
            return DeclineChoice("leave")
        others = [m for m in p.accepted_methods if m != "card" and m in offered]
        can_card = self.declines == 1
        if others and (not can_card or rng.random() < p.switch_method_after_decline):
            return DeclineChoice("switch_method", others[0])
        if can_card:
            return DeclineChoice("another_card", "card", p.data.backup_card_number)
        return DeclineChoice("leave")
