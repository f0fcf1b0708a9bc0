"""/v1/setup_intents: save a card for later off-session payments."""

from __future__ import annotations

from typing import Any

from ..core import setup_intents
from ..core.context import Ctx
from .params import AnyObj, Boolean, Enum, ListOf, Metadata, Obj, String, Url
from .payment_methods import PAYMENT_METHOD_DATA
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_CONFIRM = {
    "payment_method": String(),
    "payment_method_data": PAYMENT_METHOD_DATA,
    "payment_method_options": AnyObj(),
    "return_url": Url(),
    "mandate_data": AnyObj(),
    "use_stripe_sdk": Boolean(),
}
_UPDATE = {
    "customer": String(),
    "description": String(1000),
    "metadata": Metadata(),
    "payment_method": String(),
    "payment_method_data": PAYMENT_METHOD_DATA,
    "payment_method_options": AnyObj(),
    "payment_method_types": ListOf(Enum("card")),
}
_CREATE = {
    **_UPDATE,
    **_CONFIRM,
    "automatic_payment_methods": Obj(enabled=Boolean().req(), allow_redirects=Enum("always", "never")),
    "confirm": Boolean(),
    "usage": Enum("off_session", "on_session"),
}


@route("POST", "/v1/setup_intents", _CREATE)
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return setup_intents.create(ctx, p)


@route("GET", "/v1/setup_intents/{id}", {"client_secret": String()})
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "setup_intent", "SetupIntent")


@route("POST", "/v1/setup_intents/{id}", _UPDATE)
def update(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return setup_intents.update(ctx, ctx.get(id, "setup_intent", "SetupIntent"), p)


@route("POST", "/v1/setup_intents/{id}/confirm", _CONFIRM)
def confirm(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return setup_intents.confirm(ctx, ctx.get(id, "setup_intent", "SetupIntent"), p)


@route("POST", "/v1/setup_intents/{id}/cancel",
       {"cancellation_reason": Enum("abandoned", "duplicate", "requested_by_customer")})
def cancel(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return setup_intents.cancel(ctx, ctx.get(id, "setup_intent", "SetupIntent"), p)


@route("GET", "/v1/setup_intents", {"customer": String(), "payment_method": String()}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "setup_intent", "/v1/setup_intents", p, customer=p.get("customer"),
                payment_method=p.get("payment_method"))
