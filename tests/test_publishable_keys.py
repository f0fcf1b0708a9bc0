"""Publishable keys (pk_test_) do what Stripe.js does and nothing else; the Stripe.js-compatible
script is served where a page loads it from; Stripe's hosts are routed to the gateway."""

from __future__ import annotations

import httpx
import pytest

from harness.stripe_js import answer, fetch_script

PK, SK = "pk_test_shop", "sk_test_shop"
CARD = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}


def _intent(url: str) -> dict:
    return httpx.post(f"{url}/v1/payment_intents", data={"amount": 1500, "currency": "jpy"}, auth=(SK, "")).json()


def test_publishable_key_creates_payment_methods_as_stripe_js_does(gateway) -> None:
    by_param = httpx.post(f"{gateway.url}/v1/payment_methods", data={"key": PK, "type": "card", **CARD})
    assert by_param.status_code == 200, by_param.text
    assert by_param.json()["card"]["last4"] == "4242"
    by_header = httpx.post(f"{gateway.url}/v1/payment_methods", data={"type": "card", **CARD},
                           headers={"Authorization": f"Bearer {PK}"})
    assert by_header.status_code == 200, by_header.text


@pytest.mark.parametrize("method,path", [
    ("POST", "/v1/payment_intents"), ("GET", "/v1/payment_intents"), ("GET", "/v1/customers"),
    ("POST", "/v1/refunds"), ("GET", "/v1/events"), ("POST", "/v1/checkout/sessions"),
])
def test_publishable_key_refused_elsewhere(gateway, method: str, path: str) -> None:
    response = httpx.request(method, f"{gateway.url}{path}", headers={"Authorization": f"Bearer {PK}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "secret_key_required"


def test_publishable_key_retrieves_and_confirms_only_with_the_client_secret(gateway) -> None:
    pi = _intent(gateway.url)
    url = f"{gateway.url}/v1/payment_intents/{pi['id']}"
    missing = httpx.get(url, params={"key": PK})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "client_secret"
    wrong = httpx.get(url, params={"key": PK, "client_secret": pi["client_secret"] + "x"})
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "client_secret"
    other = _intent(gateway.url)  # another intent's secret opens nothing here
    assert httpx.get(url, params={"key": PK, "client_secret": other["client_secret"]}).status_code == 400
    ok = httpx.get(url, params={"key": PK, "client_secret": pi["client_secret"]})
    assert ok.status_code == 200 and ok.json()["id"] == pi["id"]

    data = {"key": PK, "payment_method_data[type]": "card", "payment_method_data[card][number]": "4242424242424242",
            "payment_method_data[card][exp_month]": "12", "payment_method_data[card][exp_year]": "2034",
            "payment_method_data[card][cvc]": "123"}
    refused = httpx.post(f"{url}/confirm", data={**data, "client_secret": "nope"})
    assert refused.status_code == 400
    assert httpx.get(url, auth=(SK, "")).json()["status"] == "requires_payment_method"
    confirmed = httpx.post(f"{url}/confirm", data={**data, "client_secret": pi["client_secret"]}, headers={"Origin": "http://shop.test"})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    assert confirmed.headers["access-control-allow-origin"] == "*"
    # refunds and captures stay with the secret key
    assert httpx.post(f"{gateway.url}/v1/refunds", data={"key": PK, "payment_intent": pi["id"]}).status_code == 401


def test_other_keys_refused(gateway) -> None:
    for key in ("pk_live_abc", "pk_test_", "rk_test_abc"):
        response = httpx.post(f"{gateway.url}/v1/payment_methods", data={"key": key, "type": "card", **CARD})
        assert response.status_code == 401, key
    assert httpx.post(f"{gateway.url}/v1/payment_methods", data={"type": "card", **CARD}).status_code == 401


def test_cors_preflight(gateway) -> None:
    response = httpx.options(f"{gateway.url}/v1/payment_methods", headers={
        "Origin": "http://shop.test", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in response.headers["access-control-allow-headers"]


@pytest.mark.parametrize("path", ["/v3", "/v3/", "/js/v3", "/js/v3/"])
def test_stripe_js_served_with_the_gateways_address(gateway, path: str) -> None:
    response = httpx.get(gateway.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert f'var GATEWAY = "{gateway.url}";' in response.text
    assert "__GATEWAY_URL__" not in response.text


def test_stripe_hosts_routed_to_the_gateway(gateway) -> None:
    script = fetch_script(gateway.url)
    got = answer(gateway.url, script, "GET", "https://js.stripe.com/v3/", {}, None)
    assert got["status"] == 200 and got["body"] == script
    assert answer(gateway.url, script, "GET", "https://js.stripe.com/v3?advancedFraudSignals=false", {}, None)["body"] == script
    assert answer(gateway.url, script, "POST", "https://m.stripe.com/6", {}, b"x")["status"] == 204
    assert answer(gateway.url, script, "GET", "https://js.stripe.com/v3/m-outer-123.html", {}, None)["status"] == 204
    forwarded = answer(gateway.url, script, "POST", "https://api.stripe.com/v1/payment_methods",
                       {"content-type": "application/x-www-form-urlencoded"},
                       httpx.QueryParams({"key": PK, "type": "card", **CARD}).__str__().encode())
    assert forwarded["status"] == 200, forwarded["body"]
    redirect = answer(gateway.url, script, "GET", "https://checkout.stripe.com/c/pay/cs_test_1#fid", {}, None)
    assert redirect["status"] == 302 and redirect["headers"]["Location"] == f"{gateway.url}/c/pay/cs_test_1"


@pytest.mark.browser
def test_async_routing_loads_the_gateways_script(gateway) -> None:
    """The journeys' browser (async Playwright): a page that loads https://js.stripe.com/v3/ gets Stripe()."""
    import asyncio

    from harness.browser import BrowserNotFound, launch_options
    from harness.stripe_js import route_stripe_js_async

    try:
        options = launch_options()
    except BrowserNotFound as err:
        pytest.skip(str(err))
    from playwright.async_api import async_playwright

    async def main() -> dict:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**options)
            context = await browser.new_context()
            await route_stripe_js_async(context, gateway.url)
            page = await context.new_page()
            await page.set_content('<script src="https://js.stripe.com/v3/"></script>')
            result = await page.evaluate("""async () => {
                const stripe = Stripe("pk_test_async");
                const card = stripe.elements().create("cardNumber");
                const div = document.createElement("div"); document.body.appendChild(div); card.mount(div);
                return {gateway: Stripe.checkoutHarness.gateway,
                        placeholder: document.querySelector("input[autocomplete=cc-number]").placeholder};
            }""")
            await browser.close()
            return result

    import threading

    results: list = []  # in a thread of its own: the session's sync Playwright owns this thread's event loop
    thread = threading.Thread(target=lambda: results.append(asyncio.run(main())))
    thread.start()
    thread.join(60)
    assert results == [{"gateway": gateway.url, "placeholder": "1234 1234 1234 1234"}]


def _challenge_csp(gateway, pi: dict) -> str:
    page = httpx.get(pi["next_action"]["redirect_to_url"]["url"])
    assert page.status_code == 200
    return page.headers["content-security-policy"]


def test_the_3ds_page_may_be_framed_only_by_the_page_that_confirmed_with_stripe_js(gateway) -> None:
    """Stripe.js shows the challenge in a frame of the merchant's page: that page's origin (from the
    Origin header of its publishable-key request) may frame it, no other; a server-side confirm
    gives no origin, so nobody may, until a page retrieves the intent with its client_secret."""
    shop = "http://shop.example:8000"
    pi = _intent(gateway.url)
    confirmed = httpx.post(f"{gateway.url}/v1/payment_intents/{pi['id']}/confirm", headers={"Origin": shop},
                           data={"key": PK, "client_secret": pi["client_secret"],
                                 "payment_method": "pm_card_threeDSecureRequired"}).json()
    assert confirmed["status"] == "requires_action" and "_frame_origin" not in confirmed
    assert f"frame-ancestors {shop}" in _challenge_csp(gateway, confirmed)

    other = _intent(gateway.url)
    server_side = httpx.post(f"{gateway.url}/v1/payment_intents/{other['id']}/confirm", auth=(SK, ""),
                             data={"payment_method": "pm_card_threeDSecureRequired"}).json()
    assert "frame-ancestors 'none'" in _challenge_csp(gateway, server_side)
    httpx.get(f"{gateway.url}/v1/payment_intents/{other['id']}", headers={"Origin": "https://evil.example"},
              params={"key": PK, "client_secret": "wrong"})
    assert "frame-ancestors 'none'" in _challenge_csp(gateway, server_side)  # no secret, no frame
    httpx.get(f"{gateway.url}/v1/payment_intents/{other['id']}", headers={"Origin": shop},
              params={"key": PK, "client_secret": other["client_secret"]})
    assert f"frame-ancestors {shop}" in _challenge_csp(gateway, server_side)
