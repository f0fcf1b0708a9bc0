"""What one journey carries from step to step: the page, the person, the record, and what the
person knows so far (the method chosen, the fields typed, what they mean to type, where they are
looking). Also `Leave`, raised wherever the person gives up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from playwright.async_api import Page

from harness.shopper.intent import Intent
from harness.shopper.model import Shopper

from .record import JourneyRecord

if TYPE_CHECKING:
    from .sites import Site

PASSWORD = "Harness-Shopper-2024!"


class Leave(Exception):
    """The person gives up; where and why go to the record (reason: docs/run-directory.md)."""

    def __init__(self, reason: str, step: str | None = None, field_name: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.step, self.field_name = reason, step, field_name


@dataclass
class JourneyContext:
    page: Page
    shopper: Shopper
    record: JourneyRecord
    target: str
    api: httpx.AsyncClient  # the merchant's backend talking to the gateway: base URL and secret key set
    currency: str
    amount: int
    site: Site  # where the journey buys (sites.py)
    card_number: str | None = None
    method: str | None = None
    session: dict[str, Any] = field(default_factory=dict)
    success_prefix: str = ""
    account_seen: bool = False
    here: dict[str, float] = field(default_factory=lambda: {"x": 0.0, "y": 0.0})  # point of regard, page coordinates
    fix_attempts: dict[str, int] = field(default_factory=dict)
    typed: set[str] = field(default_factory=set)  # fields this person has typed into
    believed: dict[str, str] = field(default_factory=dict)  # what the person last typed on purpose, per field
    intents: dict[str, Intent] = field(default_factory=dict)
    typed_log: list[Any] = field(default_factory=list)  # page_reading.TypedTrace: the page while the person typed
    in_flight: set[Any] = field(default_factory=set)  # the page's own fetches (postal-code lookup, ...)
    fields_met: int = 0
    minutes_booked: int = 0
    too_long_checked: bool = False

    @property
    def clock(self):  # noqa: ANN201
        return self.shopper.clock

    def tire(self, kind: str, step: str | None = None, field_name: str | None = None, amount: float = 1.0) -> None:
        """Book effort met (and the minutes of human time since last booked); the person may give up."""
        minutes = int(self.clock.total_ms // 60_000)
        tired = False
        if minutes > self.minutes_booked:
            tired = self.shopper.tires("minute", minutes - self.minutes_booked)
            self.minutes_booked = minutes
        tired = self.shopper.tires(kind, amount) or tired
        self.record.effort = self.shopper.effort.total
        if tired:
            raise Leave("effort", step, field_name)
        if not self.too_long_checked and kind in ("field", "step"):
            steps = len(dict.fromkeys(self.record.steps))
            if self.shopper.finds_it_too_long(self.fields_met, steps):
                raise Leave("too_long", step, field_name)
            if self.fields_met > 15 or steps > 5:
                self.too_long_checked = True
