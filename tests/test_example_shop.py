"""The example shop bought from in Chromium: Stripe.js-compatible card fields loaded from
https://js.stripe.com/v3/ (routed to the gateway by harness/stripe_js.py, the page unedited),
a decline shown with Stripe's text, 3-D Secure completed in the gateway's challenge page, and
the plain HTML card form; card numbers never reach the shop's server on the Stripe.js page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from checkout_helpers import create_session
from shop_support import ShopProcess

from harness.stripe_js import route_stripe_js

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = pytest.mark.browser

DECLINED, THREE_DS_2, GOOD = "4000000000000002", "4000002760003184", "4242424242424242"


@pytest.fixture()
def shop(gateway, tmp_path: Path) -> Iterator[ShopProcess]:
    with ShopProcess(gateway.url, tmp_path / "shop-requests.jsonl") as proc:
        yield proc


@pytest.fixture()
def page(browser, gateway) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    route_stripe_js(context, gateway.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _add_to_cart(page, shop: ShopProcess) -> None:
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Add Kurasawa House Blend, 200 g to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def _order(shop: ShopProcess, order_id: str) -> dict:
    return httpx.get(f"{shop.url}/orders/{order_id}.json").json()


def test_stripe_js_card_fields_decline_then_3ds(page, shop: ShopProcess, gateway) -> None:
    stripe_requests: list[str] = []
    page.on("request", lambda r: stripe_requests.append(r.url) if "stripe.com" in r.url else None)
    _add_to_cart(page, shop)
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Email for your receipt").fill("aiko@example.com")
    page.get_by_label("Name on card").fill("Aiko Tanaka")
    number = page.get_by_label("Credit or debit card number")
    expect(number).to_have_attribute("placeholder", "Card number")
    number.press_sequentially("4242 4242")
    page.get_by_label("Credit or debit card expiration date").click()  # leaving the number incomplete
    expect(page.locator("#card-errors")).to_have_text("Your card number is incomplete.")
    page.get_by_label("Credit or debit card expiration date").press_sequentially("1220")
    expect(page.locator("#card-errors")).to_have_text(re.compile(r"Your card's expiration (date|year) is in the past\."))

    number.fill(DECLINED)
    page.get_by_label("Credit or debit card expiration date").fill("12 / 34")
    page.get_by_label("Credit or debit card CVC/CVV").fill("123")
    expect(page.locator("#card-errors")).to_have_text("")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.locator("#card-errors")).to_have_text("Your card was declined.")

    number.fill(THREE_DS_2)
    page.get_by_role("button", name=re.compile("^Pay")).click()
    challenge = page.frame_locator("iframe[name=stripe-challenge-frame]")
    challenge.get_by_role("button", name="Fail authentication").click()
    expect(page.locator("#card-errors")).to_have_text(re.compile("^We are unable to authenticate your payment method"))
    expect(page.locator("iframe[name=stripe-challenge-frame]")).to_have_count(0)

    page.get_by_role("button", name=re.compile("^Pay")).click()
    challenge.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Thank you for your order!")).to_be_visible()
    order_id = re.search(r"Order (HC-\d+) is confirmed", page.get_by_role("status").inner_text()).group(1)
    assert _order(shop, order_id)["status"] == "paid"

    assert any(u.startswith("https://js.stripe.com/v3") for u in stripe_requests)  # the page loaded Stripe.js from Stripe
    entries = [json.loads(line) for line in shop.request_log.read_text().splitlines()]
    assert any(e["path"] == "/api/orders" for e in entries)
    text = shop.request_log.read_text()
    for card in (DECLINED, THREE_DS_2, "4242 4242", "42424242"):
        assert card not in text, f"card number {card} reached the shop's server"
    # the gateway holds both attempts: one declined charge, then one authenticated charge
    intent_id = _order(shop, order_id)["payment_intent"]
    charges = httpx.get(f"{gateway.url}/v1/charges", params={"payment_intent": intent_id},
                        auth=("sk_test_x", "")).json()["data"]
    assert sorted(c["status"] for c in charges) == ["failed", "succeeded"]  # a failed authentication makes no charge


def test_payment_element_3ds_by_redirect(page, shop: ShopProcess, gateway) -> None:
    _add_to_cart(page, shop)
    page.goto(shop.url + "/checkout?ui=payment")
    # retrievePaymentIntent with the page's client secret, and redirectToCheckout to the hosted checkout
    status = page.evaluate("""async () => {
        const c = JSON.parse(document.getElementById("shop-config").textContent);
        const r = await Stripe(c.publishableKey).retrievePaymentIntent(c.clientSecret);
        return r.paymentIntent.status; }""")
    assert status == "requires_payment_method"
    # handleNextAction on an intent the server confirmed: the challenge in the modal frame, then the intent
    pi = httpx.post(f"{gateway.url}/v1/payment_intents", auth=("sk_test_x", ""), data={
        "amount": 900, "currency": "jpy", "confirm": "true", "payment_method_data[type]": "card",
        "payment_method_data[card][number]": "4000000000003220", "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2034", "payment_method_data[card][cvc]": "123"}).json()
    assert pi["status"] == "requires_action"
    page.evaluate("s => { window.nextAction = Stripe('pk_test_x').handleNextAction({clientSecret: s}); }", pi["client_secret"])
    page.frame_locator("iframe[name=stripe-challenge-frame]").get_by_role("button", name="Complete authentication").click()
    assert page.evaluate("async () => (await window.nextAction).paymentIntent.status") == "succeeded"
    session = create_session(gateway.url)
    page.evaluate("id => { Stripe('pk_test_x').redirectToCheckout({sessionId: id}); }", session["id"])
    page.wait_for_url(f"{gateway.url}/c/pay/{session['id']}")
    page.goto(shop.url + "/checkout?ui=payment")
    page.get_by_label("Email for your receipt").fill("ken@example.com")
    page.get_by_label("Full name").fill("Ken Sato")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_text("Your card number is incomplete.")).to_be_visible()  # the Payment Element's own error
    page.get_by_label("Card number").fill("4000000000003220")
    page.get_by_label("Expiration date").fill("0434")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Country").select_option(label="Japan")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.get_by_role("button", name="Complete authentication").click()  # the gateway's page, by redirect
    expect(page.get_by_role("heading", name="Thank you for your order!")).to_be_visible()


def test_plain_html_form_purchase(page, shop: ShopProcess) -> None:
    _add_to_cart(page, shop)
    page.get_by_role("link", name="Pay with the card form").click()
    page.get_by_label("Email address").fill("mei@example.com")
    page.get_by_label("Name on card").fill("Mei Suzuki")
    page.get_by_label("Card number").fill(DECLINED)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Country").select_option(label="Japan")
    page.get_by_label("Postal code").fill("180-0004")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.locator("#terms-feedback")).to_have_text("Please accept the terms of sale.")
    expect(page.get_by_label("I agree to the terms of sale")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("I agree to the terms of sale").check()
    page.get_by_label("Card number").fill(DECLINED)
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.locator("#card_number-feedback")).to_have_text("Your card was declined.")
    page.get_by_label("I agree to the terms of sale").check()
    page.get_by_label("Card number").fill(GOOD)
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_role("heading", name="Thank you for your order!")).to_be_visible()
