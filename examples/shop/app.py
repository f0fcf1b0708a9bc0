"""The shop's web server (Starlette): the routes, the request log, and the webhook endpoint it
registers on the gateway at start. Payments go through the official `stripe` SDK (shop.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import stripe
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import card_form, pages
from .orders import LogRequests
from .shop import HERE, STRIPE_JS_DEFAULT, Shop, ShopConfig

__all__ = ["STRIPE_JS_DEFAULT", "ShopConfig", "create_app"]
log = logging.getLogger("examples.shop")


def create_app(config: ShopConfig) -> Starlette:
    shop = Shop(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if config.webhooks:
            try:
                endpoint = await run_in_threadpool(shop.stripe.v1.webhook_endpoints.create, params={
                    "url": f"{config.public_url}/webhooks/stripe",
                    "enabled_events": ["payment_intent.succeeded", "payment_intent.payment_failed"]})
                shop.webhook_secret = endpoint.secret
            except stripe.StripeError as err:  # the shop still sells; orders are confirmed by the return page
                log.warning("could not register the webhook endpoint at %s: %s", config.gateway, err)
        yield

    routes = [
        Route("/", pages.index), Route("/cart", pages.cart_page, methods=["GET"]), Route("/cart", pages.cart_add, methods=["POST"]),
        Route("/checkout", pages.checkout), Route("/api/orders", pages.api_orders, methods=["POST"]),
        Route("/pay", card_form.plain_form, methods=["GET"]), Route("/pay", card_form.plain_submit, methods=["POST"]),
        Route("/order/return", pages.order_return), Route("/orders/{id}.json", pages.order_json),
        Route("/webhooks/stripe", pages.webhook, methods=["POST"]), Route("/health", pages.health),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.shop = shop
    app.add_middleware(LogRequests, log=shop.log)
    return app
