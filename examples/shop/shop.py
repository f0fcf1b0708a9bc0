"""What the shop's handlers share: its configuration, the SDK client, orders, templates, the cart."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import stripe
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from . import catalog
from .orders import Orders, RequestLog

HERE = Path(__file__).resolve().parent
STRIPE_JS_DEFAULT = "https://js.stripe.com/v3/"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ShopConfig:
    gateway: str  # the Stripe-compatible API the backend's SDK talks to (api_base)
    public_url: str  # where shoppers (and the gateway's webhooks) reach this shop
    secret_key: str = "sk_test_hoshino_coffee"
    publishable_key: str = "pk_test_hoshino_coffee"
    stripe_js: str = STRIPE_JS_DEFAULT  # where pages load Stripe.js from
    request_log: Path | None = None
    webhooks: bool = True  # register a webhook endpoint on the gateway at start


class Shop:
    """What the handlers share: configuration, the SDK client, orders, templates."""

    def __init__(self, config: ShopConfig) -> None:
        self.config = config
        self.stripe = stripe.StripeClient(config.secret_key, base_addresses={"api": config.gateway.rstrip("/")},
                                          max_network_retries=2)
        self.orders = Orders()
        self.instance = uuid.uuid4().hex[:10]  # order numbers restart with the process; idempotency keys must not
        self.log = RequestLog(config.request_log)
        self.webhook_secret: str | None = None
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
        self.templates.filters["yen"] = catalog.yen

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(self.templates.get_template(name).render(stripe_js=self.config.stripe_js, **values), status_code=status)


def shop_of(request: Request) -> Shop:
    return request.app.state.shop


def cart_of(request: Request) -> dict[str, int]:
    return catalog.parse_cart(request.cookies.get("cart"))


async def read_form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))
