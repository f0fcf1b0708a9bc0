"""The plain HTML card form (no Stripe.js): the card is posted to the shop, which charges it with
the SDK (`PaymentIntent.create(confirm=True, payment_method_data=...)`); errors come back in the
page with `aria-invalid` and `role=alert`, and the card number is never echoed back."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import catalog
from .shop import EMAIL, cart_of, read_form, shop_of

PLAIN_FIELDS = ("email", "name", "card_number", "expiry", "cvc", "country", "postal_code", "terms")
COUNTRIES = (("JP", "Japan"), ("US", "United States"), ("GB", "United Kingdom"), ("DE", "Germany"), ("FR", "France"),
             ("CA", "Canada"), ("AU", "Australia"), ("KR", "South Korea"), ("TW", "Taiwan"), ("SG", "Singapore"))


def _plain_errors(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not EMAIL.match(form.get("email", "").strip()):
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
    cart = cart_of(request)
    if not cart:
        return RedirectResponse("/", status_code=303)
    return shop_of(request).page("pay.html", lines=catalog.lines(cart), total=catalog.total(cart), form={"country": "JP"},
                               errors={}, countries=COUNTRIES, count=sum(cart.values()))


async def plain_submit(request: Request) -> Response:
    form = {k: v for k, v in (await read_form(request)).items() if k in PLAIN_FIELDS}
    return await run_in_threadpool(_plain_charge, request, form)


def _plain_charge(request: Request, form: dict[str, str]) -> Response:
    shop = shop_of(request)
    cart = cart_of(request)
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
