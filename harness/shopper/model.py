"""The simulated shopper during one journey: one person, their random stream, their hands,
their patience and their clock, behind one object a journey layer (Playwright) can drive.

Every method returns human time in ms (or a decision) and never sleeps; the journey passes the
time to `shopper.clock.spend(...)` / `await shopper.clock.aspend(...)`, which sleeps only when
pace is "real". The shopper never sees a variant's configuration: only what the journey reads off
the page (offered payment methods, ErrorSignal, positions and sizes of targets).

KLM operators (Card, Moran & Newell 1980/1983, as tabulated by Kieras): M mental preparation
before each field, P pointing (Fitts's law), B click, H homing between keyboard and mouse (desktop
only; on a phone the thumb taps and the on-screen keyboard needs no homing).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from harness.shopper.clock import HumanClock, Pace
from harness.shopper.giveup import LONG_FIELDS, LONG_STEPS, DeclineChoice, Effort, GiveUpPolicy, MethodChoice
from harness.shopper.keystrokes import QWERTY, TypingPlan, plan_fix, plan_typing_detailed
from harness.shopper.noticing import ErrorSignal, Notice, notice
from harness.shopper.person import Person, sample_person
from harness.shopper.timing import keystroke_ms, pointing_ms, reading_ms
from scenarios.personas import Persona


class Shopper:
    """One person buying once. Same person and same calls: the same keys, times and choices."""

    def __init__(self, person: Person, *, pace: Pace = "instant",
                 sleep: Callable[[float], None] = time.sleep,
                 async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.person = person
        self.rng = random.Random(f"{person.persona}|{person.seed}|journey")
        self.clock = HumanClock(pace, sleep=sleep, async_sleep=async_sleep)
        self.policy = GiveUpPolicy(person)
        self.effort = Effort.for_person(person)
        # where the typing hand is: desktop people start with a hand on the mouse (they arrive
        # by clicking); irrelevant on phones
        self.hand = "mouse"

    @classmethod
    def from_persona(cls, persona: Persona, seed: int | str, **kw: object) -> Shopper:
        return cls(sample_person(persona, seed), **kw)  # type: ignore[arg-type]

    @property
    def is_phone(self) -> bool:
        return self.person.device.is_phone

    # -- moving between things ----------------------------------------------------------------
    def think_ms(self) -> float:
        """M: mental preparation before a field or a decision (1.35 s, Card et al.)."""
        return self.person.mental_ms

    def point_and_click_ms(self, distance_px: float, width_px: float) -> float:
        """Move to a target and click or tap it (H if the hand was on the keyboard, P, B)."""
        t = pointing_ms(self.person, distance_px, width_px) + self.person.click_ms
        if not self.is_phone and self.hand == "keyboard":
            t += self.person.homing_ms
        self.hand = "mouse"
        return t

    def tab_ms(self) -> float:
        """Move to the next field with the Tab key (desktop); on a phone: the keyboard's next key."""
        t = keystroke_ms(self.person, None, self.rng)
        if not self.is_phone and self.hand == "mouse":
            t += self.person.homing_ms
        self.hand = "keyboard"
        return t

    def hands_to_keyboard_ms(self) -> float:
        """H before typing if the hand is on the mouse (desktop); 0 on a phone."""
        if self.is_phone or self.hand == "keyboard":
            self.hand = "keyboard"
            return 0.0
        self.hand = "keyboard"
        return self.person.homing_ms

    # -- typing -------------------------------------------------------------------------------
    def type_plan(self, text: str, keyboard: str = QWERTY) -> TypingPlan:
        """Keys for typing `text` into an empty field on `keyboard` (see keystrokes.py and
        keyboards.py). Spend each key's `delay_ms` before pressing it; call
        hands_to_keyboard_ms() first."""
        self.hand = "keyboard"
        return plan_typing_detailed(self.person, text, self.rng, keyboard=keyboard)

    def fix_plan(self, current: str, intended: str, keyboard: str = QWERTY) -> TypingPlan:
        """Keys to correct a field whose value is `current` (caret at the end)."""
        self.hand = "keyboard"
        return plan_fix(self.person, current, intended, self.rng, keyboard=keyboard)

    # -- reading and errors -------------------------------------------------------------------
    def read_ms(self, text: str) -> float:
        return reading_ms(self.person, text)

    def notice(self, signal: ErrorSignal) -> Notice:
        """Whether the person notices an error the page shows, and the time it costs."""
        n = notice(self.person, signal, self.rng)
        if n.noticed and signal.kind == "summary" and not self.is_phone and self.hand == "keyboard":
            self.hand = "mouse"
            return Notice(True, n.time_ms + self.person.homing_ms)
        return n

    def gives_up_after_error(self, field_name: str) -> bool:
        """Count a noticed error on a field; True if this one is too many."""
        return self.policy.on_error_shown(field_name)

    # -- waiting ------------------------------------------------------------------------------
    def wait_deadline_ms(self, feedback: bool = True) -> float:
        """How long the person will wait for this response before leaving (use as a timeout)."""
        return self.policy.wait_deadline_ms(self.rng, feedback)

    def leaves_after_wait(self, waited_ms: float, feedback: bool = True) -> bool:
        return self.policy.leaves_after_wait(waited_ms, self.rng, feedback)

    # -- paying -------------------------------------------------------------------------------
    def choose_method(self, offered: Sequence[str]) -> MethodChoice:
        return self.policy.choose_method(offered, self.rng)

    def after_decline(self, offered: Sequence[str]) -> DeclineChoice:
        return self.policy.after_decline(offered, self.rng)

    def leaves_on(self, reason: str) -> bool:
        """Meeting something shoppers say makes them leave (e.g. "forced_account"). Decided on
        the person's own stream for that reason: the same person answers the same on every variant."""
        return self.policy.leaves_on(reason, self.policy.stated_rng(reason))

    # -- effort -------------------------------------------------------------------------------
    def tires(self, kind: str, amount: float = 1.0) -> bool:
        """Meet some effort (giveup.EFFORT_WEIGHTS' kinds); True if the person gives up now."""
        return self.effort.add(kind, amount)

    def finds_it_too_long(self, fields_met: int, steps_met: int) -> bool:
        """The checkout turns out longer than the average one: the stated reason "too_long" is
        met, once (Baymard 2024, stated not observed)."""
        if fields_met <= LONG_FIELDS and steps_met <= LONG_STEPS or "too_long" not in self.person.abandonment_map:
            return False
        return self.leaves_on("too_long")
