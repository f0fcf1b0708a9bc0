"""What the hosted pages share: templates, finding the intent, acting in one transaction, and
the redirect back to the merchant's return_url."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..api.forms import read_form
from ..core.context import Ctx
from ..core.currencies import format_amount
from ..core.errors import StripeError

templates = Environment(loader=PackageLoader("mock_gateway", "templates/pages"), autoescape=select_autoescape())


def render(name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**values), status_code=status_code)


def not_found(what: str = "payment") -> HTMLResponse:
    return render("message.html", 404, title="Not found", message=f"Unknown or expired {what} link.")


def form_error(message: str, status: int = 400) -> HTMLResponse:
    """A page-level error for a form the page cannot act on (malformed, too large, from another site)."""
    return render("message.html", status, title="This form could not be used", message=message)


def foreign_origin(request: Request) -> Response | None:
    """A POST whose Origin header names another site (or an opaque `null` origin) is refused.
    Browsers send Origin with every form POST; clients that send none (SDKs, scripts) are let through."""
    origin = request.headers.get("origin")
    if origin is None or origin == f"{request.url.scheme}://{request.headers.get('host', '')}":
        return None
    return form_error("This form was sent from another site; open the payment page and try again there.", 403)


async def posted(request: Request, limit: int | None = None) -> dict[str, Any] | Response:
    """A hosted page's POST body, parsed as the API parses one, or the page-level error to answer instead.
    A GET has no form: {}."""
    if request.method != "POST":
        return {}
    refused = foreign_origin(request)
    if refused is not None:
        return refused
    try:
        return await (read_form(request) if limit is None else read_form(request, limit))
    except StripeError as err:
        return form_error(err.message, 413 if err.status == 413 else 400)


def money(pi: dict[str, Any]) -> str:
    return f"¥{pi['amount']:,}" if pi["currency"] == "jpy" else format_amount(pi["amount"], pi["currency"])


def intent(request: Request) -> dict[str, Any] | None:
    pi = request.app.state.gateway.store.get(request.path_params["id"])
    return pi if pi is not None and pi.get("object") == "payment_intent" else None


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def act(request: Request, fn: Callable[[Ctx, dict[str, Any]], Any]) -> dict[str, Any]:
    """Run `fn(ctx, fresh intent)` in one transaction, as an API request would; returns the intent after."""
    gateway = request.app.state.gateway
    store = gateway.store
    with store.transaction():
        ctx = Ctx(store, base_url(request), int(gateway.clock()))
        pi = store.get(request.path_params["id"])
        fn(ctx, pi)
        return store.get(pi["id"])


def back_to_merchant(pi: dict[str, Any]) -> Response | None:
    """303 to return_url with payment_intent, its client secret and redirect_status, as Stripe does."""
    return_url = pi.get("_return_url")
    if not return_url:
        return None
    status = "succeeded" if pi["status"] in ("succeeded", "requires_capture", "processing") else "failed"
    parts = urlsplit(return_url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        (pi["object"], pi["id"]),  # payment_intent, or setup_intent for a SetupIntent's challenge
        (f"{pi['object']}_client_secret", pi["client_secret"]),
        ("redirect_status", status),
    ]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), status_code=303)
