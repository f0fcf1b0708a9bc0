"""PayPal-style wallet: a redirect to an approval page on the gateway, then back to return_url.

On session, confirm -> requires_action with next_action.redirect_to_url (the gateway's approval
page at /paypal/{id}); the shopper approves (succeeded, or requires_capture with manual capture)
or cancels (requires_payment_method, payment_intent.payment_failed). With setup_future_usage and
a customer, approval saves the wallet on the customer; a returning shopper's saved wallet then
pays without any redirect, on or off session (the seeds' repeat-purchase story).
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from ..context import Ctx
from ..errors import invalid_request
from . import base, records


class PayPal(base.MethodType):
    name = "paypal"
    redirects = True

    def details(self, ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
        return {"country": None, "payer_email": None, "payer_id": None}

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        if pm.get("_reusable") and pm.get("customer") and pm["customer"] == pi.get("customer"):
            return base.succeed(ctx, pi, pm, _charge_details(pm))
        if p.get("off_session"):
            raise invalid_request(
                "This paypal PaymentMethod has not been approved for future payments by this customer, so it cannot be "
                "charged off_session: confirm on session with a return_url and setup_future_usage=off_session first.",
                param="payment_method",
                code="payment_method_unexpected_state",
            )
        return_url = p.get("return_url")
        if not return_url:
            raise invalid_request(
                "A return_url is required to confirm a paypal payment: the customer is redirected to PayPal to approve "
                "it and then back to return_url.",
                param="return_url",
            )
        pi["_return_url"] = return_url
        return base.require_action(ctx, pi, {
            "type": "redirect_to_url",
            "redirect_to_url": {
                "url": f"{ctx.base_url}/paypal/{pi['id']}?client_secret={pi['client_secret']}",
                "return_url": return_url,
            },
        })


PAYPAL = PayPal()


def _charge_details(pm: dict[str, Any]) -> dict[str, Any]:
    paypal = pm.get("paypal") or {}
    return {
        "country": paypal.get("country"),
        "payer_email": paypal.get("payer_email"),
        "payer_id": paypal.get("payer_id"),
        "payer_name": pm["billing_details"].get("name"),
        "seller_protection": {"dispute_categories": ["product_not_received", "fraudulent"], "status": "eligible"},
        "transaction_id": "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(17)),
    }


def approve(ctx: Ctx, pi: dict[str, Any], approved: bool) -> dict[str, Any]:
    """The shopper's answer on the approval page (or the test helper)."""
    if not approved:
        return base.fail(ctx, pi, "payment_intent_payment_attempt_failed", "The customer canceled the payment on PayPal.")
    pm = ctx.get(pi["payment_method"], "payment_method", "PaymentMethod")
    customer = ctx.store.get(pi["customer"]) if pi.get("customer") else None
    pm["paypal"] = {
        "country": ((pm["billing_details"].get("address") or {}).get("country")) or "JP",
        "payer_email": pm["billing_details"].get("email") or (customer or {}).get("email") or f"buyer-{pi['id'][-6:].lower()}@example.com",
        "payer_id": "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(13)),
    }
    if pi.get("setup_future_usage") and customer is not None:
        pm["_reusable"] = True
        ctx.store.update(pm)
        if pm.get("customer") != customer["id"]:
            pm = records.attach(ctx, pm, customer["id"])
    else:
        ctx.store.update(pm)
    return base.succeed(ctx, pi, pm, _charge_details(pm))
