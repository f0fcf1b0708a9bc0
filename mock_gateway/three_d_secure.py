"""The 3-D Secure challenge page a shopper is redirected to, and back to `return_url`."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .api.forms import text
from .core import payment_intents, setup_intents
from .core.context import Ctx
from .core.currencies import format_amount
from .core.tokens import same_secret
from .pages.common import back_to_merchant, posted
from .pages.headers import CSP

_templates = Environment(loader=PackageLoader("mock_gateway", "templates"), autoescape=select_autoescape())


def _intent(request: Request, secret: str | None) -> dict | None:
    gateway = request.app.state.gateway
    pi = gateway.store.get(request.path_params["id"])
    if pi is None or pi.get("object") not in ("payment_intent", "setup_intent") or not same_secret(secret, pi.get("client_secret")):
        return None
    return pi


def _framing(pi: dict) -> dict[str, str]:
    """Stripe.js shows this page in a frame of the merchant's page that confirmed the payment with
    its publishable key: that page's origin (recorded from its request's Origin header, which a
    page cannot forge) may frame it; no other may (pages/headers.py: frame-ancestors 'none')."""
    origin = pi.get("_frame_origin")
    if not origin:
        return {}
    return {"Content-Security-Policy": CSP.decode().replace("frame-ancestors 'none'", f"frame-ancestors {origin}")}


async def challenge(request: Request) -> Response:
    """GET shows the challenge; POST completes or fails it and redirects to the return_url."""
    form = await posted(request)
    if isinstance(form, Response):
        return form
    secret = text(form, "client_secret") or request.query_params.get("client_secret")
    pi = _intent(request, secret)
    if pi is None:
        return HTMLResponse("<h1>Unknown or expired authentication request</h1>", status_code=404)
    template = _templates.get_template("three_d_secure.html")
    if request.method == "GET" or text(form, "action") not in ("complete", "fail"):
        if pi["status"] != "requires_action":
            return HTMLResponse(template.render(done=f"This payment no longer needs authentication ({pi['status']})."))
        pm = request.app.state.gateway.store.get(pi["payment_method"]) or {}
        return HTMLResponse(
            template.render(
                amount=format_amount(pi["amount"], pi["currency"]) if "amount" in pi else "0 (saving the card)",
                last4=(pm.get("card") or {}).get("last4", "????"),
                client_secret=secret,
            ),
            headers=_framing(pi),
        )
    gateway = request.app.state.gateway
    success = form["action"] == "complete"
    store = gateway.store
    with store.transaction():
        ctx = Ctx(store, f"{request.url.scheme}://{request.headers.get('host', '')}", int(gateway.clock()))
        fresh = store.get(pi["id"])
        if fresh["status"] == "requires_action" and fresh["object"] == "setup_intent":
            fresh = setup_intents.complete_authentication(ctx, fresh, success)
        elif fresh["status"] == "requires_action":
            fresh = payment_intents.complete_authentication(ctx, fresh, success)
    redirect = back_to_merchant(fresh)
    if redirect is None:
        return HTMLResponse(template.render(done=f"Authentication {'completed' if success else 'failed'}. You can close this window."))
    return redirect
