"""The hosted invoice page the payment-failed mail links to: the customer enters a new card, which
becomes their default (and the subscription's) and pays the open invoice at once."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..api.forms import text
from ..core import customers, payment_methods
from ..core.billing import invoices, subscriptions
from ..core.billing.clocked import clocked
from ..core.context import Ctx
from ..core.errors import StripeError
from ..core.tokens import same_secret
from ..mail import money
from .common import base_url, not_found, posted, render


def _invoice(request: Request) -> dict[str, Any] | None:
    inv = request.app.state.gateway.store.get(request.path_params["id"])
    if inv is None or inv.get("object") != "invoice" or not same_secret(request.path_params["token"], inv.get("_token")):
        return None
    return inv


def _update_and_pay(ctx: Ctx, inv: dict[str, Any], card: dict[str, Any]) -> None:
    ctx = clocked(ctx, inv["customer"])
    pm = payment_methods.create(ctx, {"type": "card", "card": card})
    payment_methods.attach(ctx, pm, inv["customer"])
    customers.update(ctx, ctx.get(inv["customer"], "customer"), {"invoice_settings": {"default_payment_method": pm["id"]}})
    sub = ctx.store.get(inv["_subscription"]) if inv.get("_subscription") else None
    if sub is not None and sub.get("default_payment_method") and sub["status"] not in subscriptions.ENDED:
        subscriptions.update(ctx, sub, {"default_payment_method": pm["id"]})
    invoices.pay(ctx, ctx.get(inv["id"], "invoice"), {"payment_method": pm["id"]})


async def page(request: Request) -> Response:
    inv = _invoice(request)
    if inv is None:
        return not_found("invoice")
    error = None
    form = await posted(request)
    if isinstance(form, Response):
        return form
    if request.method == "POST" and inv["status"] in invoices.OPEN:
        month, year = (text(form, "exp_month") or "").strip(), (text(form, "exp_year") or "").strip()
        card = None
        if not (month.isascii() and month.isdigit() and len(month) <= 2 and year.isascii() and year.isdigit() and len(year) <= 4):
            error = "Enter the expiry month and year as numbers."
        else:
            card = {"number": text(form, "number") or "", "exp_month": int(month), "exp_year": int(year),
                    "cvc": text(form, "cvc") or None}
        if card is not None:
            gateway = request.app.state.gateway
            store = gateway.store
            try:
                with store.transaction():
                    try:
                        _update_and_pay(Ctx(store, base_url(request), int(gateway.clock())), inv, card)
                    except StripeError as err:
                        if not err.commit:
                            raise
                        error = err.message  # the declined attempt stays recorded
            except StripeError as err:
                error = err.message
        inv = store.get(inv["id"]) if card is not None else inv
    amount = money(inv["amount_due"], inv["currency"])
    return render("invoice.html", 200 if error is None else 402, inv=inv, amount=amount, error=error,
                  payable=inv["status"] in invoices.OPEN)
