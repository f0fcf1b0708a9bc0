"""GET /_harness/webhook_attempts and /_harness/outbox: what was delivered, retried or given up.

    /_harness/webhook_attempts?endpoint=we_...&event=evt_...&limit=100   attempts, newest first
    /_harness/outbox                                                     delivery and mail counts by state

Harness extensions (Stripe shows attempts in its dashboard only). They need the admin token
(see api/admin.py), as every /_harness/ endpoint.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import mail, webhooks
from .api.admin import refusal
from .core.errors import StripeError, invalid_request


async def webhook_attempts(request: Request) -> Response:
    refused = refusal(request)
    if refused is not None:
        return refused
    try:
        params = dict(request.query_params)
        unknown = set(params) - {"endpoint", "event", "limit"}
        if unknown:
            name = sorted(unknown)[0]
            raise invalid_request(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")
        limit = params.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 10000:
            raise invalid_request(f"Invalid limit: expected 1 to 10000, found {limit[:20]!r}.", param="limit")
    except StripeError as err:
        return JSONResponse(err.envelope(), status_code=err.status)
    store = request.app.state.gateway.store
    data = webhooks.attempts(store, params.get("endpoint"), params.get("event"), int(limit))
    return JSONResponse({"object": "list", "data": data})


async def outbox(request: Request) -> Response:
    refused = refusal(request)
    if refused is not None:
        return refused
    store = request.app.state.gateway.store
    return JSONResponse({"webhook_deliveries": webhooks.delivery_counts(store), "mail": mail.outbox_counts(store)})
