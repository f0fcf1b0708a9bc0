"""Cards (credit and debit): from test numbers or tokens, declined, authenticated with 3-D Secure,
charged at once or authorised and captured later (authorizations.py).

confirm -> succeeded (or requires_capture with capture_method=manual); a card whose test number
asks for 3-D Secure -> requires_action with next_action.redirect_to_url (the gateway's challenge
page, /3ds/{id}) -> complete_authentication; a declining card -> requires_payment_method with
last_payment_error and a card_error answer. A saved card whose expiry passed (by a test clock's
time) is declined as expired_card; a card from a `pm_card_*`/`tok_*` test token never expires
before the clock's time (`renew_test_card`). Which 3-D Secure variant a card is (required, on
setup, optional, not supported) is its test behaviour (core/instruments.py); `setup_future_usage`
attaches the card to the customer and marks it set up for off-session payments.
"""

from __future__ import annotations

import time
from typing import Any

from .. import intent_states
from ..context import Ctx, public
from ..errors import AUTHENTICATION_FAILED, StripeError, card_error, invalid_request, payment_error, unexpected_state
from ..instruments import (
    DECLINE_MESSAGES,
    Behaviour,
    address_checks,
    card_from_number,
    number_for_token,
)
from . import base, records


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


TOKEN_CARD_YEARS = 3  # a card from a test token shows an expiry this many years after the time it is used


def from_token(ctx: Ctx, token: str, p: dict[str, Any] | None = None, address: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh card PaymentMethod from a `pm_card_*` / `tok_*` test token. It never expires before the
    time of the clock it is charged on (`renew_test_card`): Stripe's test tokens do not expire under a
    test clock."""
    number = number_for_token(token)
    card, behaviour = _card_object(ctx, number, 12, time.gmtime(ctx.now).tm_year + TOKEN_CARD_YEARS, None, ctx.now, address)
    return records.save(ctx, "card", {"card": card}, p or {}, behaviour, test_token=True)


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


def mark_set_up(ctx: Ctx, pm: dict[str, Any]) -> None:
    """The card was authenticated for later off-session use (a SetupIntent, or a payment with
    setup_future_usage=off_session): the card that asks for 3-D Secure until set up stops asking."""
    if pm.get("type") == "card" and not pm.get("_set_up_off_session"):
        pm["_set_up_off_session"] = True
        ctx.store.update(pm, customer=pm.get("customer"))


def three_d_secure_step(pi: dict[str, Any], pm: dict[str, Any], behaviour: Behaviour, p: dict[str, Any]) -> str | None:
    """What 3-D Secure asks of this attempt: "challenge", "frictionless" or None (no authentication).

    Required cards always challenge; the card that asks only until it is set up for off-session use
    (on_setup) passes off-session once a SetupIntent or a payment with setup_future_usage saved it;
    optional cards authenticate when the merchant asks (`request_three_d_secure`: any -> frictionless,
    challenge -> a challenge); unenrolled and not-supported cards never do."""
    asked = (pi.get("payment_method_options") or {}).get("card") or {}
    asked = asked.get("request_three_d_secure") if isinstance(asked, dict) else None
    mode = behaviour.three_ds
    if behaviour.outcome == "three_ds":
        if mode == "set_up" and p.get("off_session"):
            return None
        if mode == "on_setup" and p.get("off_session") and pm.get("_set_up_off_session"):
            return None
        return "challenge"
    if mode == "optional" and asked in ("any", "challenge"):
        return "challenge" if asked == "challenge" else "frictionless"
    return None


behaviour_of = intent_states.behaviour_of  # what the test card does when charged (core/instruments.py)


class Card(base.MethodType):
    name = "card"

    def create(self, ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
        """From `card[number]`/`card[exp_*]`/`card[cvc]` or `card[token]=tok_visa`."""
        card_params = p.get("card")
        if not card_params:
            raise invalid_request("Missing required param: card.", param="card", code="parameter_missing")
        address = (p.get("billing_details") or {}).get("address")
        if "token" in card_params:
            return from_token(ctx, card_params["token"], p, address)
        for key in ("number", "exp_month", "exp_year"):
            if card_params.get(key) is None:
                raise invalid_request(f"Missing required param: card[{key}].", param=f"card[{key}]", code="parameter_missing")
        card, behaviour = _card_object(
            ctx, card_params["number"], card_params["exp_month"], card_params["exp_year"], card_params.get("cvc"), ctx.now,
            address,
        )
        return records.save(ctx, "card", {"card": card}, p, behaviour)

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        behaviour = behaviour_of(pm)
        renew_test_card(ctx, pm, ctx.now)  # a pm_card_* card never expires before the clock's time
        today = time.gmtime(ctx.now)  # a saved card whose expiry passed (by a test clock's time) is declined
        if (pm["card"]["exp_year"], pm["card"]["exp_month"]) < (today.tm_year, today.tm_mon):
            return self._decline(ctx, pi, pm, "expired_card")
        challenge = three_d_secure_step(pi, pm, behaviour, p)
        if challenge == "challenge" and not p.get("_authenticated"):
            if p.get("off_session") or p.get("error_on_requires_action"):
                return self._decline(ctx, pi, pm, "authentication_required")
            return self._require_authentication(ctx, pi, p.get("return_url"))
        if challenge == "frictionless":
            pi["_authenticated"] = "frictionless"
        if behaviour.outcome == "three_ds" and (p.get("_authenticated") or challenge != "challenge"):
            behaviour = Behaviour("decline", behaviour.after_3ds) if behaviour.after_3ds != "succeed" else Behaviour()
        if behaviour.outcome == "decline":
            return self._decline(ctx, pi, pm, behaviour.decline_code or "generic_decline")
        if pi.get("setup_future_usage") or p.get("setup_future_usage"):
            if pi.get("customer") and not pm.get("customer"):  # saved for later: attached to the customer
                records.attach(ctx, pm, pi["customer"])
            if "off_session" in (pi.get("setup_future_usage"), p.get("setup_future_usage")):
                mark_set_up(ctx, pm)
        pi = base.authorise(ctx, pi, pm, self.charge_details(pi, pm))
        if not p.get("off_session") and pi["status"] == "succeeded":
            base.paid_on_session(ctx, pi)  # e.g. an invoice's intent the customer confirmed (billing/invoices.py)
        return pi

    def update(self, pm: dict[str, Any], p: dict[str, Any]) -> None:
        for key in ("exp_month", "exp_year"):
            if key in (p.get("card") or {}):
                pm["card"][key] = p["card"][key]
                pm.pop("_test_token", None)  # an expiry set on purpose is kept: renew_test_card leaves it

    def charge_details(self, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
        card = pm["card"]
        return {
            "brand": card["brand"],
            "checks": card["checks"],
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "last4": card["last4"],
            "network": card["brand"],
            "three_d_secure": {
                "authentication_flow": "frictionless" if pi["_authenticated"] == "frictionless" else "challenge",
                "result": "authenticated", "result_reason": None, "version": "2.2.0",
            } if pi.get("_authenticated") else None,
        }

    def _require_authentication(self, ctx: Ctx, pi: dict[str, Any], return_url: str | None) -> dict[str, Any]:
        """3-D Secure: the shopper is sent to the gateway's challenge page."""
        pi["_return_url"] = return_url
        if ctx.browser_origin:
            pi["_frame_origin"] = ctx.browser_origin  # Stripe.js shows the challenge in a frame of this page
        return base.require_action(ctx, pi, {
            "type": "redirect_to_url",
            "redirect_to_url": {
                "url": f"{ctx.base_url}/3ds/{pi['id']}?client_secret={pi['client_secret']}",
                "return_url": return_url,
            },
        })

    def _decline(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], decline_code: str) -> dict[str, Any]:
        if decline_code == "authentication_required":
            code, message, param = "authentication_required", "Your card was declined. This transaction requires authentication.", None
        else:
            code, message, param = DECLINE_MESSAGES.get(decline_code, DECLINE_MESSAGES["generic_decline"])
        charge = intent_states.new_charge(ctx, pi, pm, "failed", False, (code, message, decline_code), self.charge_details(pi, pm))
        pi["status"] = "requires_payment_method"
        pi["last_payment_error"] = payment_error("card_error", code, message, public(pm), charge=charge["id"],
                                                 decline_code=decline_code, param=param)
        intent_states.save(ctx, pi)
        ctx.emit("charge.failed", charge)
        ctx.emit("payment_intent.payment_failed", pi)
        raise card_error(message, code, decline_code, param, public(pi))

    def complete_authentication(self, ctx: Ctx, pi: dict[str, Any], success: bool) -> dict[str, Any]:
        """The shopper finished the 3-D Secure challenge: charge, or fail with authentication failure."""
        pm = ctx.get(pi["payment_method"], "payment_method", "PaymentMethod", param="payment_method") \
            if pi["status"] == "requires_action" else None
        if pm is None or pm["type"] != self.name:  # only a card waits for 3-D Secure
            raise unexpected_state(f"This PaymentIntent is not awaiting authentication (status {pi['status']}).", pi)
        if not success:
            pi["status"] = "requires_payment_method"
            pi["next_action"] = None
            pi["last_payment_error"] = payment_error("invalid_request_error", "payment_intent_authentication_failure",
                                                     AUTHENTICATION_FAILED, public(pm))
            intent_states.save(ctx, pi)
            ctx.emit("payment_intent.payment_failed", pi)
            return pi
        pi["_authenticated"] = True
        pi["last_payment_error"] = None
        pi["next_action"] = None
        try:
            return self.confirm(ctx, pi, pm, {"_authenticated": True})
        except StripeError as err:
            if err.commit:  # declined after authentication: recorded on the intent
                return ctx.get(pi["id"], "payment_intent")
            raise


CARD = Card()
