"""The shop's pages and its order API: products, cart, the Stripe.js checkout (the card goes from
the browser to the gateway, never here), the return page, the webhook and the shop's records."""

from __future__ import annotations

from typing import Any

import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import catalog
from .shop import EMAIL, Shop, cart_of, read_form, shop_of


async def index(request: Request) -> Response:
    cart = cart_of(request)
    return shop_of(request).page("index.html", products=list(catalog.PRODUCTS.values()), count=sum(cart.values()))


async def cart_page(request: Request) -> Response:
    cart = cart_of(request)
    return shop_of(request).page("cart.html", lines=catalog.lines(cart), total=catalog.total(cart), count=sum(cart.values()))


async def cart_add(request: Request) -> Response:
    form = await read_form(request)
    cart = cart_of(request)
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
    shop = shop_of(request)
    cart = cart_of(request)
    if not cart:
        return RedirectResponse("/", status_code=303)
    ui = "payment" if request.query_params.get("ui") == "payment" else "card"
    config: dict[str, Any] = {"publishableKey": shop.config.publishable_key, "ui": ui,
                              "returnUrl": f"{shop.config.public_url}/order/return"}
    if ui == "payment":  # the Payment Element is created from the PaymentIntent's client secret
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


def create_order(request: Request, body: dict[str, Any]) -> Response:
    """POST /api/orders {email, name}: an order for the cart and its PaymentIntent's client secret."""
    shop = shop_of(request)
    cart = cart_of(request)
    errors = {}
    email, name = str(body.get("email", "")).strip(), str(body.get("name", "")).strip()
    if not EMAIL.match(email):
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
    return await run_in_threadpool(create_order, request, body)


def order_return(request: Request) -> Response:
    """Where a payment ends (return_url): the backend asks the gateway how it went."""
    shop = shop_of(request)
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


async def webhook(request: Request) -> Response:
    shop = shop_of(request)
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
    order = shop_of(request).orders.get(request.path_params["id"])
    if order is None:
        return JSONResponse({"error": "no such order"}, status_code=404)
    return JSONResponse({"id": order.id, "amount": order.amount, "status": order.status, "paid_by": order.paid_by,
                         "payment_intent": order.payment_intent})


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})
