"""Refunds: full or partial, never more than what was captured and not yet refunded."""

from __future__ import annotations

from typing import Any

from . import balance, clock
from .context import Ctx
from .currencies import format_amount
from .errors import invalid_request
from .ids import new_id
from .instruments import Behaviour
from .metadata import merge_metadata
from .payment_methods import behaviour_of


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("payment_intent"):
        pi = ctx.get(p["payment_intent"], "payment_intent", param="payment_intent")
        if pi["status"] != "succeeded" or not pi.get("latest_charge"):
            raise invalid_request(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund (status {pi['status']}).",
                param="payment_intent",
                code="charge_not_refundable" if pi["status"] != "requires_capture" else "charge_not_captured",
            )
        charge = ctx.get(pi["latest_charge"], "charge", param="payment_intent")
    elif p.get("charge"):
        charge = ctx.get(p["charge"], "charge", param="charge")
    else:
        raise invalid_request("One of charge or payment_intent is required to create a refund.", param="payment_intent", code="parameter_missing")
    if not charge["captured"]:
        raise invalid_request(f"Charge {charge['id']} has not been captured; cancel the PaymentIntent instead.", param="charge", code="charge_not_captured")
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid_request(f"Charge {charge['id']} has already been refunded.", param="charge", code="charge_already_refunded")
    amount = p.get("amount", remaining)
    if amount < 1:
        raise invalid_request(f"Invalid amount: a refund must be at least 1; found {amount}.", param="amount")
    if amount > remaining:
        raise invalid_request(
            f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than unrefunded amount on charge "
            f"({format_amount(remaining, charge['currency'])})",
            param="amount",
            code="amount_too_large",
        )
    behaviour = _card_behaviour(ctx, charge)
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": ctx.now,
        "currency": charge["currency"],
        "destination_details": {"type": charge["payment_method_details"]["type"]},
        "metadata": p.get("metadata") or {},
        "payment_intent": charge["payment_intent"],
        "reason": p.get("reason"),
        "receipt_number": None,
        "status": "pending" if behaviour.refund == "pending" else "succeeded",
    }
    refund["balance_transaction"] = balance.for_refund(ctx, refund, charge)["id"]
    ctx.store.insert(refund, parent=charge["payment_intent"], kind=charge["id"])
    if behaviour.refund in ("fail", "pending"):  # pm_card_refundFail / pm_card_pendingRefund: decided later
        scope, now = balance.scope_of(ctx, charge.get("customer"))
        clock.schedule(ctx, SETTLE_TASK, refund["id"], now + SETTLES_AFTER, None if scope == balance.ACCOUNT else scope,
                       {"outcome": behaviour.refund})
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    ctx.store.update(charge)
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge, {"amount_refunded": charge["amount_refunded"] - amount})
    return refund


SETTLE_TASK = "refund.settle"
SETTLES_AFTER = 60  # seconds (on the charge's clock) before a refund card's refund fails or succeeds


def _card_behaviour(ctx: Ctx, charge: dict[str, Any]) -> Behaviour:
    pm = ctx.store.get(charge["payment_method"]) if charge.get("payment_method") else None
    return behaviour_of(pm) if pm else Behaviour()


def _settle(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    """pm_card_pendingRefund's refund succeeds; pm_card_refundFail's fails and its money comes back."""
    refund = ctx.store.get(ref)
    if refund is None or refund["status"] not in ("pending", "succeeded"):
        return
    previous = {"status": refund["status"]}
    if data.get("outcome") == "pending":
        refund["status"] = "succeeded"
        ctx.store.update(refund)
        ctx.emit("refund.updated", refund, previous)
        ctx.emit("charge.refund.updated", refund, previous)
        return
    charge = ctx.get(refund["charge"], "charge")
    refund["status"] = "failed"
    refund["failure_reason"] = "expired_or_canceled_card"
    refund["failure_balance_transaction"] = balance.for_refund(ctx, refund, charge, failed=True)["id"]
    ctx.store.update(refund)
    charge["amount_refunded"] -= refund["amount"]
    charge["refunded"] = False
    ctx.store.update(charge)
    ctx.emit("refund.failed", refund, previous)
    ctx.emit("charge.refund.updated", refund, previous)


def update(ctx: Ctx, refund: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if "metadata" in p:
        refund["metadata"] = merge_metadata(refund["metadata"], p["metadata"])
    ctx.store.update(refund)
    ctx.emit("refund.updated", refund)
    return refund


TASKS: dict[str, clock.Handler] = {SETTLE_TASK: _settle}
