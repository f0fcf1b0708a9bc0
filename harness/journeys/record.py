"""The record of one journey, as written to journeys.jsonl (docs/run-directory.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from harness.shopper.model import Shopper

from .plan import Assignment


@dataclass
class FieldRecord:
    """What happened on one field (docs/run-directory.md, journeys.jsonl)."""

    keystrokes: int = 0
    errors_made: int = 0  # slips left in
    intent_errors: int = 0  # values typed in a format the person meant but the data does not have
    errors_shown: int = 0  # times the page showed an error for it that the person could have seen
    errors_noticed: int = 0
    errors_unnoticed: int = 0
    shown_while_typing: int = 0  # errors the page showed before the person left the field
    never_seen: int = 0  # distinct errors shown and never perceived before fixed or the end
    needless_corrections: int = 0  # correct typing changed or interrupted by a message shown too early
    wrong_fixes: int = 0  # fix attempts after which the page still showed an error
    typos_corrected: int = 0
    messages: list[str] = field(default_factory=list)
    shown_at_ms: list[float] = field(default_factory=list)
    time_to_fix_ms: list[float] = field(default_factory=list)
    # not written: the errors shown (by text) and whether the person ever perceived each
    episodes: dict[str, bool] = field(default_factory=dict, repr=False)
    fix_pending: bool = field(default=False, repr=False)

    def shown(self, text: str, noticed: bool) -> None:
        key = text or "(marked)"
        self.episodes[key] = self.episodes.get(key, False) or noticed

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("episodes", "fix_pending")}
        out["never_seen"] = sum(1 for seen in self.episodes.values() if not seen)
        out["shown_at_ms"] = [round(x, 1) for x in self.shown_at_ms]
        out["time_to_fix_ms"] = [round(x, 1) for x in self.time_to_fix_ms]
        return out


@dataclass
class JourneyRecord:
    assignment: Assignment
    traits: dict[str, Any]
    started_at: float = field(default_factory=time.time)
    shopper: Shopper | None = None
    outcome: str = "abandoned"
    ended_step: str | None = None
    ended_field: str | None = None
    reason: str | None = None
    system_ms: float = 0.0
    effort: float = 0.0
    fields: dict[str, FieldRecord] = field(default_factory=dict)
    declines: list[dict[str, Any]] = field(default_factory=list)
    payment_intent: str | None = None
    checkout_session: str | None = None
    payment_method: str | None = None
    steps: list[str] = field(default_factory=list)
    trace: str | None = None
    error: str | None = None

    @classmethod
    def start(cls, a: Assignment, shopper: Shopper) -> JourneyRecord:
        return cls(a, shopper.person.traits(), shopper=shopper)

    def field(self, name: str) -> FieldRecord:
        return self.fields.setdefault(name, FieldRecord())

    def end(self, outcome: str, step: str | None = None, field_name: str | None = None, reason: str | None = None) -> None:
        self.outcome, self.ended_step, self.ended_field, self.reason = outcome, step, field_name, reason

    def fail(self, error: str) -> None:
        self.outcome, self.error, self.reason = "failed", error, "technical failure"

    def finish(self) -> dict[str, Any]:
        a = self.assignment
        human_ms = self.shopper.clock.total_ms if self.shopper else 0.0
        return {
            "journey_id": a.journey_id, "seed": a.seed, "variant": a.variant, "persona": a.persona, "traits": self.traits,
            "outcome": self.outcome, "ended_step": self.ended_step, "ended_field": self.ended_field, "reason": self.reason,
            "human_ms": round(human_ms, 1), "system_ms": round(self.system_ms, 1), "effort": round(self.effort, 2),
            "effort_by_kind": {k: round(v, 2) for k, v in (self.shopper.effort.by_kind if self.shopper else {}).items()},
            "human_ms_by_kind": {k: round(v, 1) for k, v in (self.shopper.clock.by_kind if self.shopper else {}).items()},
            "fields": {k: v.as_dict() for k, v in self.fields.items()},
            "declines": self.declines, "payment_intent": self.payment_intent, "checkout_session": self.checkout_session,
            "payment_method": self.payment_method, "steps": self.steps, "trace": self.trace, "error": self.error,
            "started_at": self.started_at, "ended_at": time.time(),
        }
