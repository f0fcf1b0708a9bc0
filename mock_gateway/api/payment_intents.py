"""/v1/payment_intents"""

from __future__ import annotations

from typing import Any

from ..core import channels, payment_intents
from ..core.context import Ctx
from ..core.methods import PAYMENT_METHOD_TYPES
from .params import ADDRESS, AnyObj, Boolean, Currency, Email, Enum, Integer, ListOf, Metadata, Obj, String, Url
from .payment_methods import PAYMENT_METHOD_DATA
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_SHIPPING = Obj(address=ADDRESS.req(), name=String().req(), phone=String(), carrier=String(), tracking_number=String())
_CONFIRM = {
    "payment_method": String(),
    "payment_method_data": PAYMENT_METHOD_DATA,
    "payment_method_options": AnyObj(),
    "payment_method_types": ListOf(Enum(*PAYMENT_METHOD_TYPES)),
    "receipt_email": Email(),
    "return_url": Url(),
    "setup_future_usage": Enum("off_session", "on_session"),
    "shipping": _SHIPPING,
    "off_session": Enum("true", "false", "one_off", "recurring"),
    "error_on_requires_action": Boolean(),
    "mandate_data": AnyObj(),
    "use_stripe_sdk": Boolean(),
    "capture_method": Enum("automatic", "automatic_async", "manual"),
}
_UPDATE = {
    "amount": Integer(),
    "currency": Currency(),
    "customer": String(),
    "description": String(1000),
    "metadata": Metadata(),
    "payment_method": String(),
    "payment_method_data": PAYMENT_METHOD_DATA,
    "payment_method_options": AnyObj(),
    "payment_method_types": ListOf(Enum(*PAYMENT_METHOD_TYPES)),
    "receipt_email": Email(),
    "setup_future_usage": Enum("off_session", "on_session"),
    "shipping": _SHIPPING,
    "statement_descriptor": String(22),
    "statement_descriptor_suffix": String(22),
    "capture_method": Enum("automatic", "automatic_async", "manual"),
}
_CREATE = {
    **_UPDATE,
    **_CONFIRM,
    "amount": Integer().req(),
    "currency": Currency().req(),
    "automatic_payment_methods": Obj(enabled=Boolean().req(), allow_redirects=Enum("always", "never")),
    "confirm": Boolean(),
    "confirmation_method": Enum("automatic", "manual"),
    "payment_method_configuration": String(),
    "transfer_group": String(),
}


def _off_session(p: dict[str, Any]) -> dict[str, Any]:
    if "off_session" in p:
        p["off_session"] = p["off_session"] != "false"
    return p


@route("POST", "/v1/payment_intents", _CREATE)
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    channels.check(p.get("metadata"))
    return payment_intents.create(ctx, _off_session(p))


@route("GET", "/v1/payment_intents/{id}", {"client_secret": String()})
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "payment_intent")


@route("POST", "/v1/payment_intents/{id}", _UPDATE)
def update(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    channels.check(p.get("metadata"))
    return payment_intents.update(ctx, ctx.get(id, "payment_intent"), p)


@route("POST", "/v1/payment_intents/{id}/confirm", _CONFIRM)
def confirm(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return payment_intents.confirm(ctx, ctx.get(id, "payment_intent"), _off_session(p))


@route(
    "POST",
    "/v1/payment_intents/{id}/capture",
    {"amount_to_capture": Integer(), "metadata": Metadata(), "statement_descriptor": String(22),
     "statement_descriptor_suffix": String(22), "final_capture": Boolean()},
)
def capture(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return payment_intents.capture(ctx, ctx.get(id, "payment_intent"), p)


@route("POST", "/v1/payment_intents/{id}/cancel", {"cancellation_reason": Enum("duplicate", "fraudulent", "requested_by_customer", "abandoned")})
def cancel(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return payment_intents.cancel(ctx, ctx.get(id, "payment_intent"), p)


# channel and payment_method_type are harness extensions (metadata[channel], the method used).
@route("GET", "/v1/payment_intents", {"customer": String(), "channel": Enum(*channels.CHANNELS),
                                      "payment_method_type": Enum(*PAYMENT_METHOD_TYPES)}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "payment_intent", "/v1/payment_intents", p, customer=p.get("customer"),
                **{"metadata.channel": p.get("channel"), "_payment_method_type": p.get("payment_method_type")})
