"""Checkout Sessions over the API (official stripe SDK) and the hosted page with JavaScript off
(plain form posts): the page must work, validate and pay without its script."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from checkout_helpers import DECLINED_CARD, INSUFFICIENT_CARD, KEY, THREE_DS_CARD, create_session, entries, retrieve


def _page(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10, follow_redirects=False)


_FORM_TOKENS: dict[str, str] = {}


def form_token(session: dict) -> str:
    """The per-session token the page's form carries (read from the page once, as a browser would)."""
    if session["id"] not in _FORM_TOKENS:
        found = re.search(r'name="form_token" value="([^"]+)"', _page(session["url"]).text)
        assert found, "the page has no form token"
        _FORM_TOKENS[session["id"]] = unescape(found.group(1))
    return _FORM_TOKENS[session["id"]]


def _post(session: dict, values: dict[str, str], step: str = "all", action: str = "pay") -> httpx.Response:
    return httpx.post(session["url"], data={**values, "step": step, "action": action, "form_token": form_token(session)},
                      timeout=10, follow_redirects=False)


def _invalid_fields(html: str) -> list[str]:
    return re.findall(r'<(?:input|select)[^>]*\bid="([a-z_]+)"[^>]*aria-invalid="true"', html) + \
        re.findall(r'<input type="radio" name="payment_method" id="payment_method-\w+"[^>]*aria-invalid="true"', html)


# -- the API ------------------------------------------------------------------------------------


def test_create_retrieve_list_and_line_items_with_the_sdk(stripe_sdk, gateway):
    session = stripe_sdk.checkout.Session.create(
        mode="payment",
        success_url="https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/cart",
        line_items=[
            {"price_data": {"currency": "jpy", "unit_amount": 1200, "product_data": {"name": "Mug"}}, "quantity": 2},
            {"price_data": {"currency": "jpy", "unit_amount": 580, "product_data": {"name": "Coaster"}}, "quantity": 1},
        ],
        customer_email="taro@example.jp",
        locale="ja",
        metadata={"order": "A-17"},
        variant="inline-best",
    )
    assert session.object == "checkout.session" and session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.amount_total, session.currency) == ("open", "unpaid", 2980, "jpy")
    assert session.url == f"{gateway.url}/c/pay/{session.id}"
    assert session.payment_intent is None and session.variant == "inline-best"
    fetched = stripe_sdk.checkout.Session.retrieve(session.id)
    assert fetched.metadata.to_dict() == {"order": "A-17"} and fetched.customer_email == "taro@example.jp"
    items = stripe_sdk.checkout.Session.list_line_items(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [("Mug", 2, 2400), ("Coaster", 1, 580)]
    assert "_line_items" not in fetched.to_dict()
    listed = stripe_sdk.checkout.Session.list(status="open", limit=100)
    assert session.id in [s.id for s in listed.data]


def test_inline_line_items_and_expire(stripe_sdk):
    session = stripe_sdk.checkout.Session.create(
        mode="payment", success_url="https://shop.example/ok",
        line_items=[{"name": "Gift card", "amount": 500, "currency": "usd", "quantity": 3}],
    )
    assert session.amount_total == 1500 and session.variant == "baseline"
    expired = stripe_sdk.checkout.Session.expire(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe_sdk.InvalidRequestError):
        stripe_sdk.checkout.Session.expire(session.id)
    page = _page(session.url)
    assert page.status_code == 410 and "expired" in page.text


@pytest.mark.parametrize(
    "data, param",
    [
        ({"line_items[0][quantity]": "1"}, "line_items[0]"),
        ({"variant": "no-such-design"}, "variant"),
        ({"payment_method_types[0]": "bitcoin"}, "payment_method_types[0]"),
        ({"success_url": "shop.example/ok"}, "success_url"),
        ({"locale": "fr"}, "locale"),
        ({"line_items[0][price_data][unit_amount]": "10"}, "line_items"),
        ({"expires_at": "1"}, "expires_at"),
        ({"line_items[1][price_data][currency]": "usd", "line_items[1][price_data][unit_amount]": "100",
          "line_items[1][price_data][product_data][name]": "x", "line_items[1][quantity]": "1"}, "line_items[1]"),
    ],
)
def test_bad_input_is_stripes_error_envelope_with_param(gateway, data, param):
    base = {
        "mode": "payment", "success_url": "https://shop.example/ok",
        "line_items[0][price_data][currency]": "jpy", "line_items[0][price_data][unit_amount]": "1000",
        "line_items[0][price_data][product_data][name]": "Item", "line_items[0][quantity]": "1",
    }
    if "line_items[0][quantity]" in data and len(data) == 1:
        base = {k: v for k, v in base.items() if not k.startswith("line_items")}
    response = httpx.post(f"{gateway.url}/v1/checkout/sessions", data={**base, **data}, auth=KEY, timeout=10)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error


def test_missing_line_items_and_unknown_session(gateway):
    response = httpx.post(f"{gateway.url}/v1/checkout/sessions", data={"mode": "payment", "success_url": "https://a.example/"},
                          auth=KEY, timeout=10)
    assert response.status_code == 400 and response.json()["error"]["param"] == "line_items"
    response = httpx.get(f"{gateway.url}/v1/checkout/sessions/cs_test_nope", auth=KEY, timeout=10)
    assert response.status_code == 404 and response.json()["error"]["code"] == "resource_missing"
    page = _page(f"{gateway.url}/c/pay/cs_test_nope")
    assert page.status_code == 404 and "<h1>Checkout not found</h1>" in page.text


# -- the page without JavaScript ----------------------------------------------------------------


@pytest.mark.parametrize("variant, locale", [("baseline", "en"), ("baseline", "ja"), ("inline-best", "ja"), ("forced-account", "en")])
def test_a_purchase_with_javascript_off(gateway, variant, locale):
    session = create_session(gateway.url, variant=variant, locale=locale)
    page = _page(session["url"])
    assert page.status_code == 200 and f'<html lang="{locale}">' in page.text
    assert "Content-Security-Policy" in page.headers and "script-src 'self'" in page.headers["Content-Security-Policy"]
    response = _post(session, entries(locale))
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == f"{gateway.url}/c/confirmation/{session['id']}"
    paid = retrieve(gateway.url, session["id"], **{"expand[]": "payment_intent"})
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert paid["payment_intent"]["status"] == "succeeded" and paid["payment_intent"]["amount_received"] == 1980
    assert paid["payment_intent"]["receipt_email"] == "hanako@example.jp"
    assert paid["payment_intent"]["shipping"]["address"]["city"] == ("渋谷区" if locale == "ja" else "San Francisco")
    details = paid["customer_details"]
    assert details["email"] == "hanako@example.jp"
    assert details["address"]["postal_code"] == ("150-0001" if locale == "ja" else "94103")
    assert details["name"] == ("山田 花子" if locale == "ja" else "Jane Doe")
    if variant == "forced-account":
        assert paid["customer"] and paid["customer"].startswith("cus_")
    confirmation = httpx.get(response.headers["location"], timeout=10)
    assert confirmation.status_code == 200 and "¥1,980" in confirmation.text
    # Back on a paid page: the shopper is sent on, not asked to pay again.
    again = _page(session["url"])
    assert again.status_code == 303 and again.headers["location"].endswith(session["id"])


def test_server_validates_and_renders_errors_without_javascript(gateway):
    session = create_session(gateway.url, variant="baseline", locale="ja")
    values = {**entries("ja"), "email": "hanako@", "postal_code": "１５０ー０００", "card_number": "4242424242424241",
              "family_name_kana": "Yamada", "card_expiry": "13 / 30"}
    response = _post(session, values)
    assert response.status_code == 200
    html = response.text
    assert set(_invalid_fields(html)) == {"email", "postal_code", "card_number", "family_name_kana", "card_expiry"}
    summary = re.search(r'<div id="error-summary" class="error-summary" role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert summary and "hidden" not in summary.group(0).split(">")[0]
    assert '<a href="#card_number">カード番号が正しくありません。入力ミスがないかご確認ください</a>' in summary.group(1)
    assert re.search(r'id="email"[^>]*aria-describedby="email-hint email-summary"[^>]*aria-invalid="true"[^>]*autofocus', html)
    # What the shopper typed is kept for them to fix.
    assert 'value="１５０ー０００"' in html and retrieve(gateway.url, session["id"])["status"] == "open"
    # Full-width digits and a long-vowel hyphen are fine once the code has 7 digits.
    fixed = _post(session, {**entries("ja"), "postal_code": "１５０ー０００１"})
    assert fixed.status_code == 303


def test_a_decline_keeps_or_clears_the_entries_as_the_variant_says(gateway):
    kept = create_session(gateway.url, variant="inline-best", locale="en")
    html = _post(kept, entries("en", card=INSUFFICIENT_CARD)).text
    assert 'role="alert"' in html and "Your card has insufficient funds. Try another card" in html
    assert f'value="{INSUFFICIENT_CARD}"' in html and 'value="hanako@example.jp"' in html
    assert re.search(r'id="card_cvc"[^>]*value=""', html)
    cleared = create_session(gateway.url, variant="baseline", locale="en")
    html = _post(cleared, entries("en", card=DECLINED_CARD)).text
    assert "Your card was declined. Try another card or another payment method" in html
    assert "hanako@example.jp" not in html and DECLINED_CARD not in html
    # The failed attempt is in the ledger, and the next card pays the same PaymentIntent.
    first = retrieve(gateway.url, cleared["id"], **{"expand[]": "payment_intent"})["payment_intent"]
    assert first["status"] == "requires_payment_method" and first["last_payment_error"]["decline_code"] == "generic_decline"
    assert _post(cleared, entries("en")).status_code == 303
    assert retrieve(gateway.url, cleared["id"])["payment_intent"] == first["id"]


def test_steps_and_three_d_secure_without_javascript(gateway):
    session = create_session(gateway.url, variant="steps", locale="ja")
    values = entries("ja", card=THREE_DS_CARD)
    page = _page(session["url"]).text
    assert 'aria-current="step"' in page and 'name="card_number"' not in page
    bad = _post(session, {**values, "email": ""}, step="details", action="next").text
    assert "メールアドレスを入力してください" in bad and 'data-step="details"' in bad
    payment = _post(session, values, step="details", action="next").text
    assert 'data-step="payment"' in payment and 'name="card_number"' in payment
    assert '<input type="hidden" name="email" value="hanako@example.jp">' in payment
    review = _post(session, values, step="payment", action="next").text
    assert 'data-step="review"' in review and "Visa（末尾 3184）" in review
    challenge = _post(session, values, step="review", action="pay")
    assert challenge.status_code == 303 and "/3ds/" in challenge.headers["location"]
    secret = re.search(r"client_secret=([\w]+)", challenge.headers["location"]).group(1)
    back = httpx.post(challenge.headers["location"].split("?")[0], data={"client_secret": secret, "action": "complete"}, timeout=10)
    assert back.status_code == 303 and back.headers["location"].startswith(f"{session['url']}/return")
    done = httpx.get(back.headers["location"], timeout=10)
    assert done.status_code == 303 and done.headers["location"].endswith(session["id"])
    assert retrieve(gateway.url, session["id"])["status"] == "complete"


def test_failed_authentication_returns_to_the_page_with_the_kept_details(gateway):
    session = create_session(gateway.url, variant="steps", locale="en")
    challenge = _post(session, entries("en", card=THREE_DS_CARD), step="review", action="pay")
    secret = re.search(r"client_secret=([\w]+)", challenge.headers["location"]).group(1)
    back = httpx.post(challenge.headers["location"].split("?")[0], data={"client_secret": secret, "action": "fail"}, timeout=10)
    html = httpx.get(back.headers["location"], timeout=10).text
    assert "We could not confirm that this card is yours" in html and 'data-step="payment"' in html
    assert '<input type="hidden" name="email" value="hanako@example.jp">' in html and THREE_DS_CARD not in html


def test_what_a_shopper_types_is_never_markup(gateway):
    session = create_session(gateway.url, variant="steps", locale="en")
    script = '"><script>alert(1)</script>'
    values = {name: script for name in entries("en")}
    html = _post(session, values, step="details", action="next").text
    assert "<script>alert(1)</script>" not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Names are free text: they reach the review page, as text.
    named = {**entries("en"), "family_name": script, "given_name": script, "line1": script}
    review = _post(session, named, step="payment", action="next").text
    assert 'data-step="review"' in review and "<script>alert(1)</script>" not in review
    assert unescape(re.search(r"<dd>(.*?)</dd>", review.split("Name</dt>")[1], re.S).group(1)).count(script) == 2


def test_address_lookup_for_autofill(gateway):
    found = httpx.get(f"{gateway.url}/c/address/JP/1500001", timeout=10)
    assert found.json() == {"found": True, "state": "東京都", "city": "渋谷区", "line1": "神宮前"}
    assert httpx.get(f"{gateway.url}/c/address/US/94103", timeout=10).json()["city"] == "San Francisco"
    assert httpx.get(f"{gateway.url}/c/address/JP/0000000", timeout=10).status_code == 404
    # Without JavaScript, the "Find address" button fills the same fields.
    session = create_session(gateway.url, variant="inline-best", locale="ja")
    html = _post(session, {"country": "JP", "postal_code": "150-0001"}, action="lookup").text
    assert "住所が見つかりました" in html and 'value="渋谷区"' in html and '<option value="東京都" selected>' in html
    assert 'aria-invalid="true"' not in html


def test_security_code_length_follows_the_card_brand(gateway):
    session = create_session(gateway.url, variant="inline-best", locale="en")
    html = _post(session, {**entries("en"), "card_number": "3782 822463 10005", "card_cvc": "123"}).text
    assert "Enter the 4-digit security code from the front of your card" in html
    assert _post(session, {**entries("en"), "card_number": "3782 822463 10005", "card_cvc": "1234"}).status_code == 303


def test_konbini_places_the_order_and_the_session_is_paid_when_the_shopper_pays_at_the_store(gateway):
    session = create_session(gateway.url, variant="inline-best", locale="ja")
    page = _page(session["url"]).text
    assert 'id="payment_method-konbini"' in page and 'id="payment_method-card" value="card" checked' in page
    values = {k: v for k, v in entries("ja").items() if not k.startswith("card_")}
    response = _post(session, {**values, "payment_method": "konbini"})
    assert response.status_code == 303 and response.headers["location"].endswith(session["id"])
    placed = retrieve(gateway.url, session["id"], **{"expand[]": "payment_intent"})
    assert (placed["status"], placed["payment_status"]) == ("complete", "unpaid")
    pi = placed["payment_intent"]
    assert pi["status"] == "requires_action" and pi["next_action"]["type"] == "konbini_display_details"
    confirmation = httpx.get(response.headers["location"], timeout=10).text
    assert "ご注文を受け付けました" in confirmation
    assert pi["next_action"]["konbini_display_details"]["hosted_voucher_url"] in unescape(confirmation)
    paid = httpx.post(f"{gateway.url}/v1/test_helpers/payment_intents/{pi['id']}/pay", data={"chain": "lawson"}, auth=KEY, timeout=10)
    assert paid.status_code == 200, paid.text
    assert retrieve(gateway.url, session["id"])["payment_status"] == "paid"
    events = httpx.get(f"{gateway.url}/v1/events", params={"type": "checkout.session.async_payment_succeeded", "limit": 100},
                       auth=KEY, timeout=10).json()["data"]
    assert session["id"] in [e["data"]["object"]["id"] for e in events]


def test_no_preselected_method_asks_the_shopper_to_choose(gateway):
    session = create_session(gateway.url, variant="forced-account", locale="en")
    page = _page(session["url"]).text
    assert 'checked' not in re.search(r'<fieldset class="methods.*?</fieldset>', page, re.S).group(0)
    assert 'id="card_number"' in page  # every method's fields are drawn; CSS shows the chosen one's
    values = {k: v for k, v in entries("en").items() if k != "payment_method"}
    html = _post(session, values).text
    assert "Choose a payment method" in html
    assert re.search(r'id="payment_method-card" value="card"[^>]*aria-invalid="true"[^>]*autofocus', html)


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_a_field_has_the_same_label_in_every_variant_of_a_locale(gateway, locale):
    from scenarios.variants import list_variants

    seen: dict[str, str] = {}
    for variant in list_variants():
        session = create_session(gateway.url, variant=variant, locale=locale)
        pages = [_page(session["url"]).text]
        if 'data-step="details"' in pages[0]:
            pages.append(_post(session, entries(locale), step="details", action="next").text)
        for html in pages:
            for field_id, text in re.findall(r'<label for="([\w-]+)">([^<]+)</label>', html):
                assert seen.setdefault(field_id, text) == text, (variant, field_id, text, seen[field_id])
    assert {"email", "card_number", "card_expiry", "card_cvc", "postal_code", "state"} <= set(seen)
