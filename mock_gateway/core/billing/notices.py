"""Notices before and after a renewal: the upcoming-renewal event (with a card-expiring warning
when the card will have expired by the renewal), and what mail each billing event calls for.

Events are always emitted (as Stripe does); whether mail goes out follows the clock's dunning
settings (`notices.upcoming_renewal`, `.payment_failed`, `.card_expiring`).
"""

from __future__ import annotations

import time
from typing import Any

from ...store.db import Store
from .. import clock
from ..context import Ctx, public
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


# -- mail -------------------------------------------------------------------------------------------


def _date(ts: int, locale: str) -> str:
    return time.strftime("%Y年%m月%d日" if locale == "ja" else "%Y-%m-%d", time.gmtime(ts + (9 * 3600 if locale == "ja" else 0)))


def mail_plan(store: Store, event: dict[str, Any]) -> tuple[str, str, str | None, str, dict[str, Any]] | None:
    """(kind, recipient, payment intent, locale, template values) for a billing event, or None."""
    from ...mail import locale_for, money

    obj = event["data"]["object"]
    etype = event["type"]
    kind = {"invoice.upcoming": "renewal_notice", "invoice.payment_failed": "payment_failed",
            "customer.source.expiring": "card_expiring"}.get(etype)
    if kind is None:
        return None
    customer = store.get(obj.get("customer") or "") or {}
    to = customer.get("email")
    if not to:
        return None
    notices = settings.get(store, customer.get("test_clock"))["notices"]
    if not notices[{"renewal_notice": "upcoming_renewal", "payment_failed": "payment_failed",
                    "card_expiring": "card_expiring"}[kind]]:
        return None
    if kind == "card_expiring":
        card = obj["card"]
        locale = locale_for(store, obj, customer["id"], customer.get("currency") or "jpy")
        return kind, to, None, locale, {"card": card, "customer": public(customer)}
    locale = locale_for(store, obj, customer["id"], obj["currency"])
    values = {"invoice": obj, "amount": money(obj["amount_due"], obj["currency"]), "customer": public(customer),
              "renews_on": _date(obj.get("period_start") or obj.get("next_payment_attempt") or 0, locale),
              "next_attempt": _date(obj["next_payment_attempt"], locale) if obj.get("next_payment_attempt") else None}
    if kind == "payment_failed" and obj.get("billing_reason") == "subscription_create":
        return None  # the customer is on the page when the first payment fails
    stored = store.get(obj["id"]) if obj.get("id") else None  # the invoice's intent is not in its public shape
    return kind, to, (stored or {}).get("_payment_intent"), locale, values


TASKS: dict[str, clock.Handler] = {UPCOMING_TASK: _upcoming}
