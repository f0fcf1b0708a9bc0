"""The shop's web server (Starlette): pages, the order API its checkout page calls, the return
page and the webhook. Payments go through the official `stripe` SDK pointed at the gateway."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, urlencode

import stripe
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import catalog
from .orders import Orders, RequestLog

HERE = Path(__file__).resolve().parent
STRIPE_JS_DEFAULT = "https://js.stripe.com/v3/"
log = logging.getLogger("examples.shop")


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


def _shop(request: Request) -> Shop:
    return request.app.state.shop


def _cart(request: Request) -> dict[str, int]:
    return catalog.parse_cart(request.cookies.get("cart"))


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


# -- pages -------------------------------------------------------------------------------------------

async def index(request: Request) -> Response:
    cart = _cart(request)
    return _shop(request).page("index.html", products=list(catalog.PRODUCTS.values()), count=sum(cart.values()))


async def cart_page(request: Request) -> Response:
    cart = _cart(request)
    return _shop(request).page("cart.html", lines=catalog.lines(cart), total=catalog.total(cart), count=sum(cart.values()))


async def cart_add(request: Request) -> Response:
    form = await _form(request)
    cart = _cart(request)
    sku = form.get("sku", "")
    if sku in catalog.PRODUCTS:
        cart[sku] = min(catalog.MAX_QUANTITY, cart.get(sku, 0) + 1)
    if form.get("remove") in cart:
        cart.pop(form["remove"])
    response = RedirectResponse("/cart", status_code=303)
    response.set_cookie("cart", catalog.format_cart(cart), httponly=True, samesite="lax")
    return response


async def checkout(request: Request) -> Response:
    """The Stripe.js checkout: card fields from Stripe.js; the card never reaches this server."""
    shop = _shop(request)
    cart = _cart(request)
    if not cart:
        return RedirectResponse("/", status_code=303)
    ui = "payment" if request.query_params.get("ui") == "payment" else "card"
    config: dict[str, Any] = {"publishableKey": shop.config.publishable_key, "ui": ui,
                              "returnUrl": f"{shop.config.public_url}/order/return"}
    if ui == "payment":  # the Payment Element is created from the PaymentIntent's client secret
        from starlette.concurrency import run_in_threadpool

        try:
            order, intent = await run_in_threadpool(_new_order, shop, cart, "", "")
        except stripe.StripeError as err:
            return shop.page("result.html", 502, ok=False, message=f"The payment service is unavailable ({err.user_message or err}).",
                             retry=True)
        config.update(clientSecret=intent.client_secret, orderId=order.id)
    return shop.page("checkout.html", lines=catalog.lines(cart), total=catalog.total(cart), config=config, ui=ui,
                     count=sum(cart.values()))


def _new_order(shop: Shop, cart: dict[str, int], email: str, name: str) -> tuple[Any, Any]:
    order = shop.orders.create(catalog.total(cart), cart, email, name)
    params: dict[str, Any] = {"amount": order.amount, "currency": catalog.CURRENCY, "payment_method_types": ["card"],
                              "metadata": {"order_id": order.id}, "description": f"Hoshino Coffee order {order.id}"}
    if email:
        params["receipt_email"] = email
    intent = shop.stripe.v1.payment_intents.create(params=params, options={"idempotency_key": f"{shop.instance}-{order.id}"})
    order.payment_intent = intent.id
    return order, intent


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_order(request: Request, body: dict[str, Any]) -> Response:
    """POST /api/orders {email, name}: an order for the cart and its PaymentIntent's client secret."""
    shop = _shop(request)
    cart = _cart(request)
    errors = {}
    email, name = str(body.get("email", "")).strip(), str(body.get("name", "")).strip()
    if not _EMAIL.match(email):
        errors["email"] = "Enter an email address like name@example.com."
    if not name:
        errors["name"] = "Enter the name on the card."
    if not cart:
        errors["cart"] = "Your cart is empty."
    if errors:
        return JSONResponse({"errors": errors}, status_code=400)
    try:
        order, intent = _new_order(shop, cart, email, name)
    except stripe.StripeError as err:
        return JSONResponse({"errors": {"payment": f"The payment service is unavailable ({err.user_message or err})."}}, status_code=502)
    return JSONResponse({"orderId": order.id, "clientSecret": intent.client_secret})


async def api_orders(request: Request) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JSONResponse({"errors": {"request": "Expected a JSON object with email and name."}}, status_code=400)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(create_order, request, body)


def order_return(request: Request) -> Response:
    """Where a payment ends (return_url): the backend asks the gateway how it went."""
    shop = _shop(request)
    intent_id = request.query_params.get("payment_intent", "")
    if not intent_id.startswith("pi_"):
        return shop.page("result.html", 400, ok=False, message="This page needs a payment_intent.")
    try:
        intent = shop.stripe.v1.payment_intents.retrieve(intent_id)
    except stripe.StripeError as err:
        return shop.page("result.html", 404, ok=False, message=f"We could not find that payment ({err.user_message or err}).")
    order_id = intent.metadata.to_dict().get("order_id", "") if intent.metadata else ""
    order = shop.orders.get(order_id)
    if order is None:
        return shop.page("result.html", 404, ok=False, message="We could not find that order.")
    if intent.status in ("succeeded", "processing", "requires_capture"):
        shop.orders.mark_paid(order.id, intent.id, "return page")
        response = shop.page("result.html", ok=True, order=order, intent_status=intent.status)
        response.delete_cookie("cart")
        return response
    error = intent.last_payment_error.message if intent.last_payment_error else "The payment was not completed."
    return shop.page("result.html", 402, ok=False, message=error, retry=True)


# -- the plain HTML form: the card is posted to this server, which charges it with the SDK -----------

PLAIN_FIELDS = ("email", "name", "card_number", "expiry", "cvc", "country", "postal_code", "terms")
COUNTRIES = (("JP", "Japan"), ("US", "United States"), ("GB", "United Kingdom"), ("DE", "Germany"), ("FR", "France"),
             ("CA", "Canada"), ("AU", "Australia"), ("KR", "South Korea"), ("TW", "Taiwan"), ("SG", "Singapore"))


def _plain_errors(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not _EMAIL.match(form.get("email", "").strip()):
        errors["email"] = "Please enter a valid email address."
    if not form.get("name", "").strip():
        errors["name"] = "Please enter the name on your card."
    number = re.sub(r"[\s-]", "", form.get("card_number", ""))
    if not number.isdigit() or not 13 <= len(number) <= 19:
        errors["card_number"] = "Please enter a valid card number."
    expiry = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", form.get("expiry", ""))
    if expiry is None or not 1 <= int(expiry.group(1)) <= 12:
        errors["expiry"] = "Please enter the expiry date as MM/YY."
    if not re.fullmatch(r"\d{3,4}", form.get("cvc", "").strip()):
        errors["cvc"] = "Please enter the 3 or 4 digit security code."
    if form.get("country") not in dict(COUNTRIES):
        errors["country"] = "Please choose your country."
    if not form.get("postal_code", "").strip():
        errors["postal_code"] = "Please enter your postal code."
    if form.get("terms") != "yes":
        errors["terms"] = "Please accept the terms of sale."
    return errors


async def plain_form(request: Request) -> Response:
    cart = _cart(request)
    if not cart:
        return RedirectResponse("/", status_code=303)
    return _shop(request).page("pay.html", lines=catalog.lines(cart), total=catalog.total(cart), form={"country": "JP"},
                               errors={}, countries=COUNTRIES, count=sum(cart.values()))


async def plain_submit(request: Request) -> Response:
    form = {k: v for k, v in (await _form(request)).items() if k in PLAIN_FIELDS}
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_plain_charge, request, form)


def _plain_charge(request: Request, form: dict[str, str]) -> Response:
    shop = _shop(request)
    cart = _cart(request)
    if not cart:
        return RedirectResponse("/", status_code=303)
    errors = _plain_errors(form)
    kept = {k: v for k, v in form.items() if k not in ("card_number", "cvc")}  # never echoed back into the page

    def again(status: int, errors: dict[str, str], message: str | None = None) -> Response:
        return shop.page("pay.html", status, lines=catalog.lines(cart), total=catalog.total(cart), form=kept, errors=errors,
                         message=message, countries=COUNTRIES, count=sum(cart.values()))

    if errors:
        return again(400, errors)
    month, year = (int(x) for x in re.split(r"\s*/\s*", form["expiry"].strip()))
    order = shop.orders.create(catalog.total(cart), cart, form["email"].strip(), form["name"].strip())
    try:
        intent = shop.stripe.v1.payment_intents.create(params={
            "amount": order.amount, "currency": catalog.CURRENCY, "payment_method_types": ["card"], "confirm": True,
            "return_url": f"{shop.config.public_url}/order/return", "metadata": {"order_id": order.id},
            "receipt_email": order.email, "description": f"Hoshino Coffee order {order.id}",
            "payment_method_data": {
                "type": "card",
                "card": {"number": re.sub(r"[\s-]", "", form["card_number"]), "exp_month": month,
                         "exp_year": year + 2000 if year < 100 else year, "cvc": form["cvc"].strip()},
                "billing_details": {"name": order.name, "email": order.email,
                                    "address": {"country": form["country"], "postal_code": form["postal_code"].strip()}},
            },
        }, options={"idempotency_key": f"{shop.instance}-{order.id}"})
    except stripe.CardError as err:
        return again(402, {"card_number": err.user_message or "Your card was declined."}, message=err.user_message)
    except stripe.StripeError as err:
        return again(502, {}, message=f"We could not take the payment right now ({err.user_message or err}). Please try again.")
    order.payment_intent = intent.id
    if intent.status == "requires_action" and intent.next_action and intent.next_action.type == "redirect_to_url":
        return RedirectResponse(intent.next_action.redirect_to_url.url, status_code=303)  # 3-D Secure at the card's bank
    return RedirectResponse(f"/order/return?{urlencode({'payment_intent': intent.id})}", status_code=303)


# -- webhooks and the shop's own records ------------------------------------------------------------

async def webhook(request: Request) -> Response:
    shop = _shop(request)
    payload = await request.body()
    if shop.webhook_secret is None:
        return JSONResponse({"error": "no webhook endpoint registered"}, status_code=400)
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), shop.webhook_secret)
    except (ValueError, stripe.SignatureVerificationError) as err:
        return JSONResponse({"error": f"bad signature or payload: {err}"}, status_code=400)
    if event.type == "payment_intent.succeeded":
        intent = event.data.object.to_dict()
        shop.orders.mark_paid((intent.get("metadata") or {}).get("order_id", ""), intent["id"], "webhook")
    return JSONResponse({"received": True})


async def order_json(request: Request) -> Response:
    order = _shop(request).orders.get(request.path_params["id"])
    if order is None:
        return JSONResponse({"error": "no such order"}, status_code=404)
    return JSONResponse({"id": order.id, "amount": order.amount, "status": order.status, "paid_by": order.paid_by,
                         "payment_intent": order.payment_intent})


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


# -- the request log ---------------------------------------------------------------------------------

class LogRequests:
    """ASGI middleware: every request's method, path, query and body go to the shop's RequestLog."""

    def __init__(self, app: ASGIApp, shop: Shop) -> None:
        self.app = app
        self.shop = shop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        try:
            await self.app(scope, recording_receive, send)
        finally:
            self.shop.log.write({"method": scope["method"], "path": scope["path"],
                                 "query": scope.get("query_string", b"").decode("latin-1"),
                                 "body": b"".join(chunks).decode("utf-8", "replace")})


def create_app(config: ShopConfig) -> Starlette:
    shop = Shop(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if config.webhooks:
            from starlette.concurrency import run_in_threadpool

            try:
                endpoint = await run_in_threadpool(shop.stripe.v1.webhook_endpoints.create, params={
                    "url": f"{config.public_url}/webhooks/stripe",
                    "enabled_events": ["payment_intent.succeeded", "payment_intent.payment_failed"]})
                shop.webhook_secret = endpoint.secret
            except stripe.StripeError as err:  # the shop still sells; orders are confirmed by the return page
                log.warning("could not register the webhook endpoint at %s: %s", config.gateway, err)
        yield

    routes = [
        Route("/", index), Route("/cart", cart_page, methods=["GET"]), Route("/cart", cart_add, methods=["POST"]),
        Route("/checkout", checkout), Route("/api/orders", api_orders, methods=["POST"]),
        Route("/pay", plain_form, methods=["GET"]), Route("/pay", plain_submit, methods=["POST"]),
        Route("/order/return", order_return), Route("/orders/{id}.json", order_json),
        Route("/webhooks/stripe", webhook, methods=["POST"]), Route("/health", health),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.shop = shop
    app.add_middleware(LogRequests, shop=shop)
    return app
