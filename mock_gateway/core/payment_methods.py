"""PaymentMethods: created by their type's module (core/methods/), updated, attached and detached here.

`create` dispatches on `type` (card is one method among the others); a `pm_card_*` or `tok_*`
test token resolves to a fresh card.
"""

from __future__ import annotations

from typing import Any

from . import methods
from .context import Ctx
from .errors import invalid_request
from .metadata import merge_metadata
from .methods import card
from .methods.records import attach, billing_details, save

__all__ = ["attach", "behaviour_of", "billing_details", "create", "detach", "mark_set_up", "renew_test_card", "resolve",
           "save_other", "update"]


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """A PaymentMethod of `type` (card when not given), made by that method's module."""
    return methods.create_payment_method(ctx, p.get("type") or "card", p)


def save_other(ctx: Ctx, pm_type: str, details: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """A PaymentMethod with no test-card behaviour (konbini, paypal, ...)."""
    return save(ctx, pm_type, details, p)


def resolve(ctx: Ctx, ref: str, param: str = "payment_method") -> dict[str, Any]:
    """A payment method by id, or a fresh one from a `pm_card_*` test token."""
    if ref.startswith(("pm_card_", "tok_")):
        return card.from_token(ctx, ref)
    return ctx.get(ref, "payment_method", "PaymentMethod", param=param)


def from_params(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any] | None:
    """The payment method an intent's create/update/confirm names: made from `payment_method_data`,
    or `payment_method` (an id or a test token); None when neither is given."""
    if p.get("payment_method_data"):
        return create(ctx, p["payment_method_data"])
    if p.get("payment_method"):
        return resolve(ctx, p["payment_method"])
    return None


behaviour_of = card.behaviour_of
mark_set_up = card.mark_set_up  # a SetupIntent (core/setup_intents.py) saved the card for off-session use
renew_test_card = card.renew_test_card


def update(ctx: Ctx, pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if "billing_details" in p:
        merged = {**pm["billing_details"], **{k: v for k, v in p["billing_details"].items() if k != "address"}}
        if "address" in p["billing_details"]:
            merged["address"] = {**pm["billing_details"]["address"], **p["billing_details"]["address"]}
        pm["billing_details"] = merged
    if "metadata" in p:
        pm["metadata"] = merge_metadata(pm["metadata"], p["metadata"])
    method = methods.METHODS.get(pm["type"])
    if method is not None:
        method.update(pm, p)
    if "allow_redisplay" in p:
        pm["allow_redisplay"] = p["allow_redisplay"]
    ctx.store.update(pm)
    ctx.emit("payment_method.updated", pm)
    return pm


def detach(ctx: Ctx, pm: dict[str, Any]) -> dict[str, Any]:
    if not pm.get("customer"):
        raise invalid_request("The payment method you provided is not attached to a customer so detachment is impossible.", param="payment_method")
    pm["customer"] = None
    ctx.store.update(pm, customer=None)
    ctx.emit("payment_method.detached", pm)
    return pm
