"""PaymentMethod objects as stored, whatever their type: billing details, saving, attaching.

Below every method module (a wallet approved for later use attaches itself) and below the
dispatch in core/payment_methods.py, which re-exports these under their public names.
"""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..errors import StripeError, invalid_request
from ..ids import new_id
from ..instruments import DECLINE_MESSAGES, Behaviour


def billing_details(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    address = value.get("address") or {}
    return {
        "address": {k: address.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")},
        "email": value.get("email"),
        "name": value.get("name"),
        "phone": value.get("phone"),
        "tax_id": None,
    }


def save(ctx: Ctx, pm_type: str, details: dict[str, Any], p: dict[str, Any], behaviour: Behaviour | None = None,
         test_token: bool = False) -> dict[str, Any]:
    """A new PaymentMethod of `pm_type` with its own sub-object(s) `details` (`{"card": {...}}`);
    `behaviour` is what a test instrument does when charged (cards only); `test_token`: made from a
    `pm_card_*`/`tok_*` token, whose expiry follows the clock (card.renew_test_card)."""
    pm = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": p.get("allow_redisplay", "unspecified"),
        "billing_details": billing_details(p.get("billing_details")),
        "created": ctx.now,
        "customer": None,
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "type": pm_type,
        **details,
    }
    if behaviour is not None:
        pm["_behaviour"] = behaviour.encode()
    if test_token:
        pm["_test_token"] = True
    ctx.store.insert(pm, kind=pm_type)
    return pm


def attach(ctx: Ctx, pm: dict[str, Any], customer_id: str) -> dict[str, Any]:
    ctx.get(customer_id, "customer", "customer", param="customer")
    if pm.get("customer") and pm["customer"] != customer_id:
        raise invalid_request(
            f"The payment method you provided has already been attached to a customer ({pm['customer']}).",
            param="customer",
        )
    _verify_on_attach(pm)
    pm["customer"] = customer_id
    ctx.store.update(pm, customer=customer_id)
    ctx.emit("payment_method.attached", pm)
    return pm


def _verify_on_attach(pm: dict[str, Any]) -> None:
    """Attaching a card verifies it with the issuer: a card that declines every charge fails here,
    except the attach-then-fail card (pm_card_chargeCustomerFail), as on Stripe's testing page."""
    if pm.get("type") != "card" or "_behaviour" not in pm:
        return
    behaviour = Behaviour.decode(pm["_behaviour"])
    if behaviour.attach != "decline":
        return
    code, message, param = DECLINE_MESSAGES.get(behaviour.decline_code or "", DECLINE_MESSAGES["generic_decline"])
    raise StripeError(402, "card_error", message, code=code, param=param, decline_code=behaviour.decline_code)
