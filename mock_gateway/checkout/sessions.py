"""Checkout Sessions: an order (line items, amount) waiting to be paid on the hosted page.

    open -> complete (paid on the page)      open -> expired (expire call, or expires_at passed)

The session keeps its line items internally (`_line_items`, listed by /line_items) and, while a
payment is under way, what the shopper entered apart from card data (`_draft`), so that the page
can come back after a 3-D Secure challenge. The PaymentIntent is created at the first payment
attempt and confirmed again on each retry, as Stripe's Checkout does.
"""

from __future__ import annotations

import secrets
from typing import Any

from scenarios.errors import ScenarioError
from scenarios.variants import list_variants, load_variant

from ..core import customers, payment_intents
from ..core.context import Ctx, public
from ..core.errors import invalid_request, missing, not_found
from ..core.ids import new_id
from ..core.urls import check_redirect_url
from . import methods
from .regions import COUNTRIES

LIFETIME_S = 24 * 3600
MIN_LIFETIME_S = 30 * 60
DEFAULT_VARIANT = "baseline"
SUPPORTED_COUNTRIES = COUNTRIES  # every country with Google address metadata (regions.py)


def _url(value: str, param: str) -> str:
    return check_redirect_url(value, param)


def _line_item(ctx: Ctx, item: dict[str, Any], i: int, currency: str | None) -> dict[str, Any]:
    where = f"line_items[{i}]"
    quantity = item.get("quantity")
    if quantity is None:
        raise missing(f"{where}[quantity]")
    if item.get("price"):
        price = ctx.store.get(item["price"])
        if price is None or price.get("object") != "price":
            raise not_found("price", item["price"], param=f"{where}[price]")
        unit_amount, item_currency = price.get("unit_amount"), price["currency"]
        product = ctx.store.get(price.get("product") or "") or {}
        description = product.get("name") or price.get("nickname") or "Item"
        price_obj = public(price)
    elif item.get("price_data"):
        data = item["price_data"]
        if data.get("currency") is None:
            raise missing(f"{where}[price_data][currency]")
        if data.get("unit_amount") is None and data.get("unit_amount_decimal") is None:
            raise missing(f"{where}[price_data][unit_amount]")
        if data.get("unit_amount") is None:
            try:
                unit_amount = int(float(data["unit_amount_decimal"]))
            except ValueError:
                raise invalid_request(f"Invalid decimal: {where}[price_data][unit_amount_decimal].", param=f"{where}[price_data][unit_amount_decimal]") from None
        else:
            unit_amount = data["unit_amount"]
        product_data = data.get("product_data") or {}
        if not product_data and not data.get("product"):
            raise missing(f"{where}[price_data][product_data]")
        item_currency = data["currency"]
        description = product_data.get("name") or data.get("product") or "Item"
        price_obj = _price(ctx, item_currency, unit_amount, data.get("product") or new_id("prod", 14), data.get("tax_behavior"))
    elif item.get("amount") is not None or item.get("name"):
        # The older inline form: name, amount, currency, quantity.
        for key in ("name", "amount", "currency"):
            if item.get(key) is None:
                raise missing(f"{where}[{key}]")
        unit_amount, item_currency, description = item["amount"], item["currency"], item["name"]
        price_obj = _price(ctx, item_currency, unit_amount, new_id("prod", 14), None)
    else:
        raise invalid_request(
            f"Each line item needs a price, price_data or name/amount/currency; {where} has none of them.", param=where
        )
    if currency is not None and item_currency != currency:
        raise invalid_request(
            f"All line items must use the session's currency ({currency}); {where} is in {item_currency}.",
            param=f"{where}[price_data][currency]" if item.get("price_data") else where,
        )
    return {
        "id": new_id("li", 24),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": unit_amount * quantity,
        "amount_tax": 0,
        "amount_total": unit_amount * quantity,
        "currency": item_currency,
        "description": description,
        "price": price_obj,
        "quantity": quantity,
    }


def _price(ctx: Ctx, currency: str, unit_amount: int, product: str, tax_behavior: str | None) -> dict[str, Any]:
    return {
        "id": new_id("price", 24),
        "object": "price",
        "active": False,
        "billing_scheme": "per_unit",
        "created": ctx.now,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product,
        "recurring": None,
        "tax_behavior": tax_behavior or "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def _variant(name: str | None) -> str:
    name = name or DEFAULT_VARIANT
    try:
        load_variant(name)
    except ScenarioError as err:
        if err.key == "(file)":
            raise invalid_request(
                f"No such variant: {name!r}; the hosted page knows {', '.join(list_variants())}.", param="variant"
            ) from None
        raise invalid_request(f"Variant {name!r} cannot be used: {err}", param="variant") from None
    return name


def _payment_method_types(requested: list[str] | None, currency: str) -> list[str]:
    on_page = methods.page_types(currency)
    if not requested:
        return on_page
    known = methods.gateway_types()
    for i, name in enumerate(requested):
        param = f"payment_method_types[{i}]"
        if name not in known:
            raise invalid_request(
                f"Invalid payment_method_types[{i}]: {name!r} is not a payment method type this gateway supports "
                f"({', '.join(sorted(known))}).", param=param)
        if name not in on_page:
            raise invalid_request(
                f"The hosted checkout page cannot take {name!r} payments in {currency} yet; it can take "
                f"{', '.join(on_page) or 'none'}.", param=param)
    return list(dict.fromkeys(requested))


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    items = p.get("line_items")
    if not items:
        raise missing("line_items")
    currency = p.get("currency")
    line_items = [_line_item(ctx, item, i, currency) for i, item in enumerate(items)]
    currency = currency or line_items[0]["currency"]
    for i, li in enumerate(line_items):
        if li["currency"] != currency:
            raise invalid_request(
                f"All line items must have the same currency; line_items[{i}] is in {li['currency']}, "
                f"line_items[0] in {currency}.", param=f"line_items[{i}]")
    total = sum(li["amount_total"] for li in line_items)
    payment_intents.check_amount(total, currency, param="line_items")
    if p.get("customer"):
        ctx.get(p["customer"], "customer", "customer", param="customer")
        if p.get("customer_email"):
            raise invalid_request("You may only specify one of these parameters: customer, customer_email.", param="customer_email")
    expires_at = p.get("expires_at", ctx.now + LIFETIME_S)
    if not ctx.now + MIN_LIFETIME_S <= expires_at <= ctx.now + LIFETIME_S:
        raise invalid_request(
            "The expires_at timestamp must be between 30 minutes and 24 hours from the Checkout Session's creation.",
            param="expires_at")
    countries: list[str] | None = None  # None: every country the page knows (not stored per session)
    collection = p.get("shipping_address_collection")
    if collection:
        countries = [c for c in collection.get("allowed_countries", []) if c in SUPPORTED_COUNTRIES]
        if not countries:
            raise invalid_request(
                "shipping_address_collection[allowed_countries] must include a country the hosted page ships to: "
                "two-letter ISO 3166-1 codes such as JP, US, DE, IN.", param="shipping_address_collection[allowed_countries]")
    session_id = new_id("cs_test", 58)
    session: dict[str, Any] = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": p.get("billing_address_collection"),
        "cancel_url": _url(p["cancel_url"], "cancel_url") if p.get("cancel_url") else None,
        "client_reference_id": p.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": ctx.now,
        "currency": currency,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None, "terms_of_service_acceptance": None},
        "customer": p.get("customer"),
        "customer_creation": p.get("customer_creation") or ("if_required" if not p.get("customer") else None),
        "customer_details": None,
        "customer_email": p.get("customer_email"),
        "expires_at": expires_at,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": p.get("locale"),
        "metadata": p.get("metadata") or {},
        "mode": p["mode"],
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_options": {},
        "payment_method_types": _payment_method_types(p.get("payment_method_types"), currency),
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": bool((p.get("phone_number_collection") or {}).get("enabled"))},
        "recovered_from": None,
        "setup_intent": None,
        "shipping_address_collection": {"allowed_countries": countries} if countries else None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": p.get("submit_type"),
        "subscription": None,
        "success_url": _url(p["success_url"], "success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",  # 'hosted' before 2026-03-25.dahlia (api/versions.py)
        "url": f"{ctx.base_url}/c/pay/{session_id}",
        "variant": _variant(p.get("variant")),
        "_line_items": line_items,
        "_payment_intent_data": p.get("payment_intent_data") or {},
        "_form_token": secrets.token_urlsafe(24),  # the page's form carries it: a POST without it pays nothing
    }
    ctx.store.insert(session, customer=session["customer"], kind="open")
    return session


def _save(ctx: Ctx, session: dict[str, Any]) -> None:
    ctx.store.update(session, customer=session["customer"], kind=session["status"])


def is_past_expiry(session: dict[str, Any], now: int) -> bool:
    return session["status"] == "open" and now >= session["expires_at"]


def as_seen(session: dict[str, Any], now: int) -> dict[str, Any]:
    """The session as a reader sees it now: an open session past expires_at reads as expired."""
    if is_past_expiry(session, now):
        return {**session, "status": "expired"}
    return session


def expire(ctx: Ctx, session: dict[str, Any]) -> dict[str, Any]:
    if session["status"] != "open":
        raise invalid_request(
            f"Only Checkout Sessions with a status in [\"open\"] can be expired; this one is {session['status']}.",
            param="session")
    if session.get("payment_intent"):
        pi = ctx.get(session["payment_intent"], "payment_intent")
        if pi["status"] in ("requires_payment_method", "requires_confirmation", "requires_action"):
            payment_intents.cancel(ctx, pi, {"cancellation_reason": "abandoned"})
    session["status"] = "expired"
    session.pop("_draft", None)
    _save(ctx, session)
    ctx.emit("checkout.session.expired", session)
    return session


def _shipping(receipt: dict[str, Any]) -> dict[str, Any]:
    return {"address": receipt.get("address"), "name": receipt.get("name"), "phone": receipt.get("phone"),
            "carrier": None, "tracking_number": None}


def intent_for_payment(ctx: Ctx, session: dict[str, Any], method_types: list[str], receipt: dict[str, Any]) -> dict[str, Any]:
    """The session's PaymentIntent, created at the first attempt and reused for retries; the
    receipt goes to the email just entered (the mail sink sends it on success)."""
    if session.get("payment_intent"):
        pi = ctx.get(session["payment_intent"], "payment_intent")
        if pi["status"] in payment_intents.CONFIRMABLE:
            pi["receipt_email"] = receipt.get("email")  # saved by the confirmation that follows
            pi["shipping"] = _shipping(receipt)
            return pi
    data = session["_payment_intent_data"]
    params: dict[str, Any] = {
        "amount": session["amount_total"],
        "currency": session["currency"],
        "payment_method_types": method_types,
        "customer": session.get("customer"),
        "description": data.get("description"),
        "metadata": data.get("metadata") or {},
        "capture_method": data.get("capture_method"),
        "statement_descriptor": data.get("statement_descriptor"),
        "statement_descriptor_suffix": data.get("statement_descriptor_suffix"),
        "receipt_email": receipt.get("email"),
        "shipping": _shipping(receipt),
    }
    pi = payment_intents.create(ctx, {k: v for k, v in params.items() if v is not None})
    session["payment_intent"] = pi["id"]
    _save(ctx, session)
    return pi


def save_draft(ctx: Ctx, session: dict[str, Any], draft: dict[str, str], receipt: dict[str, Any]) -> None:
    """What the shopper entered (never card data), kept until the payment ends."""
    session["_draft"] = draft
    session["_receipt"] = receipt
    _save(ctx, session)


def complete(ctx: Ctx, session: dict[str, Any], pi: dict[str, Any]) -> dict[str, Any]:
    """The payment succeeded (or was authorised): the session is complete, the shopper is known."""
    receipt = session.get("_receipt") or {}
    if receipt.get("create_account") and not session.get("customer"):
        cus = customers.create(ctx, {
            "email": receipt.get("email"), "name": receipt.get("name"), "phone": receipt.get("phone"),
            "address": receipt.get("address"), "metadata": {"created_by": "hosted checkout (forced account)"},
        })
        session["customer"] = cus["id"]
    address = receipt.get("address")
    session["customer_details"] = {
        "address": address,
        "business_name": receipt.get("company"),
        "email": receipt.get("email"),
        "individual_name": None,
        "name": receipt.get("name"),
        "phone": receipt.get("phone"),
        "tax_exempt": "none",
        "tax_ids": [],
    }
    shipping = {"address": address, "name": receipt.get("name")}
    session["collected_information"] = {"business_name": receipt.get("company"), "individual_name": None,
                                        "shipping_details": shipping}
    session["custom_fields"] = [
        {"key": key, "label": {"custom": label, "type": "custom"}, "optional": True, "type": "text",
         "text": {"value": receipt[key], "default_value": None, "maximum_length": None, "minimum_length": None}}
        for key, label in (("name_kana", "Name reading (kana)"),)
        if receipt.get(key)
    ]
    session["status"] = "complete"
    session["payment_status"] = "paid" if pi["status"] in ("succeeded", "requires_capture") else "unpaid"
    session.pop("_draft", None)
    _save(ctx, session)
    ctx.emit("checkout.session.completed", session)
    return session


def line_items_page(session: dict[str, Any], p: dict[str, Any], url: str) -> dict[str, Any]:
    items = session["_line_items"]
    after, before, limit = p.get("starting_after"), p.get("ending_before"), p.get("limit", 10)
    ids = [li["id"] for li in items]
    for name, cursor in (("starting_after", after), ("ending_before", before)):
        if cursor and cursor not in ids:
            raise invalid_request(f"No such line item: '{cursor}'", param=name, code="resource_missing")
    if after:
        items = items[ids.index(after) + 1:]
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}
    if before:
        items = items[:ids.index(before)]
        return {"object": "list", "data": items[-limit:], "has_more": len(items) > limit, "url": url}
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


def settle_async(ctx: Ctx, pi: dict[str, Any]) -> None:
    """A payment that settles later (konbini, bank transfer, ...) succeeded or failed after the
    session completed: the session becomes paid, and the merchant hears of it, as Stripe does."""
    found, _ = ctx.store.list("checkout.session", json_filters={"payment_intent": pi["id"]}, limit=1)
    if not found or found[0]["status"] != "complete" or found[0]["payment_status"] == "paid":
        return
    session = found[0]
    if pi["status"] in ("succeeded", "requires_capture"):
        session["payment_status"] = "paid"
        _save(ctx, session)
        ctx.emit("checkout.session.async_payment_succeeded", session)
    elif pi["status"] in ("requires_payment_method", "canceled"):
        ctx.emit("checkout.session.async_payment_failed", session)



def instructions_url(pi: dict[str, Any] | None) -> str | None:
    """Where a shopper finishes a payment that settles later (a konbini slip, transfer details)."""
    action = (pi or {}).get("next_action") or {}
    details = action.get(action.get("type", "")) or {}
    return next((v for k, v in details.items() if k.startswith("hosted_") and k.endswith("_url") and isinstance(v, str)), None)


def success_redirect(session: dict[str, Any]) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])

