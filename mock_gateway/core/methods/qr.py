"""QR code payments (PayPay, and Stripe's other QR methods: PromptPay, PayNow).

confirm -> requires_action with next_action.<type>_display_qr_code: the QR code's data, PNG and
SVG images (rendered by segno on the gateway), a hosted instructions page and expires_at. The
data is the URL of the gateway's scan page: a phone that scans the code opens it and approves or
rejects the payment (or the test helpers do). Unpaid at expires_at: payment_intent.payment_failed
and back to requires_payment_method, as Stripe does for QR methods. Expiry follows the customer's
test clock when it has one; `payment_method_options[<type>][expires_after_seconds]` (a harness
extension, 60 to 86400) changes the default of one hour.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import segno

from .. import clock
from ..context import Ctx
from ..tokens import same_secret
from . import base

DEFAULT_TTL = 3600


class QrMethod(base.MethodType):
    redirects = True  # the shopper acts on another device

    def __init__(self, name: str, currencies: tuple[str, ...], min_amount: int = 1, max_amount: int | None = None) -> None:
        self.name = name
        self.currencies = currencies
        self.min_amount = min_amount
        self.max_amount = max_amount

    @property
    def action(self) -> str:
        return f"{self.name}_display_qr_code"

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        opts = base.options(pi, self.name)
        ttl = DEFAULT_TTL
        if "expires_after_seconds" in opts:
            ttl = base.int_option(opts["expires_after_seconds"], f"payment_method_options[{self.name}][expires_after_seconds]", 60, 86400)
        now = clock.now_for(ctx, pi.get("customer"))
        token = secrets.token_urlsafe(18)
        pi["_qr_token"] = token
        page = f"{ctx.base_url}/qr/{pi['id']}/{token}"
        clock.schedule(ctx, "qr_code.expire", pi["id"], now + ttl, clock.clock_id_for(ctx, pi.get("customer")), {"token": token})
        return base.require_action(ctx, pi, {
            "type": self.action,
            self.action: {
                "data": f"{page}/scan",
                "expires_at": now + ttl,
                "hosted_instructions_url": page,
                "image_url_png": f"{page}.png",
                "image_url_svg": f"{page}.svg",
            },
        })


QR_METHODS = {
    m.name: m
    for m in (QrMethod("paypay", ("jpy",), 1, 1_000_000), QrMethod("promptpay", ("thb",), 2000, 15_000_000), QrMethod("paynow", ("sgd",), 100))
}
ACTIONS = tuple(m.action for m in QR_METHODS.values())


def image(data: str, kind: str) -> bytes:
    """The QR code for `data` as PNG or SVG bytes."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind=kind, scale=6 if kind == "png" else 4, border=4)
    return buffer.getvalue()


def current(ctx: Ctx, pi_id: str, token: str) -> dict[str, Any] | None:
    """The intent if it still shows the QR code `token`."""
    pi = ctx.store.get(pi_id)
    if pi is None or pi.get("object") != "payment_intent" or not same_secret(token, pi.get("_qr_token")):
        return None
    return pi


def scan(ctx: Ctx, pi: dict[str, Any], approved: bool) -> dict[str, Any]:
    """The shopper approved (or rejected) the payment in the app after scanning."""
    clock.unschedule(ctx, "qr_code.expire", pi["id"])
    if not approved:
        return base.fail(ctx, pi, "payment_intent_payment_attempt_failed", "The customer rejected the payment in the app.")
    pm = ctx.get(pi["payment_method"], "payment_method", "PaymentMethod")
    return base.succeed(ctx, pi, pm, {})


def expire(ctx: Ctx, pi: dict[str, Any]) -> dict[str, Any]:
    clock.unschedule(ctx, "qr_code.expire", pi["id"])
    return base.fail(ctx, pi, "payment_intent_payment_attempt_expired", "The QR code expired before the customer paid.")


def _expire_task(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    pi = current(ctx, ref, data["token"])
    if pi is not None and pi["status"] == "requires_action":
        expire(ctx, pi)


TASKS: dict[str, clock.Handler] = {"qr_code.expire": _expire_task}
