"""Deleting a test clock, which takes its customers with it (as Stripe does).

Apart from core/clock.py because customers sit above the scheduler (a customer created with a
payment method attaches it, and payment methods schedule work on the clock).
"""

from __future__ import annotations

from typing import Any

import orjson

from . import clock, customers
from .context import Ctx


def delete(ctx: Ctx, clk: dict[str, Any]) -> dict[str, Any]:
    """Delete the clock, what is scheduled on it and its customers."""
    clock.unschedule_clock(ctx, clk["id"])
    for (data,) in ctx.store.conn.execute(
        "SELECT data FROM objects WHERE type = 'customer' AND json_extract(data, '$.test_clock') = ?", (clk["id"],)
    ).fetchall():
        customers.delete(ctx, orjson.loads(data))
    ctx.store.delete(clk["id"])
    ctx.emit("test_helpers.test_clock.deleted", clk)
    return {"id": clk["id"], "object": "test_helpers.test_clock", "deleted": True}
