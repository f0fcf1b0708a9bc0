"""Bulk test helpers for cohort simulations (harness extension): thousands of subscribers, card
behaviour changes, card updates and cancellations in one request each, done in-process.

Each item goes through the same domain calls as the single-object API (customers, payment
methods, subscriptions, invoices), so what a cohort does is what one merchant integration does.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import orjson

from .. import customers, payment_methods
from ..context import Ctx
from ..errors import StripeError, invalid_request
from ..instruments import DECLINE_MESSAGES, Behaviour
from . import invoices, subscriptions

DEFAULT_NUMBER = "4242424242424242"


def _each(items: list[dict[str, Any]], name: str, do: Callable[[dict[str, Any]], dict[str, Any]]) -> list[dict[str, Any]]:
    """Run `do` per item; a refused item names its index in `param` (the request is undone as a whole)."""
    out = []
    for i, item in enumerate(items):
        try:
            out.append(do(item))
        except StripeError as err:
            if err.commit:
                raise
            param = f"{name}[{i}]" + (f"[{err.param}]" if err.param and not err.param.startswith(name) else "")
            raise invalid_request(f"{name}[{i}]: {err.message}", param=param, code=err.code) from None
    return out


def _card(item: dict[str, Any]) -> dict[str, Any]:
    card = item.get("card") or {}
    return {"number": card.get("number") or DEFAULT_NUMBER, "exp_month": card.get("exp_month", 12),
            "exp_year": card.get("exp_year", 2099)}


def create_subscribers(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    price = ctx.get(p["price"], "price", param="price")
    clock_id = p.get("test_clock")
    if clock_id:
        clk = ctx.get(clock_id, "test_helpers.test_clock", "test clock", param="test_clock")
        ctx = dataclasses.replace(ctx, now=int(clk["frozen_time"]))

    def one(item: dict[str, Any]) -> dict[str, Any]:
        pm = payment_methods.create(ctx, {"type": "card", "card": _card(item)})
        cus = customers.create(ctx, {
            "email": item.get("email"), "name": item.get("name"), "metadata": item.get("metadata") or {},
            "preferred_locales": item.get("preferred_locales") or [], "test_clock": clock_id,
            "payment_method": pm["id"], "invoice_settings": {"default_payment_method": pm["id"]},
        })
        sub = subscriptions.create(ctx, {"customer": cus["id"], "items": [{"price": price["id"], "quantity": item.get("quantity", 1)}],
                                         "trial_period_days": p.get("trial_period_days")})
        return {"customer": cus["id"], "payment_method": pm["id"], "subscription": sub["id"], "status": sub["status"]}

    return {"object": "list", "data": _each(p["subscribers"], "subscribers", one), "has_more": False}


def set_card_behaviours(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    def one(item: dict[str, Any]) -> dict[str, Any]:
        pm = ctx.get(item["payment_method"], "payment_method", "PaymentMethod", param="payment_method")
        set_behaviour(ctx, pm, item)
        return {"payment_method": pm["id"], "behaviour": pm["_behaviour"]}

    return {"object": "list", "data": _each(p["cards"], "cards", one), "has_more": False}


def set_behaviour(ctx: Ctx, pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """What the card does from now on: succeed, or decline with a code (a card that starts declining)."""
    if pm["type"] != "card":
        raise invalid_request("Only a card has a test behaviour.", param="payment_method")
    outcome = p.get("outcome", "succeed")
    code = p.get("decline_code") or ("generic_decline" if outcome == "decline" else None)
    if outcome == "decline" and code not in DECLINE_MESSAGES:
        raise invalid_request(f"Invalid decline_code: one of {', '.join(DECLINE_MESSAGES)}.", param="decline_code")
    pm["_behaviour"] = Behaviour(outcome, code if outcome == "decline" else None).encode()
    ctx.store.update(pm)
    return pm


def update_cards(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """A new card becomes the customer's default; open invoices of live subscriptions are paid with it."""

    def one(item: dict[str, Any]) -> dict[str, Any]:
        cus = ctx.get(item["customer"], "customer", param="customer")
        from .clocked import clocked

        cctx = clocked(ctx, cus["id"])
        pm = payment_methods.create(cctx, {"type": "card", "card": _card(item)})
        payment_methods.attach(cctx, pm, cus["id"])
        customers.update(cctx, cus, {"invoice_settings": {"default_payment_method": pm["id"]}})
        paid, failed = [], []
        for (data,) in cctx.store.conn.execute(
            "SELECT data FROM objects WHERE customer = ? AND type = 'subscription' ORDER BY seq", (cus["id"],)
        ).fetchall():
            sub = orjson.loads(data)
            if sub["status"] in subscriptions.ENDED:
                continue
            if sub.get("default_payment_method"):
                subscriptions.update(cctx, sub, {"default_payment_method": pm["id"]})
            if item.get("pay_open_invoices", True):
                for inv in invoices.open_invoices(cctx, sub["id"]):
                    (paid if invoices.attempt(cctx, inv) is None else failed).append(inv["id"])
        return {"customer": cus["id"], "payment_method": pm["id"], "paid": paid, "failed": failed}

    return {"object": "list", "data": _each(p["updates"], "updates", one), "has_more": False}


def cancel_subscriptions(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    def one(item: dict[str, Any]) -> dict[str, Any]:
        sub = subscriptions.cancel_for(ctx, item["subscription"], item.get("at_period_end", True))
        return {"subscription": sub["id"], "status": sub["status"], "cancel_at_period_end": sub["cancel_at_period_end"]}

    return {"object": "list", "data": _each(p["cancellations"], "cancellations", one), "has_more": False}
