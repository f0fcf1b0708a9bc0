"""Billing happens on the customer's time: its test clock's frozen time, or real time."""

from __future__ import annotations

import dataclasses

from .. import clock
from ..context import Ctx


def clocked(ctx: Ctx, customer_id: str | None) -> Ctx:
    """The context with `now` on the customer's clock, so objects and events carry clock time."""
    now = clock.now_for(ctx, customer_id)
    return ctx if now == ctx.now else dataclasses.replace(ctx, now=now)


def clock_of(ctx: Ctx, customer_id: str | None) -> str | None:
    return clock.clock_id_for(ctx, customer_id)
