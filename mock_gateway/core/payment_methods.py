"""Payment methods: cards from test numbers or tokens, attached to customers or used once."""

from __future__ import annotations

import time
from typing import Any

from .metadata import merge_metadata
from .context import Ctx
from .errors import invalid_request
from .ids import new_id
from .instruments import Behaviour, card_from_number, number_for_token

_BILLING_KEYS = ("address", "email", "name", "phone")


def billing_details(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    address = value.get("address") or {}
    return {
        "address": {k: address.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")},
        "email": value.get("email"),
        "name": value.get("name"),
        "phone": value.get("phone"),
        "tax_id": None,
    }


def _card_object(ctx: Ctx, number: str, exp_month: int, exp_year: int, cvc: str | None, now: int) -> tuple[dict[str, Any], Behaviour]:
    t = time.gmtime(now)
    card = card_from_number(number, exp_month, exp_year, cvc, t.tm_year, t.tm_mon, ctx.store.fingerprint_key)
    return (
        {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": card.cvc_check},
            "country": "JP" if card.brand == "jcb" else "US",
            "display_brand": card.brand,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
            "regulated_status": "unregulated",
        },
        card.behaviour,
    )


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """Create from `card[number]`/`card[exp_*]`/`card[cvc]` or `card[token]=tok_visa`."""
    pm_type = p.get("type") or "card"
    if pm_type != "card":
        from . import methods

        return methods.create_payment_method(ctx, pm_type, p)
    card_params = p.get("card")
    if not card_params:
        raise invalid_request("Missing required param: card.", param="card", code="parameter_missing")
    if "token" in card_params:
        number = number_for_token(card_params["token"])
        card, behaviour = _card_object(ctx, number, 12, time.gmtime(ctx.now).tm_year + 3, None, ctx.now)
    else:
        for key in ("number", "exp_month", "exp_year"):
            if card_params.get(key) is None:
                raise invalid_request(f"Missing required param: card[{key}].", param=f"card[{key}]", code="parameter_missing")
        card, behaviour = _card_object(
            ctx, card_params["number"], card_params["exp_month"], card_params["exp_year"], card_params.get("cvc"), ctx.now
        )
    return _save(ctx, "card", {"card": card}, p, behaviour)


def _save(ctx: Ctx, pm_type: str, details: dict[str, Any], p: dict[str, Any], behaviour: Behaviour | None) -> dict[str, Any]:
    pm = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": p.get("allow_redisplay", "unspecified"),
        "billing_details": billing_details(p.get("billing_details")),
        "created": ctx.now,
        "customer": None,
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "type": pm_type,
        **details,
    }
    if behaviour is not None:
        pm["_behaviour"] = behaviour.encode()
    ctx.store.insert(pm, kind=pm_type)
    return pm


def save_other(ctx: Ctx, pm_type: str, details: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """For non-card methods (konbini, paypal, ...): same object, no card behaviour."""
    return _save(ctx, pm_type, details, p, None)


def resolve(ctx: Ctx, ref: str, param: str = "payment_method") -> dict[str, Any]:
    """A payment method by id, or a fresh one from a `pm_card_*` test token."""
    if ref.startswith("pm_card_") or ref.startswith("tok_"):
        number = number_for_token(ref)
        card, behaviour = _card_object(ctx, number, 12, time.gmtime(ctx.now).tm_year + 3, None, ctx.now)
        return _save(ctx, "card", {"card": card}, {}, behaviour)
    return ctx.get(ref, "payment_method", "PaymentMethod", param=param)


def behaviour_of(pm: dict[str, Any]) -> Behaviour:
    return Behaviour.decode(pm["_behaviour"]) if "_behaviour" in pm else Behaviour()


def update(ctx: Ctx, pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if "billing_details" in p:
        merged = {**pm["billing_details"], **{k: v for k, v in p["billing_details"].items() if k != "address"}}
        if "address" in p["billing_details"]:
            merged["address"] = {**pm["billing_details"]["address"], **p["billing_details"]["address"]}
        pm["billing_details"] = merged
    if "metadata" in p:
        pm["metadata"] = merge_metadata(pm["metadata"], p["metadata"])
    if "card" in p and pm["type"] == "card":
        for key in ("exp_month", "exp_year"):
            if key in p["card"]:
                pm["card"][key] = p["card"][key]
    if "allow_redisplay" in p:
        pm["allow_redisplay"] = p["allow_redisplay"]
    ctx.store.update(pm)
    ctx.emit("payment_method.updated", pm)
    return pm


def attach(ctx: Ctx, pm: dict[str, Any], customer_id: str) -> dict[str, Any]:
    ctx.get(customer_id, "customer", "customer", param="customer")
    if pm.get("customer") and pm["customer"] != customer_id:
        raise invalid_request(
            f"The payment method you provided has already been attached to a customer ({pm['customer']}).",
            param="customer",
        )
    pm["customer"] = customer_id
    ctx.store.update(pm, customer=customer_id)
    ctx.emit("payment_method.attached", pm)
    return pm


def detach(ctx: Ctx, pm: dict[str, Any]) -> dict[str, Any]:
    if not pm.get("customer"):
        raise invalid_request("The payment method you provided is not attached to a customer so detachment is impossible.", param="payment_method")
    pm["customer"] = None
    ctx.store.update(pm, customer=None)
    ctx.emit("payment_method.detached", pm)
    return pm
