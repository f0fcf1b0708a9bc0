"""/v1/customers"""

from __future__ import annotations

from typing import Any

from ..core import customers
from ..core.context import Ctx
from .params import ADDRESS, Email, ListOf, Metadata, Obj, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_SHIPPING = Obj(address=ADDRESS, name=String(), phone=String())
_FIELDS = {
    "address": ADDRESS,
    "description": String(),
    "email": Email(),
    "metadata": Metadata(),
    "name": String(256),
    "phone": String(20),
    "preferred_locales": ListOf(String(10)),
    "shipping": _SHIPPING,
    "invoice_settings": Obj(default_payment_method=String()),
}


@route("POST", "/v1/customers", {**_FIELDS, "payment_method": String(), "test_clock": String()})
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return customers.create(ctx, p)


@route("GET", "/v1/customers/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "customer")


@route("POST", "/v1/customers/{id}", _FIELDS)
def update(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return customers.update(ctx, ctx.get(id, "customer"), p)


@route("DELETE", "/v1/customers/{id}")
def delete(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return customers.delete(ctx, ctx.get(id, "customer"))


@route("GET", "/v1/customers", {"email": String(512)}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "customer", "/v1/customers", p, email=p.get("email"))
