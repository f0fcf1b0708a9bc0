"""Subscriptions: a customer's recurring items, renewed by the clock, and their status under dunning.

    incomplete -> active (first invoice paid) | incomplete_expired (unpaid after 23 h)
    trialing -> active (trial ends, the first real invoice is paid)
    active -> past_due (a renewal failed) -> active (paid) | canceled | unpaid (every retry failed)
    any -> canceled (now, or at the period end)

Renewal is the scheduled task `billing.renew` at `current_period_end`, on the customer's test
clock or real time, so advancing a clock a month runs every renewal due in that month in-process.
"""

from __future__ import annotations

from typing import Any

from .. import clock
from ..context import Ctx
from ..errors import StripeError, invalid_request
from ..ids import new_id
from ..metadata import merge_metadata
from . import invoices, notices
from .clocked import clock_of, clocked
from .dunning import ENDED, EXPIRE_TASK, RENEW_TASK, RETRY_TASK, end_subscription, open_invoices, save_subscription, sync_periods
from .periods import period_end

INCOMPLETE_FOR = 23 * 3600
PRORATIONS = ("create_prorations", "none", "always_invoice")


def _item(ctx: Ctx, spec: dict[str, Any], sub_id: str, i: int, currency: str | None, interval: tuple | None) -> dict[str, Any]:
    param = f"items[{i}][price]"
    if not spec.get("price"):
        raise invalid_request(f"Missing required param: {param}.", param=param, code="parameter_missing")
    price = ctx.get(spec["price"], "price", param=param)
    if price["type"] != "recurring":
        raise invalid_request("A subscription item needs a recurring price; this one is one_time.", param=param)
    if not price["active"]:
        raise invalid_request(f"The price {price['id']} is not active.", param=param)
    if currency and price["currency"] != currency:
        raise invalid_request(f"All items of a subscription must share one currency ({currency}); found {price['currency']}.", param=param)
    this = (price["recurring"]["interval"], price["recurring"]["interval_count"])
    if interval and this != interval:
        raise invalid_request(f"All items of a subscription must share one billing interval ({interval[1]} {interval[0]}); "
                              f"found {this[1]} {this[0]}.", param=param)
    return {"id": new_id("si", 14), "object": "subscription_item", "created": ctx.now, "metadata": spec.get("metadata") or {},
            "price": price, "quantity": spec.get("quantity", 1), "subscription": sub_id}


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    customer = ctx.get(p["customer"], "customer", param="customer")
    ctx = clocked(ctx, customer["id"])
    if not p.get("items"):
        raise invalid_request("Missing required param: items.", param="items", code="parameter_missing")
    sub_id = new_id("sub")
    items: list[dict[str, Any]] = []
    for i, spec in enumerate(p["items"]):
        first = items[0]["price"] if items else None
        items.append(_item(ctx, spec, sub_id, i, first and first["currency"],
                           first and (first["recurring"]["interval"], first["recurring"]["interval_count"])))
    if p.get("default_payment_method"):
        pm = ctx.get(p["default_payment_method"], "payment_method", "PaymentMethod", param="default_payment_method")
        if pm.get("customer") != customer["id"]:
            raise invalid_request("The default_payment_method must be attached to the subscription's customer.",
                                  param="default_payment_method")
    recurring = items[0]["price"]["recurring"]
    trial_days = p.get("trial_period_days") or 0
    start = ctx.now
    trial_end = start + trial_days * 86400 if trial_days else None
    anchor = trial_end or start
    sub = {
        "id": sub_id,
        "object": "subscription",
        "billing_cycle_anchor": anchor,
        "cancel_at": None,
        "cancel_at_period_end": bool(p.get("cancel_at_period_end")),
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": start,
        "currency": items[0]["price"]["currency"],
        "customer": customer["id"],
        "days_until_due": None,
        "default_payment_method": p.get("default_payment_method"),
        "description": p.get("description"),
        "ended_at": None,
        "items": {"object": "list", "data": items, "has_more": False, "total_count": len(items),
                  "url": f"/v1/subscription_items?subscription={sub_id}"},
        "latest_invoice": None,
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "pause_collection": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off", **(p.get("payment_settings") or {})},
        "quantity": items[0]["quantity"] if len(items) == 1 else None,
        "start_date": start,
        "status": "trialing" if trial_end else "incomplete",
        "test_clock": clock_of(ctx, customer["id"]),
        "trial_end": trial_end,
        "trial_start": start if trial_end else None,
        "_cycle": 0,  # periods since the anchor: the next period ends at period_end(anchor, ..., _cycle)
        # the period, shown on each item since 2025-03-31.basil (on the subscription before: api/versions.py)
        "_current_period_end": trial_end or period_end(anchor, recurring["interval"], recurring["interval_count"], 0),
        "_current_period_start": start,
    }
    sync_periods(sub)
    ctx.store.insert(sub, customer=customer["id"], kind=sub["status"])
    ctx.emit("customer.subscription.created", sub)
    inv = invoices.create(ctx, sub, "subscription_create", {"start": start, "end": sub["_current_period_end"]},
                          with_items=not trial_end)
    sub["latest_invoice"] = inv["id"]
    save_subscription(ctx, sub)
    invoices.finalize(ctx, inv, save=False)  # the attempt saves it (an open invoice is always attempted)
    sub = ctx.get(sub_id, "subscription")
    if inv["status"] == "open" and p.get("payment_behavior") == "default_incomplete":
        # the page confirms the first invoice's PaymentIntent (Stripe.js); paying it activates the subscription
        invoices.open_intent(ctx, inv, sub)
        clock.schedule(ctx, EXPIRE_TASK, sub_id, at=ctx.now + INCOMPLETE_FOR, clock=sub["test_clock"])
    elif inv["status"] == "open":
        failure = invoices.attempt(ctx, inv, automatic=True)
        sub = ctx.get(sub_id, "subscription")
        if failure is not None:
            if p.get("payment_behavior") == "error_if_incomplete":
                raise failure
            clock.schedule(ctx, EXPIRE_TASK, sub_id, at=ctx.now + INCOMPLETE_FOR, clock=sub["test_clock"])
    _schedule_next(ctx, sub)
    return sub


def _schedule_next(ctx: Ctx, sub: dict[str, Any]) -> None:
    if sub["status"] in ENDED:
        return
    clock.schedule(ctx, RENEW_TASK, sub["id"], at=sub["_current_period_end"], clock=sub["test_clock"])
    notices.schedule_upcoming(ctx, sub)


def _renew(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    """The period ended: cancel (at period end), or start the next period and bill it."""
    sub = ctx.store.get(ref)
    if sub is None or sub["status"] in ENDED or sub["status"] == "incomplete":
        return
    if sub["cancel_at_period_end"]:
        end_subscription(ctx, sub, sub["cancellation_details"]["reason"] or "cancellation_requested")
        return
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    previous = {"items": {**sub["items"], "data": [dict(i) for i in sub["items"]["data"]]}, "status": sub["status"]}
    sub["_current_period_start"] = sub["_current_period_end"]
    sub["_current_period_end"] = period_end(sub["billing_cycle_anchor"], recurring["interval"], recurring["interval_count"],
                                           sub["_cycle"] + 1 if sub["trial_end"] is None else sub["_cycle"])
    sub["_cycle"] += 1
    if sub["status"] == "trialing":
        sub["status"] = "active"
    inv = invoices.create(ctx, sub, "subscription_cycle", {"start": sub["_current_period_start"], "end": sub["_current_period_end"]})
    sub["latest_invoice"] = inv["id"]
    save_subscription(ctx, sub)
    ctx.emit("customer.subscription.updated", sub, previous)
    failure = None
    if sub["status"] != "unpaid":  # an unpaid subscription's invoices stay drafts, as Stripe leaves them
        invoices.finalize(ctx, inv, save=False)  # the attempt saves it (an open invoice is always attempted)
        if inv["status"] == "open":
            failure = invoices.attempt(ctx, inv, sub=sub, automatic=True)
    _schedule_next(ctx, ctx.get(ref, "subscription") if failure is not None else sub)  # a failure may have moved it


def _expire_incomplete(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    sub = ctx.store.get(ref)
    if sub is None or sub["status"] != "incomplete":
        return
    for inv in open_invoices(ctx, ref):
        invoices.void(ctx, inv)
    sub["status"] = "incomplete_expired"
    sub["ended_at"] = ctx.now
    save_subscription(ctx, sub)
    clock.unschedule(ctx, RENEW_TASK, ref)
    notices.unschedule_upcoming(ctx, sub)
    ctx.emit("customer.subscription.deleted", sub)


def update(ctx: Ctx, sub: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """Change items (price or quantity) with prorations, cancel at the period end, payment method, metadata."""
    ctx = clocked(ctx, sub["customer"])
    if sub["status"] in ENDED:
        raise invalid_request(f"A canceled subscription can only update its metadata; this one is {sub['status']}.",
                              param="status")
    previous: dict[str, Any] = {}
    if "cancel_at_period_end" in p:
        previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
        sub["cancel_at_period_end"] = p["cancel_at_period_end"]
        sub["cancel_at"] = sub["_current_period_end"] if p["cancel_at_period_end"] else None
        sub["canceled_at"] = ctx.now if p["cancel_at_period_end"] else None
        sub["cancellation_details"]["reason"] = "cancellation_requested" if p["cancel_at_period_end"] else None
    if "default_payment_method" in p:
        if p["default_payment_method"]:
            pm = ctx.get(p["default_payment_method"], "payment_method", "PaymentMethod", param="default_payment_method")
            if pm.get("customer") != sub["customer"]:
                raise invalid_request("The default_payment_method must be attached to the subscription's customer.",
                                      param="default_payment_method")
        previous["default_payment_method"] = sub["default_payment_method"]
        sub["default_payment_method"] = p["default_payment_method"]
    if "metadata" in p:
        previous["metadata"] = sub["metadata"]
        sub["metadata"] = merge_metadata(sub["metadata"], p["metadata"])
    if "description" in p:
        previous["description"] = sub["description"]
        sub["description"] = p["description"]
    proration_items: list[dict[str, Any]] = []
    if p.get("items"):
        previous["items"] = {"data": [dict(i) for i in sub["items"]["data"]]}
        proration_items = _change_items(ctx, sub, p["items"], p.get("proration_behavior", "create_prorations"))
    save_subscription(ctx, sub)
    ctx.emit("customer.subscription.updated", sub, previous)
    if p.get("proration_behavior") == "always_invoice" and proration_items:
        inv = invoices.create(ctx, sub, "subscription_update", {"start": ctx.now, "end": sub["_current_period_end"]},
                              with_items=False)
        sub["latest_invoice"] = inv["id"]
        save_subscription(ctx, sub)
        invoices.finalize(ctx, inv)
        if inv["status"] == "open":
            invoices.attempt(ctx, inv, automatic=True)
        sub = ctx.get(sub["id"], "subscription")
    return sub


def _change_items(ctx: Ctx, sub: dict[str, Any], specs: list[dict[str, Any]], proration: str) -> list[dict[str, Any]]:
    by_id = {item["id"]: item for item in sub["items"]["data"]}
    first = sub["items"]["data"][0]["price"]
    interval = (first["recurring"]["interval"], first["recurring"]["interval_count"])
    span = max(1, sub["_current_period_end"] - sub["_current_period_start"])
    fraction = max(0.0, min(1.0, (sub["_current_period_end"] - ctx.now) / span))
    created: list[dict[str, Any]] = []
    for i, spec in enumerate(specs):
        if spec.get("id"):
            item = by_id.get(spec["id"])
            if item is None:
                raise invalid_request(f"No such subscription item on {sub['id']}: '{spec['id']}'", param=f"items[{i}][id]")
            old_price, old_qty = item["price"], item["quantity"]
            if spec.get("deleted"):
                new_price, new_qty = old_price, 0
                sub["items"]["data"].remove(item)
            else:
                if spec.get("price"):
                    item["price"] = _item(ctx, spec, sub["id"], i, sub["currency"], interval)["price"]
                if "quantity" in spec:
                    item["quantity"] = spec["quantity"]
                new_price, new_qty = item["price"], item["quantity"]
        else:
            item = _item(ctx, spec, sub["id"], i, sub["currency"], interval)
            sub["items"]["data"].append(item)
            old_price, old_qty, new_price, new_qty = item["price"], 0, item["price"], item["quantity"]
        if proration == "none" or sub["status"] == "trialing":
            continue
        old_amount, new_amount = old_price["unit_amount"] * old_qty, new_price["unit_amount"] * new_qty
        if old_amount == new_amount:
            continue
        for amount, what, price, qty in ((-round(old_amount * fraction), "Unused time on", old_price, old_qty),
                                         (round(new_amount * fraction), "Remaining time on", new_price, new_qty)):
            if amount:
                created.append(_proration_item(ctx, sub, item, amount, f"{what} {qty} × {price.get('nickname') or price['product']}", price, qty))
    if not sub["items"]["data"]:
        raise invalid_request("A subscription needs at least one item.", param="items")
    sub["items"]["total_count"] = len(sub["items"]["data"])
    sub["quantity"] = sub["items"]["data"][0]["quantity"] if len(sub["items"]["data"]) == 1 else None
    return created


def _proration_item(ctx: Ctx, sub: dict[str, Any], item: dict[str, Any], amount: int, description: str,
                    price: dict[str, Any], quantity: int) -> dict[str, Any]:
    ii = {
        "id": new_id("ii"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": sub["currency"],
        "customer": sub["customer"],
        "date": ctx.now,
        "description": description,
        "discountable": False,
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "period": {"start": ctx.now, "end": sub["_current_period_end"]},
        "price": price,
        "proration": True,
        "quantity": quantity,
        "subscription": sub["id"],
        "subscription_item": item["id"],
        "test_clock": sub["test_clock"],
    }
    ctx.store.insert(ii, customer=sub["customer"], parent=sub["id"], kind="pending")
    ctx.emit("invoiceitem.created", ii)
    return ii


def cancel(ctx: Ctx, sub: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """DELETE /v1/subscriptions/{id}: ends now; open invoices stay open (as Stripe leaves them)."""
    if sub["status"] in ENDED:
        raise invalid_request(f"This subscription is already {sub['status']}.", param="subscription")
    ctx = clocked(ctx, sub["customer"])
    sub["canceled_at"] = ctx.now
    if p.get("cancellation_details"):
        sub["cancellation_details"].update(p["cancellation_details"])
    for inv in open_invoices(ctx, sub["id"]):
        clock.unschedule(ctx, RETRY_TASK, inv["id"])
    end_subscription(ctx, sub, "cancellation_requested")
    return sub


__all__ = ["create", "update", "cancel", "StripeError"]


TASKS: dict[str, clock.Handler] = {RENEW_TASK: _renew, EXPIRE_TASK: _expire_incomplete}
