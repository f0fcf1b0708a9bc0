"""Notices before and after a renewal: the upcoming-renewal event (with a card-expiring warning
when the card will have expired by the renewal), and what mail each billing event calls for.

Events are always emitted (as Stripe does); whether mail goes out follows the clock's dunning
settings (`notices.upcoming_renewal`, `.payment_failed`, `.card_expiring`).
"""

from __future__ import annotations

from typing import Any

from .. import clock
from ..context import Ctx
from . import settings
from .periods import month_end

UPCOMING_TASK = "billing.upcoming"


def schedule_upcoming(ctx: Ctx, sub: dict[str, Any]) -> None:
    days = settings.get(ctx.store, sub["test_clock"])["upcoming_renewal_days"]
    at = sub["_current_period_end"] - days * 86400
    if at > ctx.now and not sub["cancel_at_period_end"]:
        clock.schedule(ctx, UPCOMING_TASK, sub["id"], at=at, clock=sub["test_clock"])


def unschedule_upcoming(ctx: Ctx, sub: dict[str, Any]) -> None:
    clock.unschedule(ctx, UPCOMING_TASK, sub["id"])


def _upcoming(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    sub = ctx.store.get(ref)
    if sub is None or sub["status"] not in ("active", "trialing", "past_due") or sub["cancel_at_period_end"]:
        return
    total = sum(i["price"]["unit_amount"] * i["quantity"] for i in sub["items"]["data"])
    preview = {
        "id": None,  # an upcoming invoice has no id until it is created
        "object": "invoice",
        "amount_due": total,
        "billing_reason": "upcoming",
        "currency": sub["currency"],
        "customer": sub["customer"],
        "next_payment_attempt": sub["_current_period_end"],
        "period_start": sub["_current_period_end"],
        "status": "draft",
        "parent": {"type": "subscription_details", "quote_details": None,
                   "subscription_details": {"metadata": sub.get("metadata") or {}, "subscription": sub["id"]}},
        "test_clock": sub["test_clock"],
        "total": total,
    }
    ctx.emit("invoice.upcoming", preview)
    customer = ctx.store.get(sub["customer"]) or {}
    pm_id = sub.get("default_payment_method") or (customer.get("invoice_settings") or {}).get("default_payment_method")
    pm = ctx.store.get(pm_id) if pm_id else None
    if pm and pm.get("card") and not pm.get("_expiring_notified"):
        if month_end(pm["card"]["exp_year"], pm["card"]["exp_month"]) < sub["_current_period_end"]:
            pm["_expiring_notified"] = True
            ctx.store.update(pm)
            ctx.emit("customer.source.expiring", pm)


TASKS: dict[str, clock.Handler] = {UPCOMING_TASK: _upcoming}
