"""The PaymentIntent state machine's shared transitions: its states, its charges, capture and cancel.

Every payment method moves an intent through these (core/methods/ above them decides when); the
dispatch by method type (payment_intents.confirm, payment_methods.create) sits above both, so
nothing here knows any method by name.
"""

from __future__ import annotations

from typing import Any

from . import balance, disputes
from .context import Ctx
from .errors import invalid_request, unexpected_state
from .ids import new_id
from .instruments import Behaviour, charge_outcome
from .metadata import merge_metadata

OPEN_STATES = ("requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture")
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")

# A failure recorded on a charge: (code, message) or (code, message, decline_code).
Failure = tuple[str, ...]


def save(ctx: Ctx, pi: dict[str, Any]) -> None:
    ctx.store.update(pi, customer=pi["customer"], kind=pi["status"])


def behaviour_of(pm: dict[str, Any]) -> Behaviour:
    """What the PaymentMethod's test instrument does (Radar's verdict, disputes, funds): a card's
    from its test number (core/methods/card.py), every other method the default."""
    return Behaviour.decode(pm["_behaviour"]) if "_behaviour" in pm else Behaviour()


def new_charge(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], status: str, captured: bool,
               failure: Failure | None, details: dict[str, Any]) -> dict[str, Any]:
    """A charge for one attempt; `details` is its payment_method_details[type] (the method decides)."""
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
        "outcome": charge_outcome(behaviour_of(pm), paid, failure[2] if failure and len(failure) > 2 else None),
        "paid": paid,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": {"type": pm["type"], pm["type"]: details},
        "receipt_email": pi.get("receipt_email"),
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": pi.get("shipping"),
        "status": status,
    }
    if captured and paid:
        immediate = behaviour_of(pm).funds == "available"
        charge["balance_transaction"] = balance.for_charge(ctx, charge, charge["amount"], immediate)["id"]
    ctx.store.insert(charge, customer=pi["customer"], parent=pi["id"], kind=status)
    pi["latest_charge"] = charge["id"]
    return charge


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
    charge["balance_transaction"] = balance.for_charge(ctx, charge, amount, behaviour_of(pm).funds == "available")["id"]
    ctx.store.update(charge)
    for key in ("metadata", "description", "statement_descriptor"):
        if key in p:
            pi[key] = merge_metadata(pi["metadata"], p[key]) if key == "metadata" else p[key]
    pi["status"] = "succeeded"
    pi["amount_received"] = amount
    pi["amount_capturable"] = 0
    save(ctx, pi)
    ctx.emit("charge.captured", charge)
    ctx.emit("payment_intent.succeeded", pi)
    disputes.after_charge(ctx, charge, behaviour_of(pm))
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
    save(ctx, pi)
    ctx.emit("payment_intent.canceled", pi)
    return pi
