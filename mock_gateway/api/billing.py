"""/v1/products, /v1/prices, /v1/subscriptions, /v1/invoices: Stripe Billing's core resources."""

from __future__ import annotations

from typing import Any

from ..core.billing import dunning, invoices, prices, products, subscriptions
from ..core.billing.clocked import clocked
from ..core.billing.periods import INTERVALS
from ..core.context import Ctx
from .params import Boolean, Currency, Enum, Integer, ListOf, Metadata, Obj, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_PRODUCT = {"name": String(250), "description": String(), "active": Boolean(), "metadata": Metadata(),
            "statement_descriptor": String(22), "unit_label": String(12)}


@route("POST", "/v1/products", {**_PRODUCT, "name": String(250).req(), "id": String(100)})
def create_product(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return products.create(ctx, p)


@route("GET", "/v1/products/{id}")
def retrieve_product(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "product")


@route("POST", "/v1/products/{id}", {**_PRODUCT, "default_price": String()})
def update_product(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return products.update(ctx, ctx.get(id, "product"), p)


@route("GET", "/v1/products", {"active": Boolean()}, listing=True)
def list_products(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "product", "/v1/products", p, active=p.get("active"))


_RECURRING = Obj(interval=Enum(*INTERVALS).req(), interval_count=Integer(min=1, max=1095), usage_type=Enum("licensed"))


@route("POST", "/v1/prices", {
    "currency": Currency().req(), "unit_amount": Integer(min=0, max=99_999_999).req(), "product": String(),
    "product_data": Obj(name=String(250).req(), metadata=Metadata(), statement_descriptor=String(22), unit_label=String(12),
                        active=Boolean()),
    "recurring": _RECURRING, "nickname": String(), "lookup_key": String(200), "active": Boolean(), "metadata": Metadata(),
})
def create_price(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return prices.create(ctx, p)


@route("GET", "/v1/prices/{id}")
def retrieve_price(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "price")


@route("POST", "/v1/prices/{id}", {"active": Boolean(), "nickname": String(), "lookup_key": String(200), "metadata": Metadata()})
def update_price(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return prices.update(ctx, ctx.get(id, "price"), p)


@route("GET", "/v1/prices", {"product": String(), "active": Boolean(), "type": Enum("one_time", "recurring")}, listing=True)
def list_prices(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "price", "/v1/prices", p, parent=p.get("product"), active=p.get("active"), type=p.get("type"))


_ITEM = Obj(id=String(), price=String(), quantity=Integer(min=0, max=1_000_000), deleted=Boolean(), metadata=Metadata())
_SUBSCRIPTION = {
    "items": ListOf(_ITEM, max=20),
    "default_payment_method": String(),
    "cancel_at_period_end": Boolean(),
    "description": String(500),
    "metadata": Metadata(),
    "off_session": Boolean(),
    "proration_behavior": Enum(*subscriptions.PRORATIONS),
    "payment_behavior": Enum("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"),
    "collection_method": Enum("charge_automatically"),
    "payment_settings": Obj(save_default_payment_method=Enum("off", "on_subscription"),
                            payment_method_types=ListOf(Enum("card"))),
}


@route("POST", "/v1/subscriptions", {**_SUBSCRIPTION, "customer": String().req(), "trial_period_days": Integer(min=0, max=730)})
def create_subscription(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return subscriptions.create(ctx, p)


@route("GET", "/v1/subscriptions/{id}")
def retrieve_subscription(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "subscription")


@route("POST", "/v1/subscriptions/{id}", _SUBSCRIPTION)
def update_subscription(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return subscriptions.update(ctx, ctx.get(id, "subscription"), p)


@route("DELETE", "/v1/subscriptions/{id}", {"invoice_now": Boolean(), "prorate": Boolean(),
                                            "cancellation_details": Obj(comment=String(), feedback=String())})
def cancel_subscription(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return subscriptions.cancel(ctx, ctx.get(id, "subscription"), p)


_SUB_STATUSES = ("incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled")


@route("GET", "/v1/subscriptions", {"customer": String(), "status": Enum(*_SUB_STATUSES, "all"), "price": String(),
                                    "test_clock": String()}, listing=True)
def list_subscriptions(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    status = p.get("status")
    kind = None if status == "all" else (status or [s for s in _SUB_STATUSES if s != "canceled"])
    return page(ctx, "subscription", "/v1/subscriptions", p, customer=p.get("customer"), kind=kind,
                test_clock=p.get("test_clock"))


@route("GET", "/v1/invoices/{id}")
def retrieve_invoice(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "invoice")


@route("POST", "/v1/invoices/{id}/pay", {"payment_method": String(), "off_session": Boolean(), "paid_out_of_band": Boolean(),
                                         "forgive": Boolean()})
def pay_invoice(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    inv = ctx.get(id, "invoice")
    return invoices.pay(clocked(ctx, inv["customer"]), inv, p)


@route("POST", "/v1/invoices/{id}/void")
def void_invoice(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    inv = ctx.get(id, "invoice")
    return invoices.void(clocked(ctx, inv["customer"]), inv)


@route("POST", "/v1/invoices/{id}/mark_uncollectible")
def mark_uncollectible(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    inv = ctx.get(id, "invoice")
    return dunning.mark_uncollectible(clocked(ctx, inv["customer"]), inv)


@route("GET", "/v1/invoices", {"customer": String(), "subscription": String(),
                               "status": Enum("draft", "open", "paid", "uncollectible", "void")}, listing=True)
def list_invoices(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "invoice", "/v1/invoices", p, customer=p.get("customer"), parent=p.get("subscription"), kind=p.get("status"))


@route("GET", "/v1/invoiceitems", {"customer": String(), "invoice": String(), "pending": Boolean()}, listing=True)
def list_invoiceitems(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    kind = None if p.get("pending") is None else ("pending" if p["pending"] else "invoiced")
    return page(ctx, "invoiceitem", "/v1/invoiceitems", p, customer=p.get("customer"), invoice=p.get("invoice"), kind=kind)
