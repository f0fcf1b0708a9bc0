"""SetupIntents: saving a card for later off-session payments, with 3-D Secure when the card asks.

    requires_payment_method -> requires_confirmation -> (requires_action) -> succeeded | canceled

A card that declines fails the setup (`last_setup_error`, setup_intent.setup_failed) and the intent
goes back to requires_payment_method. On success the card is attached to the customer (when given)
and marked set up for off-session use: the card that asks for 3-D Secure until set up
(pm_card_authenticationRequiredOnSetup) then pays off session without asking.
"""

from __future__ import annotations

from typing import Any

from . import payment_methods
from .context import Ctx, public
from .errors import AUTHENTICATION_FAILED, StripeError, invalid_request, payment_error, unexpected_state
from .ids import new_id
from .instruments import DECLINE_MESSAGES
from .metadata import merge_metadata

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = CONFIRMABLE


def _save(ctx: Ctx, si: dict[str, Any]) -> None:
    ctx.store.update(si, customer=si["customer"], kind=si["status"])


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("customer"):
        ctx.get(p["customer"], "customer", "customer", param="customer")
    si_id = new_id("seti")
    si: dict[str, Any] = {
        "id": si_id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": p.get("automatic_payment_methods"),
        "cancellation_reason": None,
        "client_secret": f"{si_id}_secret_{new_id('s')[2:]}",
        "created": ctx.now,
        "customer": p.get("customer"),
        "description": p.get("description"),
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": p.get("metadata") or {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": p.get("payment_method_options") or {},
        "payment_method_types": p.get("payment_method_types") or ["card"],
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": p.get("usage") or "off_session",
    }
    _set_payment_method(ctx, si, p)
    ctx.store.insert(si, customer=si["customer"], kind=si["status"])
    ctx.emit("setup_intent.created", si)
    if p.get("confirm"):
        return confirm(ctx, si, {k: v for k, v in p.items() if k == "return_url"})
    return si


def _set_payment_method(ctx: Ctx, si: dict[str, Any], p: dict[str, Any]) -> None:
    pm = payment_methods.from_params(ctx, p)
    if pm is None:
        return
    if pm["type"] != "card":
        raise invalid_request(f"SetupIntents here save cards only; the PaymentMethod is {pm['type']}.", param="payment_method")
    si["payment_method"] = pm["id"]
    if si["status"] == "requires_payment_method":
        si["status"] = "requires_confirmation"


def update(ctx: Ctx, si: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if si["status"] not in CONFIRMABLE:
        raise unexpected_state(f"This SetupIntent cannot be updated because it has a status of {si['status']}.", param="id")
    for key in ("description", "payment_method_options"):
        if key in p:
            si[key] = p[key]
    if "customer" in p:
        ctx.get(p["customer"], "customer", "customer", param="customer")
        si["customer"] = p["customer"]
    if "metadata" in p:
        si["metadata"] = merge_metadata(si["metadata"], p["metadata"])
    if "payment_method" in p or "payment_method_data" in p:
        si["status"], si["next_action"] = "requires_payment_method", None
        _set_payment_method(ctx, si, p)
    _save(ctx, si)
    ctx.emit("setup_intent.updated", si)
    return si


def confirm(ctx: Ctx, si: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if si["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this SetupIntent because it has a status of {si['status']}. A SetupIntent can be "
            f"confirmed when its status is one of {', '.join(CONFIRMABLE)}.", param="id")
    if "payment_method_options" in p:
        si["payment_method_options"] = p["payment_method_options"]
    if "payment_method" in p or "payment_method_data" in p:
        si["status"] = "requires_payment_method"
        _set_payment_method(ctx, si, p)
    if not si["payment_method"]:
        raise invalid_request("You cannot confirm this SetupIntent because it's missing a payment method.",
                              param="payment_method", code="setup_intent_unexpected_state")
    pm = ctx.get(si["payment_method"], "payment_method", "PaymentMethod", param="payment_method")
    behaviour = payment_methods.behaviour_of(pm)
    si["last_setup_error"] = None
    si["next_action"] = None
    asked = ((si.get("payment_method_options") or {}).get("card") or {})
    asked = asked.get("request_three_d_secure") if isinstance(asked, dict) else None
    challenge = (behaviour.outcome == "three_ds" and behaviour.three_ds != "set_up") or \
        (behaviour.three_ds == "optional" and asked == "challenge")
    if challenge and not p.get("_authenticated"):
        si["status"] = "requires_action"
        si["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {
            "url": f"{ctx.base_url}/3ds/{si['id']}?client_secret={si['client_secret']}", "return_url": p.get("return_url")}}
        si["_return_url"] = p.get("return_url")
        _save(ctx, si)
        ctx.emit("setup_intent.requires_action", si)
        return si
    if behaviour.attach == "decline":  # setting up verifies the card as attaching does
        return _fail(ctx, si, pm, behaviour.decline_code or "generic_decline")
    if si["customer"] and pm.get("customer") != si["customer"]:
        payment_methods.attach(ctx, pm, si["customer"])
    if si["usage"] == "off_session":
        payment_methods.mark_set_up(ctx, pm)
    si["status"] = "succeeded"
    _save(ctx, si)
    ctx.emit("setup_intent.succeeded", si)
    return si


def _fail(ctx: Ctx, si: dict[str, Any], pm: dict[str, Any], decline_code: str) -> dict[str, Any]:
    code, message, param = DECLINE_MESSAGES.get(decline_code, DECLINE_MESSAGES["generic_decline"])
    si["status"] = "requires_payment_method"
    si["last_setup_error"] = payment_error("card_error", code, message, public(pm), decline_code=decline_code, param=param)
    _save(ctx, si)
    ctx.emit("setup_intent.setup_failed", si)
    err = StripeError(402, "card_error", message, code=code, param=param, decline_code=decline_code,
                      extra={"setup_intent": public(si)})
    err.commit = True
    raise err


def complete_authentication(ctx: Ctx, si: dict[str, Any], success: bool) -> dict[str, Any]:
    """The customer finished the 3-D Secure challenge for this setup."""
    if si["status"] != "requires_action":
        raise unexpected_state(f"This SetupIntent is not awaiting authentication (status {si['status']}).", param="id")
    if not success:
        pm = ctx.get(si["payment_method"], "payment_method", "PaymentMethod", param="payment_method")
        si["status"], si["next_action"] = "requires_payment_method", None
        si["last_setup_error"] = payment_error("invalid_request_error", "setup_intent_authentication_failure",
                                               AUTHENTICATION_FAILED, public(pm))
        _save(ctx, si)
        ctx.emit("setup_intent.setup_failed", si)
        return si
    try:
        return confirm(ctx, si, {"_authenticated": True})
    except StripeError as err:
        if err.commit:
            return ctx.get(si["id"], "setup_intent")
        raise


def cancel(ctx: Ctx, si: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if si["status"] not in CANCELABLE:
        raise unexpected_state(f"You cannot cancel this SetupIntent because it has a status of {si['status']}.", param="id")
    si["status"] = "canceled"
    si["cancellation_reason"] = p.get("cancellation_reason")
    si["next_action"] = None
    _save(ctx, si)
    ctx.emit("setup_intent.canceled", si)
    return si
