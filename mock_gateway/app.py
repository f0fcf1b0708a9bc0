"""The ASGI application: Stripe-compatible API routes, hosted pages, and admin endpoints."""

from __future__ import annotations

import os
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from . import background, checkout, ledger_export, outbox_status, pages, stripe_js, three_d_secure
from .api import (
    admin,
    balance,
    billing,
    billing_helpers,
    cash_balance,
    charges,
    checkout_sessions,
    customers,
    disputes,
    events,
    invoice_payments,
    payment_intents,
    payment_methods,
    search,
    setup_intents,
    subscription_items,
    test_helpers,
    webhook_endpoints,
)
from .api.gateway import Gateway
from .api.registry import Route
from .api.router import api_mount, unrecognized
from .core.redact import install_log_redaction
from .cors import ApiCors
from .pages.headers import PageHeaders
from .store.db import Store

# Every /v1/ endpoint: the API modules' tables, joined here (in this order, first match wins).
ROUTES: list[Route] = [
    *search.ROUTES,  # before /v1/<resource>/{id}, which "search" would match
    *charges.ROUTES,
    *customers.ROUTES,
    *events.ROUTES,
    *payment_methods.ROUTES,
    *payment_intents.ROUTES,
    *cash_balance.ROUTES,
    *test_helpers.ROUTES,
    *webhook_endpoints.ROUTES,
    *invoice_payments.ROUTES,
    *subscription_items.ROUTES,
    *checkout_sessions.ROUTES,
    *setup_intents.ROUTES,
    *balance.ROUTES,  # balance, balance transactions, payouts
    *disputes.ROUTES,
    *billing.ROUTES,  # subscriptions, invoices, dunning
    *billing_helpers.ROUTES,
]


async def _not_found(request: Request, exc: Exception) -> Response:
    """Pages and admin URLs Starlette's router does not know: Stripe's envelope, as under /v1 (api/router.py)."""
    return unrecognized(request.method, request.url.path, other_method=getattr(exc, "status_code", 404) == 405)


class GatewayApp(Starlette):
    """The app, with one way round Starlette's layers: a request under /v1/ goes straight to the API's router
    (through its CORS headers). The API's pipeline answers every error itself in Stripe's envelope and no page
    middleware applies to it, so the error and exception middleware, the page headers and the router's scan
    that Starlette puts around each request cost the API's requests time for nothing (docs/performance.md).
    Everything else (pages, admin, lifespan) goes through Starlette as before."""

    api: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            scope["app"] = self
            await self.api(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(store: Store, *, gateway: Gateway | None = None) -> Starlette:
    install_log_redaction()  # no card number in any log line of this process, whoever logs it
    api = api_mount(ROUTES)  # everything under /v1: one Mount with its own table (api/router.py)
    routes: list[Any] = [api]
    routes.append(StarletteRoute("/3ds/{id}", three_d_secure.challenge, methods=["GET", "POST"]))
    routes += pages.ROUTES  # konbini voucher, PayPal approval, QR code, bank transfer pages
    routes += checkout.routes()  # the hosted checkout page: /c/pay/{id}, its static files, autofill
    routes += stripe_js.routes()  # the Stripe.js-compatible script: /v3/ (what https://js.stripe.com/v3/ is routed to)
    routes.append(StarletteRoute("/_harness/ledger", ledger_export.export, methods=["GET"]))
    routes.append(StarletteRoute("/_harness/webhook_attempts", outbox_status.webhook_attempts, methods=["GET"]))
    routes.append(StarletteRoute("/_harness/outbox", outbox_status.outbox, methods=["GET"]))
    # lifespan: webhook delivery, mail (--smtp) and the sweep of due expiries run beside the requests
    app = GatewayApp(routes=routes, exception_handlers={HTTPException: _not_found}, lifespan=background.lifespan)
    app.api = ApiCors(api.app)  # the same router as the Mount's, which stays for whoever lists the routes
    # `/v1/charges/` is an unknown URL (a 404 envelope), as on Stripe, not a redirect without a body.
    app.router.redirect_slashes = False
    app.state.gateway = gateway or Gateway(store)
    admin.install(app)  # /_harness/faults, configured from server.py's environment
    app.add_middleware(PageHeaders)  # CSP, nosniff, no-store on pages and admin answers (the API goes round it)
    app.add_middleware(ApiCors)  # browsers on a merchant's origin call /v1/ with a publishable key (Stripe.js)
    return app


def app_from_env() -> Starlette:
    """Factory for server processes: configuration comes from the environment (see server.py)."""
    from .server import die_with_supervisor

    die_with_supervisor()
    cache_mb = os.environ.get("CHECKOUT_GATEWAY_CACHE_MB")
    return create_app(Store(os.environ["CHECKOUT_GATEWAY_DB"], cache_mb=int(cache_mb) if cache_mb else None))
