"""Payment method types beyond cards register here: how each is created and how it settles."""

from __future__ import annotations

from typing import Any, Callable

from .context import Ctx
from .errors import invalid_request

# Every type a PaymentIntent may list in payment_method_types. Card is built in; the others add a
# `MethodType` to METHODS.
PAYMENT_METHOD_TYPES: tuple[str, ...] = ("card",)


class MethodType:
    """Create a payment method of this type, and confirm an intent paid with it."""

    name: str

    def create(self, ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


METHODS: dict[str, MethodType] = {}


def create_payment_method(ctx: Ctx, pm_type: str, p: dict[str, Any]) -> dict[str, Any]:
    method = METHODS.get(pm_type)
    if method is None:
        raise invalid_request(f"Invalid type: {pm_type!r} is not a supported payment method type here.", param="type")
    return method.create(ctx, p)


def confirm(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    method = METHODS.get(pm["type"])
    if method is None:
        raise invalid_request(f"Payment method type {pm['type']!r} cannot be confirmed here.", param="payment_method")
    return method.confirm(ctx, pi, pm, p)
