"""Dunning: what an invoice's outcome does to its subscription.

A paid invoice makes its subscription active again once nothing is owed; a failed one makes it
past_due and, once every retry failed, ends it as the clock's settings say (invoice uncollectible,
subscription canceled or unpaid). Both invoices.py (which reports the outcome) and subscriptions.py
(which makes the invoices) import this module and it imports neither, so they hold no circle.
"""

from __future__ import annotations

from typing import Any

import orjson

from .. import clock
from ..context import Ctx
from ..errors import invalid_request
from . import notices

RETRY_TASK = "billing.invoice_retry"
RENEW_TASK = "billing.renew"
EXPIRE_TASK = "billing.incomplete_expire"
ENDED = ("canceled", "incomplete_expired")


def save_invoice(ctx: Ctx, inv: dict[str, Any]) -> None:
    ctx.store.update(inv, kind=inv["status"])


def save_subscription(ctx: Ctx, sub: dict[str, Any]) -> None:
    sync_periods(sub)
    ctx.store.update(sub, kind=sub["status"])


def sync_periods(sub: dict[str, Any]) -> None:
    """Every item shows the subscription's period (items share one interval here)."""
    for item in sub["items"]["data"]:
        item["current_period_start"] = sub["_current_period_start"]
        item["current_period_end"] = sub["_current_period_end"]


def open_invoices(ctx: Ctx, sub_id: str) -> list[dict[str, Any]]:
    rows = ctx.store.conn.execute(
        "SELECT data FROM objects WHERE parent = ? AND type = 'invoice' AND kind IN ('open', 'uncollectible') ORDER BY seq",
        (sub_id,),
    ).fetchall()
    return [orjson.loads(r[0]) for r in rows]


def mark_uncollectible(ctx: Ctx, inv: dict[str, Any]) -> dict[str, Any]:
    if inv["status"] != "open":
        raise invalid_request(f"You can only mark an open invoice uncollectible; this one is {inv['status']}.", param="invoice")
    inv.update(status="uncollectible", next_payment_attempt=None)
    inv["status_transitions"]["marked_uncollectible_at"] = ctx.now
    save_invoice(ctx, inv)
    clock.unschedule(ctx, RETRY_TASK, inv["id"])
    ctx.emit("invoice.marked_uncollectible", inv)
    return inv


def on_invoice_paid(ctx: Ctx, inv: dict[str, Any], sub: dict[str, Any] | None = None) -> None:
    if sub is None or sub["status"] not in ("active", "trialing"):  # a known active one needs no re-read
        sub = ctx.store.get(inv["_subscription"])
    if sub is None or sub["status"] in ENDED or sub["status"] in ("active", "trialing"):
        return
    if open_invoices(ctx, sub["id"]):
        return
    previous = {"status": sub["status"]}
    sub["status"] = "active"
    clock.unschedule(ctx, EXPIRE_TASK, sub["id"])
    save_subscription(ctx, sub)
    ctx.emit("customer.subscription.updated", sub, previous)


def on_invoice_failed(ctx: Ctx, inv: dict[str, Any], sub: dict[str, Any], *, exhausted: bool, policy: dict[str, Any]) -> None:
    sub = ctx.store.get(sub["id"]) or sub
    if sub["status"] in ENDED:
        return
    previous = {"status": sub["status"]}
    if sub["status"] in ("active", "trialing"):
        sub["status"] = "past_due"
    if exhausted:
        action = policy["after_retries"]
        if action in ("cancel", "unpaid"):
            mark_uncollectible(ctx, inv)
        if action == "cancel":
            end_subscription(ctx, sub, "payment_failed")
            return
        if action == "unpaid":
            sub["status"] = "unpaid"
    if sub["status"] != previous["status"]:
        save_subscription(ctx, sub)
        ctx.emit("customer.subscription.updated", sub, previous)


def end_subscription(ctx: Ctx, sub: dict[str, Any], reason: str) -> None:
    sub["status"] = "canceled"
    sub["canceled_at"] = sub["canceled_at"] or ctx.now
    sub["ended_at"] = ctx.now
    sub["cancellation_details"]["reason"] = reason
    save_subscription(ctx, sub)
    clock.unschedule(ctx, RENEW_TASK, sub["id"])
    clock.unschedule(ctx, EXPIRE_TASK, sub["id"])
    notices.unschedule_upcoming(ctx, sub)
    ctx.emit("customer.subscription.deleted", sub)
