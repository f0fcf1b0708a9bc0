"""A card's test behaviour changed after it was created (harness extension): a card that starts
declining, or works again. Stripe's test cards keep the behaviour of their number; the cohort
simulation swaps cards instead, this is for tests that need one card to change."""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..errors import invalid_request
from ..instruments import DECLINE_MESSAGES, Behaviour


def set_behaviour(ctx: Ctx, pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """What the card does from now on: succeed, or decline with a code (a card that starts declining)."""
    if pm["type"] != "card":
        raise invalid_request("Only a card has a test behaviour.", param="payment_method")
    outcome = p.get("outcome", "succeed")
    code = p.get("decline_code") or ("generic_decline" if outcome == "decline" else None)
    if outcome == "decline" and code not in DECLINE_MESSAGES:
        raise invalid_request(f"Invalid decline_code: one of {', '.join(DECLINE_MESSAGES)}.", param="decline_code")
    pm["_behaviour"] = Behaviour(outcome, code if outcome == "decline" else None).encode()
    ctx.store.update(pm)
    return pm
