"""PaymentIntents: create, update and confirm one payment, dispatched to its payment method.

    requires_payment_method -> requires_confirmation -> (requires_action) -> processing
      -> requires_capture (manual capture) -> succeeded          and canceled from any open state

This is the dispatch layer: which method an intent is paid with (core/methods/, one module per
method, card among them) decides what confirm does; the transitions every method shares (charges,
capture, cancel) are core/intent_states.py. A decline returns the intent to
requires_payment_method with `last_payment_error`, a failed charge in the ledger, and the events a
merchant would receive.
"""

from __future__ import annotations

from typing import Any

from . import intent_states, methods, payment_methods
from .context import Ctx
from .currencies import MAXIMUM_AMOUNT, format_amount, minimum_amount
from .errors import invalid_request, unexpected_state
from .ids import new_id
from .intent_states import (
    CANCELABLE,
    CONFIRMABLE,
    OPEN_STATES,
    UPDATABLE,
    cancel,
    capture,
)
from .metadata import merge_metadata
from .methods.card import CARD

__all__ = ["CANCELABLE", "CONFIRMABLE", "OPEN_STATES", "UPDATABLE", "allow_frame", "cancel", "capture", "check_amount",
           "complete_authentication", "confirm", "create", "update"]


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
    pm = payment_methods.from_params(ctx, p)
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


_save = intent_states.save


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
    return methods.confirm(ctx, pi, pm, p)


def complete_authentication(ctx: Ctx, pi: dict[str, Any], success: bool) -> dict[str, Any]:
    """The shopper finished the 3-D Secure challenge (a card's: core/methods/card.py)."""
    return CARD.complete_authentication(ctx, pi, success)
