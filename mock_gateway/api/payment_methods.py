"""/v1/payment_methods and /v1/customers/{id}/payment_methods"""

from __future__ import annotations

from typing import Any

from ..core import payment_methods
from ..core.context import Ctx
from ..core.methods import PAYMENT_METHOD_TYPES
from .params import ADDRESS, AnyObj, Email, Enum, Integer, Metadata, Obj, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

BILLING_DETAILS = Obj(address=ADDRESS, email=Email(), name=String(), phone=String())
CARD = Obj(number=String(19 + 6), exp_month=Integer(), exp_year=Integer(), cvc=String(4), token=String())
PAYMENT_METHOD_DATA = Obj(
    type=Enum(*PAYMENT_METHOD_TYPES).req(),
    card=CARD,
    billing_details=BILLING_DETAILS,
    metadata=Metadata(),
    allow_redisplay=Enum("always", "limited", "unspecified"),
    **{t: AnyObj() for t in PAYMENT_METHOD_TYPES if t != "card"},
)


@route("POST", "/v1/payment_methods", PAYMENT_METHOD_DATA.fields)
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return payment_methods.create(ctx, p)


@route("GET", "/v1/payment_methods/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "payment_method", "PaymentMethod")


@route(
    "POST",
    "/v1/payment_methods/{id}",
    {"billing_details": BILLING_DETAILS, "metadata": Metadata(), "card": Obj(exp_month=Integer(), exp_year=Integer()),
     "allow_redisplay": Enum("always", "limited", "unspecified")},
)
def update(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return payment_methods.update(ctx, ctx.get(id, "payment_method", "PaymentMethod"), p)


@route("POST", "/v1/payment_methods/{id}/attach", {"customer": String().req()})
def attach(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    pm = payment_methods.resolve(ctx, id)
    return payment_methods.attach(ctx, pm, p["customer"])


@route("POST", "/v1/payment_methods/{id}/detach")
def detach(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return payment_methods.detach(ctx, ctx.get(id, "payment_method", "PaymentMethod"))


@route("GET", "/v1/payment_methods", {"customer": String(), "type": Enum(*PAYMENT_METHOD_TYPES)}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "payment_method", "/v1/payment_methods", p, customer=p.get("customer"), kind=p.get("type"))


@route("GET", "/v1/customers/{customer}/payment_methods", {"type": Enum(*PAYMENT_METHOD_TYPES)}, listing=True)
def list_for_customer(ctx: Ctx, p: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.get(customer, "customer", param="customer")
    return page(ctx, "payment_method", f"/v1/customers/{customer}/payment_methods", p, customer=customer, kind=p.get("type"))


@route("GET", "/v1/customers/{customer}/payment_methods/{id}")
def retrieve_for_customer(ctx: Ctx, p: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    pm = ctx.get(id, "payment_method", "PaymentMethod")
    if pm.get("customer") != customer:
        from ..core.errors import not_found

        raise not_found("PaymentMethod", id)
    return pm
