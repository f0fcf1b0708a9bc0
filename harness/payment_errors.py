"""Reading a Stripe payment error (an intent's `last_payment_error`, or a 402 reply's `error`), the
one way the load, the journeys and the sites do it."""

from __future__ import annotations

from typing import Any


def decline_code(error: dict[str, Any] | None) -> str | None:
    """Why the payment failed: the card's `decline_code` where there is one (`insufficient_funds`),
    else the error's `code` (`card_declined`, `expired_card`, `payment_intent_authentication_failure`)."""
    error = error or {}
    return error.get("decline_code") or error.get("code")
