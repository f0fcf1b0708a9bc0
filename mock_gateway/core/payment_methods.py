"""Payment methods: cards from test numbers or tokens, attached to customers or used once."""

from __future__ import annotations

import time
from typing import Any

from .metadata import merge_metadata
from .context import Ctx
from .errors import StripeError, invalid_request
from .ids import new_id
from .instruments import DECLINE_MESSAGES, Behaviour, address_checks, card_from_number, number_for_token

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


def _card_object(ctx: Ctx, number: str, exp_month: int, exp_year: int, cvc: str | None, now: int,
                 address: dict[str, Any] | None = None) -> tuple[dict[str, Any], Behaviour]:
    t = time.gmtime(now)
    card = card_from_number(number, exp_month, exp_year, cvc, t.tm_year, t.tm_mon, ctx.store.fingerprint_key)
    return (
        {
            "brand": card.brand,
            "checks": {**address_checks(card.behaviour, address), "cvc_check": card.cvc_check},
            "country": card.country,
            "display_brand": card.brand,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": list(card.networks), "preferred": None},
            "three_d_secure_usage": {"supported": card.behaviour.three_ds != "not_supported"},
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
    address = (p.get("billing_details") or {}).get("address")
    if "token" in card_params:
        return _from_token(ctx, card_params["token"], p, address)
    for key in ("number", "exp_month", "exp_year"):
        if card_params.get(key) is None:
            raise invalid_request(f"Missing required param: card[{key}].", param=f"card[{key}]", code="parameter_missing")
    card, behaviour = _card_object(
        ctx, card_params["number"], card_params["exp_month"], card_params["exp_year"], card_params.get("cvc"), ctx.now,
        address,
    )
    return _save(ctx, "card", {"card": card}, p, behaviour)


TOKEN_CARD_YEARS = 3  # a card from a test token shows an expiry this many years after the time it is used


def _from_token(ctx: Ctx, token: str, p: dict[str, Any], address: dict[str, Any] | None = None) -> dict[str, Any]:
    """A card from a `pm_card_*`/`tok_*` test token. It never expires before the time of the clock it
    is charged on (`renew_test_card`): Stripe's own test tokens do not expire under a test clock."""
    number = number_for_token(token)
    card, behaviour = _card_object(ctx, number, 12, time.gmtime(ctx.now).tm_year + TOKEN_CARD_YEARS, None, ctx.now, address)
    pm = _save(ctx, "card", {"card": card}, p, behaviour, test_token=True)
    return pm


def renew_test_card(ctx: Ctx, pm: dict[str, Any], now: int) -> bool:
    """A test-token card charged at a (clock) time past its expiry gets a later expiry, as a card
    updater would give it; True when it did. Cards typed with their own expiry keep it."""
    if not pm.get("_test_token") or pm.get("type") != "card":
        return False
    today = time.gmtime(now)
    if (pm["card"]["exp_year"], pm["card"]["exp_month"]) >= (today.tm_year, today.tm_mon):
        return False
    pm["card"]["exp_year"] = today.tm_year + TOKEN_CARD_YEARS
    pm["card"]["exp_month"] = 12
    ctx.store.update(pm, customer=pm.get("customer"))
    return True


def _save(ctx: Ctx, pm_type: str, details: dict[str, Any], p: dict[str, Any], behaviour: Behaviour | None,
          test_token: bool = False) -> dict[str, Any]:
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
    if test_token:
        pm["_test_token"] = True
    ctx.store.insert(pm, kind=pm_type)
    return pm


def save_other(ctx: Ctx, pm_type: str, details: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """For non-card methods (konbini, paypal, ...): same object, no card behaviour."""
    return _save(ctx, pm_type, details, p, None)


def resolve(ctx: Ctx, ref: str, param: str = "payment_method") -> dict[str, Any]:
    """A payment method by id, or a fresh one from a `pm_card_*` test token."""
    if ref.startswith("pm_card_") or ref.startswith("tok_"):
        return _from_token(ctx, ref, {})
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
                pm.pop("_test_token", None)  # an expiry set on purpose is kept: renew_test_card leaves it
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
    _verify_on_attach(pm)
    pm["customer"] = customer_id
    ctx.store.update(pm, customer=customer_id)
    ctx.emit("payment_method.attached", pm)
    return pm


def _verify_on_attach(pm: dict[str, Any]) -> None:
    """Attaching a card verifies it with the issuer: a card that declines every charge fails here,
    except the attach-then-fail card (pm_card_chargeCustomerFail), as on Stripe's testing page."""
    behaviour = behaviour_of(pm)
    if pm.get("type") != "card" or behaviour.attach != "decline":
        return
    code, message, param = DECLINE_MESSAGES.get(behaviour.decline_code or "", DECLINE_MESSAGES["generic_decline"])
    raise StripeError(402, "card_error", message, code=code, param=param, decline_code=behaviour.decline_code)


def detach(ctx: Ctx, pm: dict[str, Any]) -> dict[str, Any]:
    if not pm.get("customer"):
        raise invalid_request("The payment method you provided is not attached to a customer so detachment is impossible.", param="payment_method")
    pm["customer"] = None
    ctx.store.update(pm, customer=None)
    ctx.emit("payment_method.detached", pm)
    return pm


def mark_set_up(ctx: Ctx, pm: dict[str, Any]) -> None:
    """The card was authenticated for later off-session use (a SetupIntent, or a payment with
    setup_future_usage=off_session): the card that asks for 3-D Secure until set up stops asking."""
    if pm.get("type") == "card" and not pm.get("_set_up_off_session"):
        pm["_set_up_off_session"] = True
        ctx.store.update(pm, customer=pm.get("customer"))
