"""The ASGI application: Stripe-compatible API routes, hosted pages, and admin endpoints."""

from __future__ import annotations

import os
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route as StarletteRoute

from . import background, ledger_export, outbox_status, pages, three_d_secure
from .api import charges, customers, events, payment_intents, payment_methods  # noqa: F401  (register routes)
from .api import admin
from .api import cash_balance, test_helpers, webhook_endpoints  # noqa: F401  (register routes)
from .api import checkout_sessions  # noqa: F401  (register routes)
from .api import setup_intents  # noqa: F401  (register routes)
from .api import balance, disputes  # noqa: F401  (register routes: balance, payouts, disputes)
from . import checkout, stripe_js
from .cors import ApiCors
from .api import billing, billing_helpers  # noqa: F401  (register routes: subscriptions, invoices, dunning)
from .api.fast_path import ApiFastPath
from .pages.headers import PageHeaders
from .api.gateway import Gateway
from .api.registry import ROUTES, Route
from .core.redact import install_log_redaction
from .store.db import Store


def _endpoint(route: Route) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return await request.app.state.gateway.handle(request, route)

    endpoint.__name__ = route.handler.__name__
    return endpoint


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    message = f"Unrecognized request URL ({request.method}: {request.url.path})."
    if status == 405:
        message = f"Unrecognized request URL ({request.method}: {request.url.path}): this path does not accept {request.method}."
    return JSONResponse({"error": {"type": "invalid_request_error", "message": message}}, status_code=404)


def create_app(store: Store, *, gateway: Gateway | None = None) -> Starlette:
    install_log_redaction()  # no card number in any log line of this process, whoever logs it
    routes = [StarletteRoute(r.path, _endpoint(r), methods=[r.method]) for r in ROUTES]
    routes.append(StarletteRoute("/3ds/{id}", three_d_secure.challenge, methods=["GET", "POST"]))
    routes += pages.ROUTES  # konbini voucher, PayPal approval, QR code, bank transfer pages
    routes += checkout.routes()  # the hosted checkout page: /c/pay/{id}, its static files, autofill
    routes += stripe_js.routes()  # the Stripe.js-compatible script: /v3/ (what https://js.stripe.com/v3/ is routed to)
    routes.append(StarletteRoute("/_harness/ledger", ledger_export.export, methods=["GET"]))
    routes.append(StarletteRoute("/_harness/webhook_attempts", outbox_status.webhook_attempts, methods=["GET"]))
    routes.append(StarletteRoute("/_harness/outbox", outbox_status.outbox, methods=["GET"]))
    # lifespan: webhook delivery, mail (--smtp) and the sweep of due expiries run beside the requests
    app = Starlette(routes=routes, exception_handlers={HTTPException: _not_found}, lifespan=background.lifespan)
    # `/v1/charges/` is an unknown URL (a 404 envelope), as on Stripe, not a redirect without a body.
    app.router.redirect_slashes = False
    app.state.gateway = gateway or Gateway(store)
    admin.install(app)  # /_harness/faults, configured from server.py's environment
    app.add_middleware(PageHeaders)  # CSP, nosniff, no-store on pages and admin answers (the API goes round it)
    app.add_middleware(ApiFastPath, routes=ROUTES)  # /v1/ by table lookup, before Starlette's router
    app.add_middleware(ApiCors)  # browsers on a merchant's origin call /v1/ with a publishable key (Stripe.js)
    return app


def app_from_env() -> Starlette:
    """Factory for server processes: configuration comes from the environment (see server.py)."""
    from .server import die_with_supervisor

    die_with_supervisor()
    cache_mb = os.environ.get("CHECKOUT_GATEWAY_CACHE_MB")
    return create_app(Store(os.environ["CHECKOUT_GATEWAY_DB"], cache_mb=int(cache_mb) if cache_mb else None))
