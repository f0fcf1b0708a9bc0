"""/v1/checkout/sessions: create, retrieve, list, expire, and a session's line items.

Stripe-compatible, plus `variant` (not Stripe's): the name of the form design the hosted page
renders (scenarios/variants/*.toml). The domain lives in mock_gateway/checkout/sessions.py.
"""

from __future__ import annotations

from typing import Any

from ..checkout import sessions
from ..core.context import Ctx
from .params import Boolean, Currency, Email, Enum, Integer, ListOf, Metadata, Obj, String, Url
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_PRODUCT_DATA = Obj(name=String(250).req(), description=String(), images=ListOf(String(2048), max=8), metadata=Metadata(),
                    tax_code=String())
_PRICE_DATA = Obj(
    currency=Currency(),
    product=String(),
    product_data=_PRODUCT_DATA,
    unit_amount=Integer(min=0, max=99_999_999),
    unit_amount_decimal=String(),
    tax_behavior=Enum("exclusive", "inclusive", "unspecified"),
)
_LINE_ITEM = Obj(
    price=String(),
    price_data=_PRICE_DATA,
    quantity=Integer(min=1, max=999_999),
    # the older inline form
    name=String(250),
    amount=Integer(min=0, max=99_999_999),
    currency=Currency(),
    description=String(),
    images=ListOf(String(2048), max=8),
)
_CREATE = {
    "mode": Enum("payment").req(),
    "line_items": ListOf(_LINE_ITEM, max=100),
    "currency": Currency(),
    "success_url": Url().req(),
    "cancel_url": Url(),
    "payment_method_types": ListOf(String(100), max=20),
    "customer": String(),
    "customer_email": Email(),
    "customer_creation": Enum("always", "if_required"),
    "client_reference_id": String(200),
    "locale": Enum("auto", "en", "ja"),
    "metadata": Metadata(),
    "expires_at": Integer(),
    "payment_intent_data": Obj(
        description=String(1000),
        metadata=Metadata(),
        capture_method=Enum("automatic", "automatic_async", "manual"),
        statement_descriptor=String(22),
        statement_descriptor_suffix=String(22),
    ),
    "phone_number_collection": Obj(enabled=Boolean().req()),
    "shipping_address_collection": Obj(allowed_countries=ListOf(String(2), max=250).req()),
    "billing_address_collection": Enum("auto", "required"),
    "submit_type": Enum("auto", "book", "donate", "pay"),
    "ui_mode": Enum("hosted", "hosted_page"),
    "variant": String(100),
}


@route("POST", "/v1/checkout/sessions", _CREATE)
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return sessions.create(ctx, p)


@route("GET", "/v1/checkout/sessions/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return sessions.as_seen(ctx.get(id, "checkout.session", "checkout session"), ctx.now)


@route("POST", "/v1/checkout/sessions/{id}/expire")
def expire(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return sessions.expire(ctx, ctx.get(id, "checkout.session", "checkout session"))


@route("GET", "/v1/checkout/sessions/{id}/line_items", listing=True)
def line_items(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    session = ctx.get(id, "checkout.session", "checkout session")
    return sessions.line_items_page(session, p, f"/v1/checkout/sessions/{id}/line_items")


@route(
    "GET",
    "/v1/checkout/sessions",
    {"status": Enum("open", "complete", "expired"), "customer": String(), "payment_intent": String(),
     "payment_link": String(), "customer_details": Obj(email=Email())},
    listing=True,
)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    result = page(
        ctx, "checkout.session", "/v1/checkout/sessions", p,
        kind=p.get("status"), customer=p.get("customer"), payment_intent=p.get("payment_intent"),
        **{"customer_details.email": (p.get("customer_details") or {}).get("email")},
    )
    result["data"] = [sessions.as_seen(s, ctx.now) for s in result["data"]]
    return result
