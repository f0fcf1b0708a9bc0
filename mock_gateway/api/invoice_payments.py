"""/v1/invoice_payments: what ties an invoice to the PaymentIntent that pays it (2025-03-31.basil)."""

from __future__ import annotations

from typing import Any

from ..core.context import Ctx
from .params import String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_PATH = "/v1/invoice_payments"


@route("GET", _PATH + "/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "invoice_payment")


@route("GET", _PATH, {"invoice": String()}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "invoice_payment", _PATH, p, parent=p.get("invoice"))
