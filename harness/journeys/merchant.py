"""What the merchant's backend does around a journey, through the gateway's public API: create
the Checkout Session before the shopper arrives, and read back what the person never sees (the
decline code, the session's status) for the record."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from harness.payment_errors import decline_code as payment_decline_code
from harness.stripe_api import encode

from .state import JourneyContext


async def create_session(ctx: JourneyContext) -> None:
    a = ctx.record.assignment
    locale = "ja" if ctx.shopper.person.locale.startswith("ja") else "en"
    # The hosted checkout's own confirmation page; against another target any page at this URL
    # (even a 404) tells the person the order went through, and the API confirms it.
    ctx.success_prefix = f"{ctx.target}/c/confirmation/"
    params = {
        "mode": "payment",
        "currency": ctx.currency,
        "line_items": [{"price_data": {"currency": ctx.currency, "unit_amount": ctx.amount,
                                       "product_data": {"name": "Harness test order"}}, "quantity": 1}],
        "success_url": ctx.success_prefix + "{CHECKOUT_SESSION_ID}",
        "cancel_url": f"{ctx.target}/checkout/cancel",
        "locale": locale,
        "variant": a.variant,
        "metadata": {"journey": a.journey_id, "persona": a.persona, "channel": "mobile_web" if ctx.shopper.is_phone else "web"},
    }
    started = time.perf_counter()
    response = await ctx.api.post("/v1/checkout/sessions", content=urlencode(encode(params)),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    ctx.record.system_ms += (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"creating the checkout session failed: {response.status_code} {response.text[:200]}")
    ctx.session = response.json()
    ctx.record.checkout_session = ctx.session["id"]


async def decline_code(ctx: JourneyContext) -> str | None:
    """For the record only (the person never sees it): the decline code the gateway gave."""
    session = (await ctx.api.get(f"/v1/checkout/sessions/{ctx.session['id']}", params={"expand[]": "payment_intent"})).json()
    pi = session.get("payment_intent")
    if isinstance(pi, dict):
        ctx.record.payment_intent = pi.get("id")
        return payment_decline_code(pi.get("last_payment_error"))
    return None


async def confirm_success(ctx: JourneyContext) -> None:
    """The person sees the confirmation page; the record takes the outcome from the session."""
    session = (await ctx.api.get(f"/v1/checkout/sessions/{ctx.session['id']}")).json()
    pi = session.get("payment_intent")
    ctx.record.payment_intent = pi if isinstance(pi, str) else (pi or {}).get("id")
    if session.get("status") == "complete":
        ctx.record.end("success", "confirmation")
        ctx.record.payment_method = ctx.record.payment_method or "card"  # no choice was offered: the card form
    else:
        ctx.record.end("error", "confirmation", None, f"success page but session is {session.get('status')}")
