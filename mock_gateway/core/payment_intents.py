"""PaymentIntents: the state machine of one payment, and the charges its attempts create.

    requires_payment_method -> requires_confirmation -> (requires_action) -> processing
      -> requires_capture (manual capture) -> succeeded          and canceled from any open state

A decline returns the intent to requires_payment_method with `last_payment_error`, a failed
charge in the ledger, and the events a merchant would receive.
"""

from __future__ import annotations

import time
from typing import Any

from . import balance, disputes, payment_methods
from .context import Ctx, public
from .currencies import MAXIMUM_AMOUNT, format_amount, minimum_amount
from .errors import StripeError, card_error, invalid_request, unexpected_state
from .ids import new_id
from .instruments import DECLINE_MESSAGES, Behaviour, charge_outcome
from .metadata import merge_metadata

OPEN_STATES = ("requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture")
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    low = minimum_amount(currency)
    if amount < low:
        raise invalid_request(
            f"Amount must be at least {format_amount(low, currency)}; found {amount} (amounts are in the "
            f"currency's smallest unit{', and jpy has none: 1000 means 1,000 yen' if currency == 'jpy' else ''}).",
            param=param,
            code="amount_too_small",
        )
    if amount > MAXIMUM_AMOUNT:
        raise invalid_request(f"Amount must be no more than {MAXIMUM_AMOUNT}.", param=param, code="amount_too_large")


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    check_amount(p["amount"], p["currency"])
    if p.get("customer"):
        ctx.get(p["customer"], "customer", "customer", param="customer")
    if p.get("return_url") and not p.get("confirm"):
        raise invalid_request("return_url can only be passed when confirm=true.", param="return_url")
    pi_id = new_id("pi")
    from . import methods

    types = methods.intent_types(p)
    pi: dict[str, Any] = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": p["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": p.get("automatic_payment_methods"),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": p.get("capture_method") or "automatic",
        "client_secret": f"{pi_id}_secret_{new_id('s')[2:]}",
        "confirmation_method": p.get("confirmation_method") or "automatic",
        "created": ctx.now,
        "currency": p["currency"],
        "customer": p.get("customer"),
        "description": p.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": p.get("payment_method_options") or {},
        "payment_method_types": types,
        "processing": None,
        "receipt_email": p.get("receipt_email"),
        "review": None,
        "setup_future_usage": p.get("setup_future_usage"),
        "shipping": p.get("shipping"),
        "statement_descriptor": p.get("statement_descriptor"),
        "statement_descriptor_suffix": p.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    _set_payment_method(ctx, pi, p)
    ctx.store.insert(pi, customer=pi["customer"], kind=pi["status"])
    ctx.emit("payment_intent.created", pi)
    if p.get("confirm"):
        return confirm(ctx, pi, {k: v for k, v in p.items() if k in ("return_url", "off_session", "error_on_requires_action")})
    return pi


def _set_payment_method(ctx: Ctx, pi: dict[str, Any], p: dict[str, Any]) -> None:
    pm = None
    if p.get("payment_method_data"):
        pm = payment_methods.create(ctx, p["payment_method_data"])
    elif p.get("payment_method"):
        pm = payment_methods.resolve(ctx, p["payment_method"])
    if pm is None:
        return
    if pm["type"] not in pi["payment_method_types"]:
        raise invalid_request(
            f"The PaymentMethod provided ({pm['type']}) is not allowed for this PaymentIntent; allowed types: "
            f"{', '.join(pi['payment_method_types'])}. Add it to payment_method_types.",
            param="payment_method",
        )
    pi["payment_method"] = pm["id"]
    pi["_payment_method_type"] = pm["type"]  # for lists and the ledger export filtered by method
    if pi["status"] == "requires_payment_method":
        pi["status"] = "requires_confirmation"


def allow_frame(ctx: Ctx, pi: dict[str, Any], origin: str) -> None:
    """A page of `origin` holds this intent's client_secret and is about to show its 3-D Secure
    challenge in a frame (Stripe.js handleNextAction after a server-side confirm): let it, once."""
    if pi["status"] == "requires_action" and not pi.get("_frame_origin"):
        pi["_frame_origin"] = origin
        _save(ctx, pi)


def _save(ctx: Ctx, pi: dict[str, Any]) -> None:
    ctx.store.update(pi, customer=pi["customer"], kind=pi["status"])


def update(ctx: Ctx, pi: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    only_metadata = set(p) <= {"metadata", "description", "receipt_email", "shipping", "expand"}
    if pi["status"] not in UPDATABLE and not only_metadata:
        raise unexpected_state(
            f"This PaymentIntent's {', '.join(sorted(set(p) - {'expand'}))} could not be updated because it has a "
            f"status of {pi['status']}. You may only update these when the status is one of "
            f"{', '.join(UPDATABLE)}.",
            pi,
        )
    previous: dict[str, Any] = {}
    for key in ("amount", "currency", "customer", "description", "receipt_email", "setup_future_usage", "shipping",
                "statement_descriptor", "capture_method", "payment_method_types", "payment_method_options"):
        if key in p:
            previous[key] = pi.get(key)
            pi[key] = p[key]
    check_amount(pi["amount"], pi["currency"])
    if "customer" in p and p["customer"]:
        ctx.get(p["customer"], "customer", "customer", param="customer")
    if "metadata" in p:
        previous["metadata"] = pi["metadata"]
        pi["metadata"] = merge_metadata(pi["metadata"], p["metadata"])
    if "payment_method" in p or "payment_method_data" in p:
        previous["payment_method"] = pi["payment_method"]
        if pi["status"] == "requires_action":
            pi["status"], pi["next_action"] = "requires_payment_method", None
        _set_payment_method(ctx, pi, p)
    _save(ctx, pi)
    ctx.emit("payment_intent.updated", pi, previous) if previous else None
    return pi


def confirm(ctx: Ctx, pi: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if pi["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. "
            f"A PaymentIntent can be confirmed when its status is one of {', '.join(CONFIRMABLE)}.",
            pi,
        )
    for key in ("receipt_email", "setup_future_usage", "shipping", "capture_method", "payment_method_options"):
        if key in p:
            pi[key] = p[key]
    if "payment_method" in p or "payment_method_data" in p:
        pi["status"] = "requires_payment_method"
        _set_payment_method(ctx, pi, p)
    if not pi["payment_method"]:
        raise invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent "
            "with a payment method and then confirm it again, or confirm it again with payment_method.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    pm = ctx.get(pi["payment_method"], "payment_method", "PaymentMethod", param="payment_method")
    pi["last_payment_error"] = None
    pi["next_action"] = None
    if pm["type"] != "card":
        from . import methods

        return methods.confirm(ctx, pi, pm, p)
    behaviour = payment_methods.behaviour_of(pm)
    payment_methods.renew_test_card(ctx, pm, ctx.now)  # a pm_card_* card never expires before the clock's time
    today = time.gmtime(ctx.now)  # a saved card whose expiry passed (by a test clock's time) is declined
    if (pm["card"]["exp_year"], pm["card"]["exp_month"]) < (today.tm_year, today.tm_mon):
        return _decline(ctx, pi, pm, "expired_card")
    challenge = three_d_secure_step(pi, pm, behaviour, p)
    if challenge == "challenge" and not p.get("_authenticated"):
        if p.get("off_session") or p.get("error_on_requires_action"):
            return _decline(ctx, pi, pm, "authentication_required")
        return _require_action(ctx, pi, p.get("return_url"))
    if challenge == "frictionless":
        pi["_authenticated"] = "frictionless"
    if behaviour.outcome == "three_ds" and (p.get("_authenticated") or challenge != "challenge"):
        behaviour = Behaviour("decline", behaviour.after_3ds) if behaviour.after_3ds != "succeed" else Behaviour()
    if behaviour.outcome == "decline":
        return _decline(ctx, pi, pm, behaviour.decline_code or "generic_decline")
    if pi.get("setup_future_usage") or p.get("setup_future_usage"):
        if pi.get("customer") and not pm.get("customer"):  # saved for later: attached to the customer
            payment_methods.attach(ctx, pm, pi["customer"])
        if "off_session" in (pi.get("setup_future_usage"), p.get("setup_future_usage")):
            payment_methods.mark_set_up(ctx, pm)
    pi = _authorise(ctx, pi, pm)
    if pi.get("invoice") and not p.get("off_session") and pi["status"] == "succeeded":
        from .billing import invoices  # the customer paid an invoice's intent on session

        invoices.paid_by_intent(ctx, pi)
    return pi


def three_d_secure_step(pi: dict[str, Any], pm: dict[str, Any], behaviour: Behaviour, p: dict[str, Any]) -> str | None:
    """What 3-D Secure asks of this attempt: "challenge", "frictionless" or None (no authentication).

    Required cards always challenge; the card that asks only until it is set up for off-session use
    (on_setup) passes off-session once a SetupIntent or a payment with setup_future_usage saved it;
    optional cards authenticate when the merchant asks (`request_three_d_secure`: any -> frictionless,
    challenge -> a challenge); unenrolled and not-supported cards never do."""
    asked = (pi.get("payment_method_options") or {}).get("card") or {}
    asked = asked.get("request_three_d_secure") if isinstance(asked, dict) else None
    mode = behaviour.three_ds
    if behaviour.outcome == "three_ds":
        if mode == "set_up" and p.get("off_session"):
            return None
        if mode == "on_setup" and p.get("off_session") and pm.get("_set_up_off_session"):
            return None
        return "challenge"
    if mode == "optional" and asked in ("any", "challenge"):
        return "challenge" if asked == "challenge" else "frictionless"
    return None


def _require_action(ctx: Ctx, pi: dict[str, Any], return_url: str | None) -> dict[str, Any]:
    pi["status"] = "requires_action"
    pi["next_action"] = {
        "type": "redirect_to_url",
        "redirect_to_url": {
            "url": f"{ctx.base_url}/3ds/{pi['id']}?client_secret={pi['client_secret']}",
            "return_url": return_url,
        },
    }
    pi["_return_url"] = return_url
    if ctx.browser_origin:
        pi["_frame_origin"] = ctx.browser_origin  # Stripe.js shows the challenge in a frame of this page
    _save(ctx, pi)
    ctx.emit("payment_intent.requires_action", pi)
    return pi


def _new_charge(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], status: str, captured: bool, failure: tuple[str, str] | None) -> dict[str, Any]:
    details: dict[str, Any] = {"type": pm["type"]}
    if pm["type"] == "card":
        card = pm["card"]
        details["card"] = {
            "brand": card["brand"],
            "checks": card["checks"],
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "last4": card["last4"],
            "network": card["brand"],
            "three_d_secure": {
                "authentication_flow": "frictionless" if pi["_authenticated"] == "frictionless" else "challenge",
                "result": "authenticated", "result_reason": None, "version": "2.2.0",
            } if pi.get("_authenticated") else None,
        }
    else:
        details[pm["type"]] = pm.get(pm["type"]) or {}
    paid = status == "succeeded"
    charge = {
        "id": new_id("ch"),
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"] if captured and paid else 0,
        "amount_refunded": 0,
        "balance_transaction": None,  # set below when the money is captured (core/balance.py)
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": pi.get("statement_descriptor") or "CHECKOUT HARNESS",
        "captured": captured and paid,
        "created": ctx.now,
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_code": failure[0] if failure else None,
        "failure_message": failure[1] if failure else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": pi["metadata"],
        "outcome": charge_outcome(payment_methods.behaviour_of(pm), paid, failure[2] if failure and len(failure) > 2 else None),
        "paid": paid,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": details,
        "receipt_email": pi.get("receipt_email"),
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": pi.get("shipping"),
        "status": status,
    }
    if captured and paid:
        immediate = payment_methods.behaviour_of(pm).funds == "available"
        charge["balance_transaction"] = balance.for_charge(ctx, charge, charge["amount"], immediate)["id"]
    ctx.store.insert(charge, customer=pi["customer"], parent=pi["id"], kind=status)
    pi["latest_charge"] = charge["id"]
    return charge


def _decline(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], decline_code: str) -> dict[str, Any]:
    if decline_code == "authentication_required":
        code, message, param = "authentication_required", "Your card was declined. This transaction requires authentication.", None
    else:
        code, message, param = DECLINE_MESSAGES.get(decline_code, DECLINE_MESSAGES["generic_decline"])
    charge = _new_charge(ctx, pi, pm, "failed", False, (code, message, decline_code))
    pi["status"] = "requires_payment_method"
    pi["last_payment_error"] = {
        "charge": charge["id"],
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "param": param,
        "payment_method": public(pm),
        "type": "card_error",
    }
    _save(ctx, pi)
    ctx.emit("charge.failed", charge)
    ctx.emit("payment_intent.payment_failed", pi)
    raise card_error(message, code, decline_code, param, public(pi))


def _authorise(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
    manual = pi["capture_method"] == "manual"
    charge = _new_charge(ctx, pi, pm, "succeeded", not manual, None)
    if manual:
        from . import authorizations

        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        authorizations.hold(ctx, pi, charge)  # expires uncaptured after 7 days (by clock)
    else:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
    _save(ctx, pi)
    ctx.emit("charge.succeeded", charge)
    ctx.emit("payment_intent.amount_capturable_updated" if manual else "payment_intent.succeeded", pi)
    if not manual:
        disputes.after_charge(ctx, charge, payment_methods.behaviour_of(pm))  # the dispute cards open one now
    return pi


def succeed_async(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], amount: int | None = None) -> dict[str, Any]:
    """For methods that settle later (konbini, bank transfer, wallets): the money arrived."""
    pi["next_action"] = None
    return _authorise(ctx, pi, pm)


def complete_authentication(ctx: Ctx, pi: dict[str, Any], success: bool) -> dict[str, Any]:
    """The shopper finished the 3-D Secure challenge: charge, or fail with authentication failure."""
    if pi["status"] != "requires_action":
        raise unexpected_state(f"This PaymentIntent is not awaiting authentication (status {pi['status']}).", pi)
    pm = ctx.get(pi["payment_method"], "payment_method", "PaymentMethod", param="payment_method")
    if not success:
        pi["status"] = "requires_payment_method"
        pi["next_action"] = None
        pi["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            "message": "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
            "payment_method": public(pm),
            "type": "invalid_request_error",
        }
        _save(ctx, pi)
        ctx.emit("payment_intent.payment_failed", pi)
        return pi
    pi["_authenticated"] = True
    try:
        return confirm(ctx, pi, {"_authenticated": True})
    except StripeError as err:
        if err.commit:  # declined after authentication: recorded on the intent
            return ctx.get(pi["id"], "payment_intent")
        raise


def capture(ctx: Ctx, pi: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if pi["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. "
            "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
            pi,
        )
    amount = p.get("amount_to_capture", pi["amount_capturable"])
    if amount > pi["amount_capturable"] or amount < 1:
        raise invalid_request(
            f"The amount to capture must be between 1 and the capturable amount ({pi['amount_capturable']}); found {amount}.",
            param="amount_to_capture",
            code="amount_too_large",
        )
    charge = ctx.get(pi["latest_charge"], "charge")
    charge["captured"] = True
    charge["amount_captured"] = amount
    pm = ctx.store.get(charge["payment_method"]) or {}
    charge["balance_transaction"] = balance.for_charge(ctx, charge, amount,
                                                       payment_methods.behaviour_of(pm).funds == "available")["id"]
    ctx.store.update(charge)
    for key in ("metadata", "description", "statement_descriptor"):
        if key in p:
            pi[key] = merge_metadata(pi["metadata"], p[key]) if key == "metadata" else p[key]
    pi["status"] = "succeeded"
    pi["amount_received"] = amount
    pi["amount_capturable"] = 0
    _save(ctx, pi)
    ctx.emit("charge.captured", charge)
    ctx.emit("payment_intent.succeeded", pi)
    disputes.after_charge(ctx, charge, payment_methods.behaviour_of(pm))
    return pi


def cancel(ctx: Ctx, pi: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if pi["status"] not in CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a PaymentIntent "
            f"with one of the following statuses may be canceled: {', '.join(CANCELABLE)}.",
            pi,
        )
    if pi["status"] == "requires_capture" and pi.get("latest_charge"):
        charge = ctx.get(pi["latest_charge"], "charge")
        charge["amount_refunded"] = charge["amount"]
        charge["refunded"] = True
        ctx.store.update(charge)
        ctx.emit("charge.expired" if p.get("_expired") else "charge.refunded", charge)
    pi["status"] = "canceled"
    pi["canceled_at"] = ctx.now
    pi["cancellation_reason"] = p.get("cancellation_reason") or ("automatic" if p.get("_expired") else None)
    pi["amount_capturable"] = 0
    pi["next_action"] = None
    _save(ctx, pi)
    ctx.emit("payment_intent.canceled", pi)
    return pi
