"""Disputes: the dispute cards of Stripe's testing page open one when their charge succeeds; the
merchant answers with evidence and wins or loses, as the testing page's evidence values decide.

    warning_needs_response (inquiry) -> warning_under_review -> warning_closed | needs_response
    needs_response -> under_review -> won | lost            close (accept): -> lost

`evidence[uncategorized_text]`: `winning_evidence` wins, `losing_evidence` loses,
`escalate_inquiry_evidence` turns an inquiry into a chargeback; anything else waits under review.
A chargeback withdraws the amount and the dispute fee (balance.for_dispute); winning returns both.
pm_card_createIssuerFraudRecord gives an early fraud warning (radar.early_fraud_warning) instead.
"""

from __future__ import annotations

from typing import Any

from . import balance
from .context import Ctx
from .errors import invalid_request
from .ids import new_id
from .instruments import Behaviour
from .metadata import merge_metadata

EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
    "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
    "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation",
    "duplicate_charge_id", "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address", "shipping_carrier",
    "shipping_date", "shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text",
)
RESPONDABLE = ("needs_response", "warning_needs_response")
EVIDENCE_DAYS = 7  # test-mode disputes are due within days; Stripe gives the real figure per network
_REASONS = {"fraudulent": "fraudulent", "product_not_received": "product_not_received", "inquiry": "general",
            "multiple": "fraudulent"}


def after_charge(ctx: Ctx, charge: dict[str, Any], behaviour: Behaviour) -> None:
    """Called when a charge succeeds (captured): a dispute card opens its dispute now."""
    kind = behaviour.dispute
    if not kind:
        return
    if kind == "early_fraud_warning":
        _early_fraud_warning(ctx, charge)
        return
    open_dispute(ctx, charge, kind)
    if kind == "multiple":
        open_dispute(ctx, charge, "product_not_received")


def open_dispute(ctx: Ctx, charge: dict[str, Any], kind: str) -> dict[str, Any]:
    inquiry = kind == "inquiry"
    now = balance.scope_of(ctx, charge.get("customer"))[1]
    dispute: dict[str, Any] = {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": charge["amount_captured"] or charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {name: None for name in EVIDENCE_FIELDS},
        "evidence_details": {"due_by": now + EVIDENCE_DAYS * 86400, "enhanced_eligibility": {}, "has_evidence": False,
                             "past_due": False, "submission_count": 0},
        "is_charge_refundable": inquiry,
        "livemode": False,
        "metadata": {},
        "network_reason_code": None,
        "payment_intent": charge.get("payment_intent"),
        "payment_method_details": {"card": {"brand": (charge["payment_method_details"].get("card") or {}).get("brand"),
                                            "case_type": "inquiry" if inquiry else "chargeback",
                                            "network_reason_code": None},
                                   "type": charge["payment_method_details"]["type"]},
        "reason": _REASONS.get(kind, "general"),
        "status": "warning_needs_response" if inquiry else "needs_response",
        "_customer": charge.get("customer"),
    }
    ctx.store.insert(dispute, parent=charge["id"], kind=dispute["status"])
    charge["disputed"] = True
    ctx.store.update(charge)
    ctx.emit("charge.dispute.created", dispute)
    if not inquiry:
        _withdraw(ctx, dispute, charge)
    return dispute


def _withdraw(ctx: Ctx, dispute: dict[str, Any], charge: dict[str, Any]) -> None:
    txn = balance.for_dispute(ctx, dispute, charge)
    dispute["balance_transactions"].append(_shown(ctx, txn))
    _save(ctx, dispute)
    ctx.emit("charge.dispute.funds_withdrawn", dispute)


def _save(ctx: Ctx, dispute: dict[str, Any]) -> None:
    ctx.store.update(dispute, kind=dispute["status"])


def _shown(ctx: Ctx, txn: dict[str, Any]) -> dict[str, Any]:
    """A balance transaction as embedded in the dispute: its status now, no internal fields."""
    return {k: v for k, v in balance.render(ctx, dict(txn)).items() if not k.startswith("_")}


def update(ctx: Ctx, dispute: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/disputes/{id}: save evidence and, with submit (the default), submit it."""
    if dispute["status"] not in RESPONDABLE and ("evidence" in p or p.get("submit")):
        raise invalid_request(f"This dispute is {dispute['status']}: evidence can no longer be changed.", param="evidence")
    previous: dict[str, Any] = {}
    if "metadata" in p:
        previous["metadata"] = dispute["metadata"]
        dispute["metadata"] = merge_metadata(dispute["metadata"], p["metadata"])
    if p.get("evidence"):
        previous["evidence"] = dict(dispute["evidence"])
        for name, value in p["evidence"].items():
            dispute["evidence"][name] = value
        dispute["evidence_details"]["has_evidence"] = True
    submit = p.get("submit", True) and "evidence" in p
    if submit:
        previous["status"] = dispute["status"]
        dispute["evidence_details"]["submission_count"] += 1
        dispute["status"] = "warning_under_review" if dispute["status"] == "warning_needs_response" else "under_review"
    _save(ctx, dispute)
    ctx.emit("charge.dispute.updated", dispute, previous or None)
    if submit:
        _decide(ctx, dispute, dispute["evidence"].get("uncategorized_text") or "")
    return ctx.get(dispute["id"], "dispute")


def _decide(ctx: Ctx, dispute: dict[str, Any], text: str) -> None:
    """The testing page's evidence values decide the outcome at once."""
    charge = ctx.get(dispute["charge"], "charge")
    inquiry = dispute["status"] == "warning_under_review"
    if "escalate_inquiry_evidence" in text and inquiry:
        dispute["status"] = "needs_response"
        dispute["is_charge_refundable"] = False
        dispute["payment_method_details"]["card"]["case_type"] = "chargeback"
        _save(ctx, dispute)
        ctx.emit("charge.dispute.updated", dispute, {"status": "warning_under_review"})
        _withdraw(ctx, dispute, charge)
        return
    if "winning_evidence" in text:
        _close(ctx, dispute, charge, "warning_closed" if inquiry else "won")
    elif "losing_evidence" in text:
        _close(ctx, dispute, charge, "lost")


def _close(ctx: Ctx, dispute: dict[str, Any], charge: dict[str, Any], status: str) -> None:
    previous = {"status": dispute["status"]}
    dispute["status"] = status
    if status == "won":
        txn = balance.for_dispute(ctx, dispute, charge, reinstated=True)
        dispute["balance_transactions"].append(_shown(ctx, txn))
    _save(ctx, dispute)
    ctx.emit("charge.dispute.closed", dispute, previous)
    if status == "won":
        ctx.emit("charge.dispute.funds_reinstated", dispute)


def close(ctx: Ctx, dispute: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/disputes/{id}/close: the merchant accepts the dispute (it is lost)."""
    if dispute["status"] not in RESPONDABLE:
        raise invalid_request(f"This dispute is already {dispute['status']}; only an open dispute can be closed.",
                              param="id")
    _close(ctx, dispute, ctx.get(dispute["charge"], "charge"), "lost")
    return ctx.get(dispute["id"], "dispute")


def _early_fraud_warning(ctx: Ctx, charge: dict[str, Any]) -> dict[str, Any]:
    warning = {
        "id": new_id("issfr"),
        "object": "radar.early_fraud_warning",
        "actionable": True,
        "charge": charge["id"],
        "created": balance.scope_of(ctx, charge.get("customer"))[1],
        "fraud_type": "made_with_stolen_card",
        "livemode": False,
        "payment_intent": charge.get("payment_intent"),
    }
    ctx.store.insert(warning, parent=charge["id"])
    ctx.emit("radar.early_fraud_warning.created", warning)
    return warning
