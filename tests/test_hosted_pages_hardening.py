"""Hosted pages as an attacker sees them: framing, sniffing, caching, cross-site posts, open redirects,
guessable ids, and the admin endpoints.

Every hosted page (checkout, 3-D Secure, invoice, PayPal, konbini, QR, bank transfer, messages) must
send a CSP with frame-ancestors, nosniff, a Referrer-Policy and no-store; the checkout's pay POST
needs the page's form token and a same-origin Origin; return_url / success_url / cancel_url are
absolute http(s) URLs only; /_harness/ answers only with the admin token, loopback or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import quote

import httpx
import pytest
from test_gateway_routes_fuzz import API, BASE, Env

from mock_gateway.core import ids

pytestmark = pytest.mark.timeout(120)

PAGES = ["/3ds/{id}", "/paypal/{id}", "/konbini/voucher/{id}/{token}", "/qr/{id}/{token}", "/qr/{id}/{token}/scan",
         "/bank_transfer/{id}/{token}", "/billing/invoices/{id}/{token}", "/c/pay/{id}"]
BAD_URLS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/x", "http:\\\\evil.example",
            "ftp://evil.example/", "https://", " https://evil.example", "https://evil.example/\n"]
CARD = {"email": "a@example.jp", "card_number": "4242 4242 4242 4242", "card_expiry": "12 / 40", "card_cvc": "123",
        "name": "Taro Yamada", "payment_method": "card"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(str(tmp_path_factory.mktemp("pages") / "gateway.sqlite3"))
    e.seed()
    yield e
    e.client.close()
    e.app.state.gateway.store.close()


def _url(env: Env, template: str) -> str:
    """The page's URL as the gateway handed it out (with its client secret where it carries one)."""
    regex = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
    for path in env.paths:
        if regex.match(path):
            pi = path.split("/")[2]
            secret = next((s for s in env.secrets if s.startswith(pi + "_secret_")), None)
            return f"{path}?client_secret={secret}" if template in ("/3ds/{id}", "/paypal/{id}") else path
    raise AssertionError(f"no URL handed out for {template}")


@pytest.fixture(scope="module", autouse=True)
def _secrets(env: Env) -> None:
    env.secrets = [pi["client_secret"] for pi in env.client.get("/v1/payment_intents?limit=100", headers=API).json()["data"]]


@pytest.mark.parametrize("template", PAGES + ["/paypal/pi_unknown", "/c/confirmation/cs_unknown"])
def test_every_hosted_page_sends_its_security_headers(env: Env, template: str) -> None:
    response = env.client.get(_url(env, template) if "{" in template else template)
    assert response.headers["content-type"].startswith("text/html"), (template, response.status_code)
    assert response.status_code in (200, 404), (template, response.status_code, response.text[:200])
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (template, csp)
    assert "default-src" in csp and "script-src 'self'" in csp
    assert response.headers.get("x-content-type-options") == "nosniff", template
    assert response.headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), template
    assert "no-store" in response.headers.get("cache-control", ""), template


def _session(env: Env) -> tuple[str, str]:
    created = env.client.post("/v1/checkout/sessions", headers=API, data={
        "mode": "payment", "success_url": "https://merchant.example/ok", "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "jpy", "line_items[0][price_data][unit_amount]": "1980",
        "line_items[0][price_data][product_data][name]": "Tea", "variant": "baseline"}).json()
    page = env.client.get(f"/c/pay/{created['id']}").text
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token, "the checkout form carries no token"
    return created["id"], unescape(token.group(1))


def _status(env: Env, session_id: str) -> str:
    return env.client.get(f"/v1/checkout/sessions/{session_id}", headers=API).json()["status"]


def test_the_pay_post_needs_the_pages_form_token(env: Env) -> None:
    session_id, token = _session(env)
    for form in ({**CARD, "step": "all", "action": "pay"}, {**CARD, "step": "all", "action": "pay", "form_token": "guess"}):
        refused = env.client.post(f"/c/pay/{session_id}", data=form, follow_redirects=False)
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
        assert _status(env, session_id) == "open"
    paid = env.client.post(f"/c/pay/{session_id}", data={**CARD, "step": "all", "action": "pay", "form_token": token},
                           follow_redirects=False)
    assert paid.status_code in (200, 303), paid.text[:300]


def test_a_cross_origin_post_pays_nothing(env: Env) -> None:
    session_id, token = _session(env)
    form = {**CARD, "step": "all", "action": "pay", "form_token": token}
    for origin in ("https://evil.example", "null", BASE.replace("12111", "12112")):
        refused = env.client.post(f"/c/pay/{session_id}", data=form, headers={"Origin": origin}, follow_redirects=False)
        assert refused.status_code == 403, (origin, refused.status_code)
    assert _status(env, session_id) == "open"
    pi = env.client.post("/v1/payment_intents", headers=API, data={
        "amount": "2000", "currency": "jpy", "confirm": "true", "payment_method": "pm_card_threeDSecure2Required",
        "return_url": "https://merchant.example/back"}).json()
    framed = env.client.post(f"/3ds/{pi['id']}", data={"client_secret": pi["client_secret"], "action": "complete"},
                             headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert framed.status_code == 403
    assert env.client.get(f"/v1/payment_intents/{pi['id']}", headers=API).json()["status"] == "requires_action"
    same = env.client.post(f"/3ds/{pi['id']}", data={"client_secret": pi["client_secret"], "action": "complete"},
                           headers={"Origin": BASE}, follow_redirects=False)
    assert same.status_code == 303 and same.headers["location"].startswith("https://merchant.example/back?")


@pytest.mark.parametrize("bad", BAD_URLS)
def test_redirect_urls_are_absolute_http_urls_only(env: Env, bad: str) -> None:
    pi = env.client.post("/v1/payment_intents", headers=API, data={
        "amount": "2000", "currency": "jpy", "confirm": "true", "payment_method": "pm_card_threeDSecure2Required", "return_url": bad})
    assert pi.status_code == 400 and pi.json()["error"]["param"] == "return_url", pi.text
    base = {"mode": "payment", "line_items[0][quantity]": "1", "line_items[0][price_data][currency]": "jpy",
            "line_items[0][price_data][unit_amount]": "1980", "line_items[0][price_data][product_data][name]": "Tea"}
    for param in ("success_url", "cancel_url"):
        urls = {"success_url": "https://merchant.example/ok", param: bad}
        session = env.client.post("/v1/checkout/sessions", headers=API, data={**base, **urls})
        assert session.status_code == 400 and session.json()["error"]["param"] == param, session.text


def test_ids_and_secrets_come_from_the_operating_systems_csprng(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session ids are page URLs and client secrets are built from ids: their random part is os.urandom's."""
    calls: list[int] = []

    def urandom(n: int) -> bytes:
        calls.append(n)
        return bytes(n)

    monkeypatch.setattr(ids.os, "urandom", urandom)
    monkeypatch.setattr(ids, "_urandom", urandom, raising=False)
    getattr(ids, "forget_pool", lambda: None)()  # bytes read ahead earlier
    session_id = ids.new_id("cs_test", 58)
    assert calls and session_id.endswith("0" * 20), session_id
    ids.forget_pool()  # the zeros are not ids for the tests that follow


def test_harness_endpoints_need_the_admin_token_even_from_loopback(gateway) -> None:
    for path in ("/_harness/ledger", "/_harness/outbox", "/_harness/webhook_attempts", "/_harness/faults"):
        for headers in ({}, {"Authorization": "Bearer sk_test_any"}, {"Authorization": "Bearer wrong"}):
            refused = httpx.get(gateway.url + path, headers=headers, trust_env=False)
            assert refused.status_code == 401, (path, headers, refused.status_code)
        allowed = httpx.get(gateway.url + path, headers={"Authorization": f"Bearer {gateway.admin_token}"}, trust_env=False)
        assert allowed.status_code == 200, (path, allowed.text[:200])


def test_the_checkout_form_sends_each_field_once_in_every_variant(env: Env) -> None:
    """The page's own form must get through the strict parser (a name sent twice is a 400): no field twice."""
    from scenarios.variants import list_variants

    for variant in list_variants():
        created = env.client.post("/v1/checkout/sessions", headers=API, data={
            "mode": "payment", "success_url": "https://merchant.example/ok", "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "jpy", "line_items[0][price_data][unit_amount]": "1980",
            "line_items[0][price_data][product_data][name]": "Tea", "variant": variant}).json()
        html = env.client.get(f"/c/pay/{created['id']}").text
        names = [n for _, n in re.findall(r"<(input|select|textarea)\b(?![^>]*type=\"radio\")[^>]*\bname=\"([^\"]+)\"", html)]
        assert len(names) == len(set(names)), (variant, sorted(n for n in names if names.count(n) > 1))


@pytest.mark.parametrize("template", PAGES)
def test_a_secret_or_token_in_any_characters_is_refused_not_a_500(env: Env, template: str) -> None:
    """Client secrets, page tokens and form tokens are compared in constant time whatever they hold
    (hmac.compare_digest raises on non-ASCII text)."""
    real = _url(env, template).split("?")[0].split("/")
    for odd in ("é", "🙂", "%FF", "x" * 300):
        parts = list(real)
        if template.count("{") == 2:
            parts[-1] = quote(odd, safe="%") if template.endswith("{token}") else parts[-1]
            if template.endswith("/scan"):
                parts[-2] = quote(odd, safe="%")
        path = "/".join(parts)
        for response in (env.client.get(f"{path}?client_secret={quote(odd, safe='%')}"),
                         env.client.post(path, data={"client_secret": odd, "form_token": odd, "action": "complete"})):
            assert response.status_code < 500, (template, odd, response.status_code, response.text[:200])
