"""The PayPal approval page the shopper is redirected to: approve or cancel, then back to return_url."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..api.forms import text
from ..core.methods import wallets
from ..core.tokens import same_secret
from .common import act, back_to_merchant, intent, money, not_found, posted, render


async def approval(request: Request) -> Response:
    form = await posted(request)
    if isinstance(form, Response):
        return form
    secret = text(form, "client_secret") or request.query_params.get("client_secret")
    pi = intent(request)
    if pi is None or not same_secret(secret, pi.get("client_secret")) or pi.get("_payment_method_type") != "paypal":
        return not_found("PayPal approval")
    waiting = pi["status"] == "requires_action" and (pi.get("next_action") or {}).get("type") == "redirect_to_url"
    if request.method == "GET" or text(form, "action") not in ("approve", "cancel"):
        return render("paypal.html", pi=pi, amount=money(pi), client_secret=secret, waiting=waiting,
                      saving=bool(pi.get("setup_future_usage") and pi.get("customer")))
    if waiting:
        approved = form["action"] == "approve"
        pi = act(request, lambda ctx, fresh: wallets.approve(ctx, fresh, approved) if fresh["status"] == "requires_action" else None)
    return back_to_merchant(pi) or render("message.html", title="PayPal", message=f"Payment {pi['status']}. You can close this window.")
