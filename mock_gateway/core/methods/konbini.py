"""Konbini (convenience-store payment): a voucher with a code per store chain, paid or expired later.

confirm -> requires_action with next_action.konbini_display_details (expires_at, a hosted voucher
page on the gateway, confirmation number and payment code per chain) -> succeeded when paid, or,
at expires_at unpaid, payment_intent.payment_failed and then canceled (cancellation_reason
automatic). Test behaviour is Stripe's, chosen by the local part of the billing email:

    ...succeed_immediately@    paid at once (by the next sweep, or the clock's next advance)
    ...expire_immediately@     expires at once (expires_at is now)
    ...expire_with_delay@      expires after 3 minutes
    ...fill_never@             never paid; expires at expires_at
    anything else              paid after 3 minutes

`POST /v1/test_helpers/payment_intents/{id}/pay` pays a voucher now. Times follow the customer's
test clock when it has one.
"""

from __future__ import annotations

import secrets
from typing import Any

from .. import clock, intent_states
from ..context import Ctx
from ..errors import invalid_request
from ..tokens import same_secret
from . import base

CHAINS = ("familymart", "lawson", "ministop", "seicomart")
TEST_DELAY = 180  # Stripe's "after 3 minutes"
DEFAULT_DAYS = 3
JST = 9 * 3600


def expires_at(now: int, days: int) -> int:
    """23:59:59 JST on the day `days` calendar days after today in Japan (Stripe's rule)."""
    local = now + JST
    day_start = local - local % 86400
    return day_start + (days + 1) * 86400 - 1 - JST


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def test_behaviour(email: str | None) -> str:
    local = (email or "").partition("@")[0]
    for suffix in ("succeed_immediately", "expire_immediately", "expire_with_delay", "fill_never"):
        if local.endswith(suffix):
            return suffix
    return "succeed_with_delay"


class Konbini(base.MethodType):
    name = "konbini"
    currencies = ("jpy",)
    min_amount = 120
    max_amount = 300_000

    def create(self, ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
        billing = p.get("billing_details") or {}
        for key in ("name", "email"):
            if not billing.get(key):
                raise invalid_request(
                    f"Missing required param: billing_details[{key}] (konbini needs the customer's name and email "
                    "for the payment slip).",
                    param=f"billing_details[{key}]",
                    code="parameter_missing",
                )
        return super().create(ctx, p)

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        if pi.get("capture_method") == "manual":
            raise invalid_request("konbini does not support capture_method=manual.", param="capture_method")
        opts = base.options(pi, "konbini")
        prefix = "payment_method_options[konbini]"
        now = clock.now_for(ctx, pi.get("customer"))
        if "expires_at" in opts and "expires_after_days" in opts:
            raise invalid_request("Only one of expires_after_days or expires_at may be set.", param=f"{prefix}[expires_at]")
        behaviour = test_behaviour(pm["billing_details"].get("email"))
        if behaviour == "expire_immediately":
            expiry = now
        elif "expires_at" in opts:
            expiry = base.int_option(opts["expires_at"], f"{prefix}[expires_at]", now + 1, now + 60 * 86400)
        else:
            days = base.int_option(opts.get("expires_after_days", str(DEFAULT_DAYS)), f"{prefix}[expires_after_days]", 1, 60)
            expiry = expires_at(now, days)
        confirmation = opts.get("confirmation_number")
        if confirmation is not None and (not str(confirmation).isdigit() or len(str(confirmation)) not in (10, 11)
                                         or set(str(confirmation)) == {"0"}):
            raise invalid_request(
                "Invalid confirmation_number: expected 10 or 11 digits, not all zeroes (the customer's phone number works).",
                param=f"{prefix}[confirmation_number]",
            )
        confirmation = confirmation or _digits(11)
        token = secrets.token_urlsafe(18)
        pi["_voucher_token"] = token
        next_action = {
            "type": "konbini_display_details",
            "konbini_display_details": {
                "expires_at": expiry,
                "hosted_voucher_url": f"{ctx.base_url}/konbini/voucher/{pi['id']}/{token}",
                "stores": {chain: {"confirmation_number": confirmation, "payment_code": _digits(12)} for chain in CHAINS},
            },
        }
        clock_id = clock.clock_id_for(ctx, pi.get("customer"))
        clock.schedule(ctx, "konbini.expire", pi["id"], expiry, clock_id, {"token": token})
        if behaviour == "succeed_immediately":
            clock.schedule(ctx, "konbini.pay", pi["id"], now, clock_id, {"token": token, "chain": "lawson"})
        elif behaviour == "succeed_with_delay":
            clock.schedule(ctx, "konbini.pay", pi["id"], now + TEST_DELAY, clock_id, {"token": token, "chain": "familymart"})
        elif behaviour == "expire_with_delay":
            clock.schedule(ctx, "konbini.expire", pi["id"], min(expiry, now + TEST_DELAY), clock_id, {"token": token})
        else:
            clock.unschedule(ctx, "konbini.pay", pi["id"])
        return base.require_action(ctx, pi, next_action)


KONBINI = Konbini()


def _current(ctx: Ctx, pi_id: str, token: str) -> dict[str, Any] | None:
    """The intent if it still waits on the voucher `token` (a later confirm issues a new one)."""
    pi = ctx.store.get(pi_id)
    if pi is None or pi["status"] != "requires_action" or not same_secret(token, pi.get("_voucher_token")):
        return None
    return pi


def pay(ctx: Ctx, pi: dict[str, Any], chain: str = "familymart") -> dict[str, Any]:
    """The shopper paid at the store: the charge records the chain."""
    if chain not in CHAINS:
        raise invalid_request(f"Invalid store chain {chain!r}: expected one of {', '.join(CHAINS)}.", param="chain")
    pm = ctx.get(pi["payment_method"], "payment_method", "PaymentMethod")
    clock.unschedule(ctx, "konbini.expire", pi["id"])
    clock.unschedule(ctx, "konbini.pay", pi["id"])
    details = {"store": {"chain": chain}}
    return base.succeed(ctx, pi, pm, details)


def expire(ctx: Ctx, pi: dict[str, Any]) -> dict[str, Any]:
    """Unpaid at expires_at: the attempt fails, then the intent is canceled (automatic)."""
    clock.unschedule(ctx, "konbini.expire", pi["id"])
    clock.unschedule(ctx, "konbini.pay", pi["id"])
    base.fail(ctx, pi, "payment_intent_payment_attempt_expired", "The konbini voucher expired before the customer paid.")
    return intent_states.cancel(ctx, pi, {"_expired": True})


def _pay_task(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    pi = _current(ctx, ref, data["token"])
    if pi is not None:
        pay(ctx, pi, data.get("chain", "familymart"))


def _expire_task(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    pi = _current(ctx, ref, data["token"])
    if pi is not None:
        expire(ctx, pi)


TASKS: dict[str, clock.Handler] = {"konbini.pay": _pay_task, "konbini.expire": _expire_task}
