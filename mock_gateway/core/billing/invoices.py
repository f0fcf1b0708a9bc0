"""Invoices: draft -> open -> paid | uncollectible | void, each paid through one PaymentIntent.

A subscription's invoice is paid off session with the subscription's (else the customer's
default) payment method. A failed attempt schedules the next retry by the clock's dunning
settings (`settings.py`); once every retry failed, the subscription is canceled, left unpaid
or left past due. One PaymentIntent per invoice, reused by every attempt, and an attempt on a
paid invoice does nothing: an invoice is paid once or not at all.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson

from .. import clock, payment_intents, payment_methods
from ..context import Ctx, public
from ..currencies import minimum_amount
from ..errors import StripeError, card_error, invalid_request
from ..ids import new_id
from . import settings
from .clocked import clocked
from .dunning import RETRY_TASK, on_invoice_failed, on_invoice_paid, save_invoice

OPEN = ("open", "uncollectible")


def _pricing(price: Any) -> dict[str, Any] | None:
    """A line's `pricing` (2025-03-31.basil): the price by id, and its product."""
    if not price:
        return None
    price_id = price["id"] if isinstance(price, dict) else price
    product = price.get("product") if isinstance(price, dict) else None
    unit = price.get("unit_amount") if isinstance(price, dict) else None
    return {"type": "price_details", "price_details": {"price": price_id, "product": product},
            "unit_amount_decimal": None if unit is None else str(unit)}


def line_for_item(item: dict[str, Any], period: dict[str, int], sub_id: str) -> dict[str, Any]:
    price = item["price"]
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": price["unit_amount"] * item["quantity"],
        "currency": price["currency"],
        "description": f"{item['quantity']} × {price.get('nickname') or price['product']}",
        "discountable": True,
        "livemode": False,
        "metadata": {},
        "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                   "subscription_item_details": {"invoice_item": None, "proration": False,
                                                 "proration_details": {"credited_items": None},
                                                 "subscription": sub_id, "subscription_item": item["id"]}},
        "period": period,
        "pricing": _pricing(price),
        "quantity": item["quantity"],
    }


def line_for_invoiceitem(ii: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": ii["amount"],
        "currency": ii["currency"],
        "description": ii["description"],
        "discountable": False,
        "livemode": False,
        "metadata": {},
        "parent": {"type": "invoice_item_details", "subscription_item_details": None,
                   "invoice_item_details": {"invoice_item": ii["id"], "proration": ii["proration"],
                                            "proration_details": {"credited_items": None},
                                            "subscription": ii.get("subscription")}},
        "period": ii["period"],
        "pricing": _pricing(ii.get("price")),
        "quantity": ii.get("quantity", 1),
    }


def pending_items(ctx: Ctx, sub_id: str) -> list[dict[str, Any]]:
    rows = ctx.store.conn.execute(
        "SELECT data FROM objects WHERE parent = ? AND type = 'invoiceitem' AND kind = 'pending' ORDER BY seq", (sub_id,)
    ).fetchall()
    return [orjson.loads(r[0]) for r in rows]


def create(ctx: Ctx, sub: dict[str, Any], billing_reason: str, period: dict[str, int], *, with_items: bool = True,
           with_pending: bool = True) -> dict[str, Any]:
    """A draft invoice for the subscription's items (this period) and its pending invoice items."""
    lines = [line_for_item(item, period, sub["id"]) for item in sub["items"]["data"]] if with_items else []
    inv_id = new_id("in")
    for ii in pending_items(ctx, sub["id"]) if with_pending else []:
        lines.append(line_for_invoiceitem(ii))
        ii["invoice"] = inv_id
        ctx.store.update(ii, kind="invoiced")
    total = sum(line["amount"] for line in lines)
    customer = ctx.get(sub["customer"], "customer", param="customer")
    inv = {
        "id": inv_id,
        "object": "invoice",
        "account_country": "JP",
        "amount_due": total,
        "amount_paid": 0,
        "amount_remaining": total,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": ctx.now,
        "currency": sub["currency"],
        "customer": sub["customer"],
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "default_payment_method": sub.get("default_payment_method"),
        "description": None,
        "ending_balance": None,
        "hosted_invoice_url": None,
        "lines": {"object": "list", "data": lines, "has_more": False, "total_count": len(lines),
                  "url": f"/v1/invoices/{inv_id}/lines"},
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "parent": {"type": "subscription_details", "quote_details": None,
                   "subscription_details": {"metadata": sub.get("metadata") or {}, "subscription": sub["id"]}},
        "period_end": period["end"],
        "period_start": period["start"],
        "starting_balance": customer.get("balance", 0),
        "status": "draft",
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
        "subtotal": total,
        "test_clock": customer.get("test_clock"),  # the customer's clock (clock_of, without reading it again)
        "total": total,
        "webhooks_delivered_at": ctx.now,
        "_payment_intent": None,  # the newest shape shows it as an invoice payment (`payments`)
        "_subscription": sub["id"],  # the newest shape shows it under `parent`
        "_token": secrets.token_urlsafe(12),  # the hosted invoice page's link (mailed when a payment fails)
    }
    ctx.store.insert(inv, customer=sub["customer"], parent=sub["id"], kind="draft")
    ctx.emit("invoice.created", inv)
    return inv


def finalize(ctx: Ctx, inv: dict[str, Any], *, save: bool = True) -> dict[str, Any]:
    """draft -> open: numbered, the customer's balance applied; nothing to collect -> paid at once.

    `save=False`: the caller attempts the open invoice next, and `attempt` saves it (one write, not two)."""
    customer = ctx.get(inv["customer"], "customer", param="customer")
    balance = customer.get("balance", 0)
    due = inv["total"] + balance
    carried = 0 < due < minimum_amount(inv["currency"])  # too small to charge: carried to the next invoice
    new_balance = due if (due < 0 or carried) else 0
    customer["balance"] = new_balance
    inv["starting_balance"] = balance
    inv["ending_balance"] = new_balance
    inv["amount_due"] = inv["amount_remaining"] = max(0, due) if not carried else 0
    seq = customer.get("next_invoice_sequence", 1)
    customer["next_invoice_sequence"] = seq + 1
    ctx.store.update(customer)
    inv["number"] = f"{customer['invoice_prefix']}-{seq:04d}"
    inv["status"] = "open"
    inv["status_transitions"]["finalized_at"] = ctx.now
    inv["hosted_invoice_url"] = f"{ctx.base_url}/billing/invoices/{inv['id']}/{inv['_token']}"
    if save or inv["amount_due"] == 0:
        save_invoice(ctx, inv)
    ctx.emit("invoice.finalized", inv)
    if inv["amount_due"] == 0:
        _mark_paid(ctx, inv)
    return inv


def payment_method_for(ctx: Ctx, inv: dict[str, Any], sub: dict[str, Any] | None) -> str | None:
    if sub is not None and sub.get("default_payment_method"):
        return sub["default_payment_method"]
    customer = ctx.store.get(inv["customer"]) or {}
    return (customer.get("invoice_settings") or {}).get("default_payment_method")


def attempt(ctx: Ctx, inv: dict[str, Any], payment_method: str | None = None,
            sub: dict[str, Any] | None = None, automatic: bool = False) -> StripeError | None:
    """One payment attempt, off session. Returns None when paid, else the decline (already recorded).

    `automatic`: a renewal's or a scheduled retry's attempt; only these walk the retry schedule (a
    customer's own attempt that fails neither schedules nor uses up a retry).
    `sub`: the invoice's subscription as the caller holds it (saves a read per renewal)."""
    if inv["status"] not in OPEN:
        raise invalid_request(f"Invoice {inv['id']} is {inv['status']}; only an open or uncollectible invoice can be paid.",
                              param="invoice")
    if sub is None and inv.get("_subscription"):
        sub = ctx.store.get(inv["_subscription"])
    pm_id = payment_method or payment_method_for(ctx, inv, sub)
    inv["attempt_count"] += 1
    inv["attempted"] = True
    if automatic:
        inv["_automatic_attempts"] = inv.get("_automatic_attempts", 0) + 1
    failure: StripeError | None = None
    pi: dict[str, Any] | None = None
    payment: dict[str, Any] | None = None  # a new intent's invoice payment, stored once the attempt's outcome is known
    store = ctx.store
    point = store.undo_point("invoice_attempt")
    try:
        if not pm_id:
            raise invalid_request("The customer has no default payment method to pay this invoice with.",
                                  param="payment_method", code="invoice_no_payment_method_types")
        ctx.get(pm_id, "payment_method", "PaymentMethod", param="payment_method")  # it must still exist
        pi = store.get(inv["_payment_intent"]) if inv.get("_payment_intent") else None
        if pi is not None and pi["status"] == "succeeded":  # paid already: never twice
            store.keep("invoice_attempt", point)
            _mark_paid(ctx, inv, pi, sub)
            return None
        if pi is None:
            pi, payment = _new_intent(ctx, inv, pm_id)
        pi = payment_intents.confirm(ctx, pi, {"payment_method": pm_id, "off_session": True})
        if pi["status"] != "succeeded":
            raise invalid_request(f"The payment needs the customer ({pi['status']}).", param="payment_method",
                                  code="invoice_payment_intent_requires_action")
        if payment is not None:  # paid at the first try: the invoice payment is written once, paid
            _store_payment(ctx, inv, payment, pi)
    except StripeError as err:
        failure = err
        if not err.commit:  # nothing worth keeping from the attempt (no intent, no charge)
            store.undo("invoice_attempt", point)
        else:
            if payment is not None:
                _store_payment(ctx, inv, payment, None)
            store.keep("invoice_attempt", point)
    else:
        store.keep("invoice_attempt", point)
    if failure is None:
        _mark_paid(ctx, inv, pi, sub, payment_written=payment is not None)
        return None
    if automatic:
        _failed(ctx, inv, sub)
    else:
        save_invoice(ctx, inv)
        ctx.emit("invoice.payment_failed", inv)
    return failure


def _new_intent(ctx: Ctx, inv: dict[str, Any], pm_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The invoice's PaymentIntent, and its invoice payment, not stored yet (`_store_payment`)."""
    pi = payment_intents.create(ctx, {
        "amount": inv["amount_remaining"],
        "currency": inv["currency"],
        "customer": inv["customer"],
        "description": f"Invoice {inv['number']}",
        "payment_method": pm_id,
        "payment_method_types": ["card"],
        "metadata": {},
    })
    pi["_invoice"] = inv["id"]  # stored by the confirm that follows (shown as `invoice` before 2025-03-31.basil)
    inv["_payment_intent"] = pi["id"]  # and the invoice by `attempt`, whatever the confirm's outcome
    return pi, _new_payment(ctx, inv, pi, store=False)


def _store_payment(ctx: Ctx, inv: dict[str, Any], payment: dict[str, Any], pi: dict[str, Any] | None) -> None:
    """Write a new intent's invoice payment as the attempt left it: paid by `pi` (one row, and its event, instead of
    an open row rewritten as paid in the same attempt), else open."""
    if pi is not None:
        _paid_by(ctx, payment, pi)
    ctx.store.insert(payment, customer=inv["customer"], parent=inv["id"], kind=payment["status"])
    if pi is not None:
        ctx.emit("invoice_payment.paid", payment)


def _new_payment(ctx: Ctx, inv: dict[str, Any], pi: dict[str, Any], store: bool = True) -> dict[str, Any]:
    """The invoice payment (2025-03-31.basil) that ties the invoice to its PaymentIntent (`store=False`: the caller
    stores it)."""
    payment = {
        "id": new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": pi["amount"],
        "created": ctx.now,
        "currency": pi["currency"],
        "invoice": inv["id"],
        "is_default": not inv.get("_invoice_payment"),
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": pi["id"]},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    if inv.get("_invoice_payment"):  # an earlier attempt's intent was replaced: its payment is canceled
        earlier = ctx.store.get(inv["_invoice_payment"])
        if earlier is not None and earlier["status"] == "open":
            earlier["status"] = "canceled"
            earlier["status_transitions"]["canceled_at"] = ctx.now
            ctx.store.update(earlier, kind="canceled")
    if store:
        ctx.store.insert(payment, customer=inv["customer"], parent=inv["id"], kind="open")
    inv["_invoice_payment"] = payment["id"]
    return payment


def _payment_paid(ctx: Ctx, inv: dict[str, Any], pi: dict[str, Any]) -> None:
    payment = ctx.store.get(inv["_invoice_payment"]) if inv.get("_invoice_payment") else None
    if payment is None or payment["status"] == "paid":
        return
    _paid_by(ctx, payment, pi)
    ctx.store.update(payment, kind="paid")
    ctx.emit("invoice_payment.paid", payment)


def _paid_by(ctx: Ctx, payment: dict[str, Any], pi: dict[str, Any]) -> None:
    """An invoice payment as its PaymentIntent's success leaves it (the caller writes it and says so)."""
    payment.update(status="paid", amount_paid=pi["amount_received"])
    payment["status_transitions"]["paid_at"] = ctx.now


def open_intent(ctx: Ctx, inv: dict[str, Any], sub: dict[str, Any] | None) -> dict[str, Any]:
    """payment_behavior=default_incomplete: the invoice's PaymentIntent, created and left for the
    customer to confirm on session (with the default payment method set on it when there is one)."""
    pm_id = payment_method_for(ctx, inv, sub)
    pi = payment_intents.create(ctx, {
        "amount": inv["amount_remaining"], "currency": inv["currency"], "customer": inv["customer"],
        "description": f"Invoice {inv['number']}", "payment_method": pm_id, "payment_method_types": ["card"],
        "setup_future_usage": "off_session", "metadata": {},
    })
    pi["_invoice"] = inv["id"]  # shown as `invoice` before 2025-03-31.basil (api/versions.py)
    ctx.store.update(pi, customer=pi["customer"], kind=pi["status"])
    inv["_payment_intent"] = pi["id"]
    _new_payment(ctx, inv, pi)
    save_invoice(ctx, inv)
    return pi


def paid_by_intent(ctx: Ctx, pi: dict[str, Any]) -> None:
    """The invoice's PaymentIntent succeeded when confirmed by the customer (on session, e.g. the
    first invoice of a default_incomplete subscription, or after 3-D Secure): the invoice is paid."""
    if not pi.get("_invoice"):
        return
    inv = ctx.store.get(pi["_invoice"])
    if inv is None or inv.get("object") != "invoice" or inv["status"] not in OPEN or inv.get("_payment_intent") != pi["id"]:
        return
    inv["attempt_count"] += 1
    inv["attempted"] = True
    sub = ctx.store.get(inv["_subscription"]) if inv.get("_subscription") else None
    if sub is not None and (sub.get("payment_settings") or {}).get("save_default_payment_method") == "on_subscription":
        sub["default_payment_method"] = pi["payment_method"]  # renewals charge the card the customer confirmed
        ctx.store.update(sub)
    _mark_paid(clocked(ctx, inv["customer"]), inv, pi, sub)


def _mark_paid(ctx: Ctx, inv: dict[str, Any], pi: dict[str, Any] | None = None, sub: dict[str, Any] | None = None, *,
               payment_written: bool = False) -> None:
    """`payment_written`: the attempt has just written the invoice payment paid (no need to read it to see so)."""
    paid = pi["amount_received"] if pi else 0
    retry_pending = inv["next_payment_attempt"] is not None
    inv.update(status="paid", amount_paid=paid, amount_remaining=0, next_payment_attempt=None)
    if pi is not None and not payment_written:
        _payment_paid(ctx, inv, pi)
    inv["status_transitions"]["paid_at"] = ctx.now
    save_invoice(ctx, inv)
    if retry_pending:  # a retry is scheduled only with next_payment_attempt set (`_failed`)
        clock.unschedule(ctx, RETRY_TASK, inv["id"])
    ctx.emit("invoice.paid", inv)
    ctx.emit("invoice.payment_succeeded", inv)
    if inv.get("_subscription"):
        on_invoice_paid(ctx, inv, sub)


def _failed(ctx: Ctx, inv: dict[str, Any], sub: dict[str, Any] | None) -> None:
    """Record the failure, then the next retry or, when none is left, the policy's end."""
    policy = settings.get(ctx.store, inv.get("test_clock"))
    delays = policy["retry_days"]
    automatic = inv["billing_reason"] != "subscription_create" and inv["status"] == "open"
    done = inv.get("_automatic_attempts", inv["attempt_count"])
    retry_at = None
    if automatic and done <= len(delays):
        retry_at = ctx.now + int(delays[done - 1] * 86400)
        clock.schedule(ctx, RETRY_TASK, inv["id"], at=retry_at, clock=inv.get("test_clock"))
    inv["next_payment_attempt"] = retry_at
    save_invoice(ctx, inv)
    ctx.emit("invoice.payment_failed", inv)
    if sub is not None:
        on_invoice_failed(ctx, inv, sub, exhausted=automatic and retry_at is None, policy=policy)


def _retry(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    inv = ctx.store.get(ref)
    if inv is None or inv["status"] != "open":
        return
    sub = ctx.store.get(inv["_subscription"]) if inv.get("_subscription") else None
    if sub is not None and sub["status"] in ("canceled", "incomplete_expired"):
        return
    attempt(ctx, inv, sub=sub, automatic=True)


def pay(ctx: Ctx, inv: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/invoices/{id}/pay: attempt now; a decline answers 402 with the attempt recorded."""
    if inv["status"] == "paid":
        raise invalid_request("Invoice is already paid.", param="invoice")
    if p.get("paid_out_of_band"):
        inv["_paid_out_of_band"] = True
        _mark_paid(ctx, inv)
        return inv
    if p.get("payment_method"):
        pm = payment_methods.resolve(ctx, p["payment_method"])
        p = {**p, "payment_method": pm["id"]}
    failure = attempt(ctx, inv, p.get("payment_method"))
    if failure is not None:
        err = card_error(failure.message, failure.code or "card_declined", failure.decline_code, failure.param, None)
        err.extra["invoice"] = public(inv)
        raise err
    return inv


def void(ctx: Ctx, inv: dict[str, Any]) -> dict[str, Any]:
    if inv["status"] not in OPEN:
        raise invalid_request(f"You can only void an open or uncollectible invoice; this one is {inv['status']}.", param="invoice")
    if inv.get("_payment_intent"):
        pi = ctx.store.get(inv["_payment_intent"])
        if pi and pi["status"] in payment_intents.CANCELABLE:
            payment_intents.cancel(ctx, pi, {"cancellation_reason": "void_invoice"})
    inv.update(status="void", amount_remaining=0, next_payment_attempt=None)
    inv["status_transitions"]["voided_at"] = ctx.now
    save_invoice(ctx, inv)
    clock.unschedule(ctx, RETRY_TASK, inv["id"])
    ctx.emit("invoice.voided", inv)
    return inv


TASKS: dict[str, clock.Handler] = {RETRY_TASK: _retry}
