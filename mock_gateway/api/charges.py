"""/v1/charges (read-only: charges come from PaymentIntents) and /v1/refunds"""

from __future__ import annotations

from typing import Any

from ..core import channels, refunds
from ..core.context import Ctx
from ..core.methods import PAYMENT_METHOD_TYPES
from .params import Enum, Integer, Metadata, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route


@route("GET", "/v1/charges/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "charge")


# channel and payment_method_type are harness extensions (metadata[channel], the method used).
@route("GET", "/v1/charges", {"customer": String(), "payment_intent": String(), "channel": Enum(*channels.CHANNELS),
                              "payment_method_type": Enum(*PAYMENT_METHOD_TYPES)}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "charge", "/v1/charges", p, customer=p.get("customer"), parent=p.get("payment_intent"),
                **{"metadata.channel": p.get("channel"), "payment_method_details.type": p.get("payment_method_type")})


_REFUND = {
    "amount": Integer(),
    "charge": String(),
    "payment_intent": String(),
    "metadata": Metadata(),
    "reason": Enum("duplicate", "fraudulent", "requested_by_customer"),
    "instructions_email": String(),
}


@route("POST", "/v1/refunds", _REFUND)
def create_refund(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return refunds.create(ctx, p)


@route("GET", "/v1/refunds/{id}")
def retrieve_refund(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "refund")


@route("POST", "/v1/refunds/{id}", {"metadata": Metadata()})
def update_refund(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return refunds.update(ctx, ctx.get(id, "refund"), p)


@route("GET", "/v1/refunds", {"charge": String(), "payment_intent": String()}, listing=True)
def list_refunds(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "refund", "/v1/refunds", p, parent=p.get("payment_intent"), kind=p.get("charge"))


@route("POST", "/v1/charges/{id}/refund", {k: v for k, v in _REFUND.items() if k not in ("charge", "payment_intent")})
def refund_charge(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    refunds.create(ctx, {**p, "charge": id})
    return ctx.get(id, "charge")
