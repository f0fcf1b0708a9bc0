"""/v1/test_helpers: test clocks, funding a cash balance, and acting for the shopper on pending payments.

The payment-intent helpers are harness extensions (Stripe has no API for them; its dashboard
and hosted pages do it): `pay` pays a konbini voucher, approves a QR or PayPal payment; `fail`
rejects a QR or PayPal payment; `expire` lets a konbini voucher or a QR code expire now.
"""

from __future__ import annotations

from typing import Any

from ..core import clock, test_clocks
from ..core.context import Ctx
from ..core.currencies import MAXIMUM_AMOUNT
from ..core.errors import invalid_request
from ..core.methods import bank_transfer, konbini, wallets
from ..core.methods import qr as qr_codes
from ..core.methods.base import awaiting
from .params import Currency, Enum, Integer, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_CLOCKS = "/v1/test_helpers/test_clocks"


MAX_FROZEN_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z: dates past it cannot be written as calendar dates

@route("POST", _CLOCKS, {"frozen_time": Integer(min=0, max=MAX_FROZEN_TIME).req(), "name": String(300)})
def create_clock(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return clock.create(ctx, p)


@route("GET", _CLOCKS + "/{id}")
def retrieve_clock(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "test_helpers.test_clock", "test clock")


class _AdvanceSteps:
    """How a server runs an advance: the clock marked advancing, due tasks a short step at a time, then ready."""

    @staticmethod
    def begin(ctx: Ctx, p: dict[str, Any], id: str) -> clock.Advance:
        return clock.begin_advance(ctx, ctx.get(id, "test_helpers.test_clock", "test clock"), p["frozen_time"])

    @staticmethod
    def step(ctx: Ctx, state: clock.Advance, enough: clock.StepBudget) -> bool:
        return clock.advance_step(ctx, state, enough)

    @staticmethod
    def finish(ctx: Ctx, state: clock.Advance) -> dict[str, Any]:
        return clock.finish_advance(ctx, state)


@route("POST", _CLOCKS + "/{id}/advance", {"frozen_time": Integer(min=0, max=MAX_FROZEN_TIME).req()}, steps=_AdvanceSteps)
def advance_clock(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return clock.advance(ctx, ctx.get(id, "test_helpers.test_clock", "test clock"), p["frozen_time"])


@route("DELETE", _CLOCKS + "/{id}")
def delete_clock(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return test_clocks.delete(ctx, ctx.get(id, "test_helpers.test_clock", "test clock"))


@route("GET", _CLOCKS, listing=True)
def list_clocks(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "test_helpers.test_clock", _CLOCKS, p)


@route(
    "POST",
    "/v1/test_helpers/customers/{customer}/fund_cash_balance",
    {"amount": Integer(min=1, max=MAXIMUM_AMOUNT).req(), "currency": Currency().req(), "reference": String(140)},
)
def fund_cash_balance(ctx: Ctx, p: dict[str, Any], customer: str) -> dict[str, Any]:
    cus = ctx.get(customer, "customer", param="customer")
    return bank_transfer.fund(ctx, cus, p["amount"], p["currency"], p.get("reference"))


_KONBINI = "konbini_display_details"
_PAYPAL = "redirect_to_url"


def _pending(ctx: Ctx, id: str) -> tuple[dict[str, Any], str]:
    pi = awaiting(ctx, id, (_KONBINI, _PAYPAL, *qr_codes.ACTIONS))
    action = pi["next_action"]["type"]
    if action == _PAYPAL and pi.get("_payment_method_type") != "paypal":
        raise invalid_request("This PaymentIntent waits on a card authentication: use its redirect page instead.", param="id")
    return pi, action


@route("POST", "/v1/test_helpers/payment_intents/{id}/pay", {"chain": Enum(*konbini.CHAINS)})
def pay(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    """Pay the konbini voucher now (at `chain`), or approve the QR / PayPal payment."""
    pi, action = _pending(ctx, id)
    if action == _KONBINI:
        return konbini.pay(ctx, pi, p.get("chain", "familymart"))
    if action == _PAYPAL:
        return wallets.approve(ctx, pi, True)
    return qr_codes.scan(ctx, pi, True)


@route("POST", "/v1/test_helpers/payment_intents/{id}/fail")
def fail(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    """The shopper rejects the QR payment in the app, or cancels on PayPal."""
    pi, action = _pending(ctx, id)
    if action == _KONBINI:
        raise invalid_request("A konbini voucher cannot be rejected, only paid or left to expire (use expire).", param="id")
    if action == _PAYPAL:
        return wallets.approve(ctx, pi, False)
    return qr_codes.scan(ctx, pi, False)


@route("POST", "/v1/test_helpers/payment_intents/{id}/expire")
def expire(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    """Let the konbini voucher or QR code expire now."""
    pi, action = _pending(ctx, id)
    if action == _KONBINI:
        return konbini.expire(ctx, pi)
    if action == _PAYPAL:
        raise invalid_request("A PayPal approval does not expire; use fail to cancel it.", param="id")
    return qr_codes.expire(ctx, pi)
