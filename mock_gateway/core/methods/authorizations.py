"""Uncaptured authorisations expire: a `capture_method=manual` payment not captured within 7 days
is canceled (charge.expired, payment_intent.canceled with cancellation_reason automatic), by the
customer's test clock when it has one, otherwise by the server's real-time sweep.

Cards are where this happens most, but a wallet approved with manual capture is held the same way.
"""

from __future__ import annotations

from typing import Any

from .. import clock, intent_states
from ..context import Ctx

VALID_FOR = 7 * 86400
EXPIRY_TASK = "payment_intent.authorization_expiry"


def hold(ctx: Ctx, pi: dict[str, Any], charge: dict[str, Any]) -> None:
    """Called when an authorisation succeeds: note capture_before and schedule the expiry."""
    now = clock.now_for(ctx, pi.get("customer"))
    capture_before = now + VALID_FOR
    card = (charge.get("payment_method_details") or {}).get("card")
    if card is not None:
        card["capture_before"] = capture_before
        ctx.store.update(charge)
    clock.schedule(ctx, EXPIRY_TASK, pi["id"], capture_before,
                   clock.clock_id_for(ctx, pi.get("customer")), {"charge": charge["id"]})


def _expire(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    pi = ctx.store.get(ref)
    if pi is not None and pi["status"] == "requires_capture" and pi.get("latest_charge") == data.get("charge"):
        intent_states.cancel(ctx, pi, {"_expired": True})


TASKS: dict[str, clock.Handler] = {EXPIRY_TASK: _expire}
