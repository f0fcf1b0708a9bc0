"""Every route the gateway serves gets random input and never answers a 500.

The routes are read from the application itself (API, hosted pages, checkout, static files, admin,
test helpers), so a route added tomorrow is fuzzed without touching this file. Each route gets
random methods it declares, random path values mixed with real ones (ids and tokens of objects
made first, read from the URLs the gateway itself handed out), random form bodies and query
strings, and random auth and Origin headers. An API error must be Stripe's envelope, naming its
`param` when a parameter was at fault; a hosted page refuses a form it cannot use with a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from test_gateway_fuzz import ERROR_TYPES, KNOWN_NAMES, PARAM_CODES, _encode, path_values, unicode_text

from mock_gateway.api.router import ApiRouter
from mock_gateway.app import create_app
from mock_gateway.store.db import Store

pytestmark = pytest.mark.timeout(300)

BASE = "http://127.0.0.1:12111"
API = {"Authorization": "Bearer sk_test_routes"}
ADMIN_TOKEN = "admin-routes-fuzz"
MALFORMED = ["a[=1", "%ff", "a=1&a=2", "metadata[a]=1&metadata=2", "=&=", "client_secret[]=x&action=approve"]
PAGE_NAMES = ["action", "client_secret", "form_token", "step", "number", "exp_month", "exp_year", "cvc", "chain",
              "card_number", "card_expiry", "card_cvc", "email", "payment_method", "postal_code", "profile", "type"]


def _route_cases() -> list[tuple[str, str]]:
    """(method, path template) for every route of the app, Mounts as `<prefix>/{path}`."""
    app = create_app(Store(":memory:", background_checkpoints=False))
    cases: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                cases.add((method, route.path))
        elif isinstance(route, Mount) and isinstance(route.app, ApiRouter):  # the API: its own table
            cases.update((api_route.method, api_route.path) for api_route in route.app.routes)
        elif isinstance(route, Mount):
            cases.add(("GET", route.path + "/{path}"))
        else:
            raise AssertionError(f"a route of a kind this test does not know: {route!r}")
    return sorted(cases, key=lambda case: (case[1], case[0]))


ROUTE_CASES = _route_cases()
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _regex(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)
    pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{pattern}$")


class Env:
    """The app in this process (no sockets: every route's handler runs here), and real objects to aim at."""

    def __init__(self, db: str) -> None:
        self.app = create_app(Store(db))
        control = self.app.state.fault_control
        control.admin_token, control.admin_remote = ADMIN_TOKEN, True  # the test client is no loopback address
        self.client = TestClient(self.app, base_url=BASE, raise_server_exceptions=False)
        self.paths: list[str] = []  # paths the gateway handed out (pages, images, ids)
        self.ids: list[str] = []

    def post(self, path: str, data: dict[str, str]) -> dict[str, Any]:
        answer = self.client.post(path, data=data, headers=API).json()
        assert "error" not in answer, (path, answer)
        self._collect(answer)
        return answer

    def _collect(self, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "id" and isinstance(item, str):
                    self.ids.append(item)
                self._collect(item)
        elif isinstance(value, list):
            for item in value:
                self._collect(item)
        elif isinstance(value, str) and value.startswith(BASE + "/"):
            self.paths.append(urlsplit(value).path)

    def seed(self) -> None:
        """A customer, payments waiting on every hosted page, a checkout session, an open invoice, a clock."""
        cus = self.post("/v1/customers", {"email": "fuzz@example.jp", "name": "Fuzz"})
        ret = {"return_url": "https://merchant.example/return", "confirm": "true", "amount": "2400", "currency": "jpy"}
        self.post("/v1/payment_intents", {**ret, "payment_method": "pm_card_threeDSecure2Required"})
        self.post("/v1/payment_intents", {**ret, "payment_method_types[]": "paypal", "payment_method_data[type]": "paypal"})
        self.post("/v1/payment_intents", {**ret, "payment_method_types[]": "paypay", "payment_method_data[type]": "paypay"})
        self.post("/v1/payment_intents", {"amount": "2400", "currency": "jpy", "confirm": "true", "payment_method_types[]": "konbini",
                                          "payment_method_data[type]": "konbini", "payment_method_data[billing_details][name]": "Fuzz",
                                          "payment_method_data[billing_details][email]": "fuzz@example.jp"})
        self.post("/v1/payment_intents", {"amount": "2400", "currency": "jpy", "confirm": "true", "customer": cus["id"],
                                          "payment_method_types[]": "customer_balance", "payment_method_data[type]": "customer_balance",
                                          "payment_method_options[customer_balance][funding_type]": "bank_transfer",
                                          "payment_method_options[customer_balance][bank_transfer][type]": "jp_bank_transfer"})
        self.post("/v1/checkout/sessions", {"mode": "payment", "success_url": "https://merchant.example/ok",
                                            "line_items[0][price_data][currency]": "jpy", "line_items[0][quantity]": "1",
                                            "line_items[0][price_data][unit_amount]": "1980",
                                            "line_items[0][price_data][product_data][name]": "Tea"})
        prod = self.post("/v1/products", {"name": "Plan"})
        price = self.post("/v1/prices", {"currency": "jpy", "unit_amount": "1000", "recurring[interval]": "month", "product": prod["id"]})
        payer = self.post("/v1/customers", {"email": "payer@example.jp"})
        pm = self.post("/v1/payment_methods", {"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
                                               "card[exp_year]": "2040"})
        self.post(f"/v1/payment_methods/{pm['id']}/attach", {"customer": payer["id"]})
        self.post(f"/v1/customers/{payer['id']}", {"invoice_settings[default_payment_method]": pm["id"]})
        self.post(f"/v1/test_helpers/payment_methods/{pm['id']}/behaviour", {"outcome": "decline", "decline_code": "insufficient_funds"})
        sub = self.post("/v1/subscriptions", {"customer": payer["id"], "items[0][price]": price["id"]})
        invoice = self.client.get(f"/v1/invoices/{sub['latest_invoice']}", headers=API).json()
        assert invoice["status"] == "open", invoice
        self._collect(invoice)
        self.post("/v1/test_helpers/test_clocks", {"frozen_time": "1767225600"})

    def real_params(self, template: str) -> list[dict[str, str]]:
        """Path parameters of this route that name real objects (from the URLs the gateway gave out, and ids)."""
        regex = _regex(template)
        found = [m.groupdict() for m in map(regex.match, self.paths) if m]
        names = _PARAM.findall(template)
        if len(names) == 1:
            found += [{names[0]: i} for i in self.ids]
        return found


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(str(tmp_path_factory.mktemp("routes") / "gateway.sqlite3"))
    e.seed()
    yield e
    e.client.close()
    e.app.state.gateway.store.close()


def _fill(template: str, params: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: params[m.group(1)], template)


def _check(method: str, template: str, path: str, body: str, response: Any) -> None:
    where = f"{method} {path} {body!r}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:400]}"
    if template.startswith("/v1/"):
        answer = response.json()
        if response.status_code >= 400:
            error = answer["error"]
            assert error["type"] in ERROR_TYPES and error["message"], where
            if error.get("code") in PARAM_CODES:
                assert error.get("param"), f"{where}: {error} names no param"
    elif not template.startswith("/_harness/") and response.status_code in (400, 403, 413):
        assert response.headers["content-type"].startswith(("text/html", "application/json")), where


names = st.one_of(st.sampled_from(KNOWN_NAMES + PAGE_NAMES), unicode_text)
suffixes = st.lists(st.sampled_from(["[]", "[a]", "[0]", "[", "]", "[[x]]"]), max_size=3).map("".join)
values = st.one_of(unicode_text, st.integers(-(10**20), 10**20).map(str),
                   st.sampled_from(["approve", "cancel", "reject", "complete", "fail", "pay", "next", "lookup", "true", "jpy",
                                    "4242424242424242", "12", "2040", "", "pm_card_visa"]))


@st.composite
def bodies(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(names, suffixes, values, st.integers(0, 2), st.integers(0, 2)), max_size=6))
    body = "&".join(f"{_encode(n + s, hk)}={_encode(v, hv)}" for n, s, v, hk, hv in pairs)
    return body + draw(st.sampled_from(["", "", "&", "%", "%ZZ", "%FF=x", "=", "a[=1"]))


headers = st.fixed_dictionaries({}, optional={
    "Authorization": st.sampled_from([API["Authorization"], f"Bearer {ADMIN_TOKEN}", "Bearer nope", "Basic %%%", ""]),
    "Origin": st.sampled_from([BASE, "https://evil.example", "null"]),
    "Idempotency-Key": st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=12),
    "Content-Type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded; charset=utf-8"]),
})


@pytest.mark.parametrize(("method", "template"), ROUTE_CASES, ids=[f"{m} {p}" for m, p in ROUTE_CASES])
@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_route_survives_random_input(env: Env, method: str, template: str, data: st.DataObject) -> None:
    real = env.real_params(template)
    names_in_path = _PARAM.findall(template)
    how = data.draw(st.sampled_from(["real", "mixed", "random"]) if real else st.just("random"))
    if how == "real":
        params = data.draw(st.sampled_from(real))
    else:  # each parameter real or random on its own: a real id with a random token, a random id with a real one
        params = {}
        for name in names_in_path:
            pool = sorted({found[name] for found in real})
            if how == "mixed" and pool and data.draw(st.booleans()):
                params[name] = data.draw(st.sampled_from(pool))
            else:
                params[name] = data.draw(path_values.filter(lambda v: v not in (".", "..")))
    path = _fill(template, params)
    body = data.draw(bodies())
    sent = {"Authorization": API["Authorization"], **data.draw(headers)}
    if method in ("GET", "DELETE"):
        response = env.client.request(method, f"{path}?{quote(body, safe='=&%[]+')}", headers=sent)
    else:
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        response = env.client.request(method, path, content=body.encode(), headers=sent)
    _check(method, template, path, body, response)


@pytest.mark.parametrize("body", MALFORMED)
@pytest.mark.parametrize(("method", "template"), [c for c in ROUTE_CASES if c[0] in ("POST", "PUT")],
                         ids=[f"{m} {p}" for m, p in ROUTE_CASES if m in ("POST", "PUT")])
def test_malformed_bodies_on_real_objects_are_refused_cleanly(env: Env, method: str, template: str, body: str) -> None:
    """`a[=1`, `%ff`, `a=1&a=2` and friends at every route that takes a body, aimed at real objects where
    the gateway handed some out: an API 400 names its param, a page answers with a page."""
    for params in (env.real_params(template) or [{name: "x_missing" for name in _PARAM.findall(template)}])[:2]:
        path = _fill(template, params)
        response = env.client.request(method, path, content=body.encode(), headers={
            **API, "Content-Type": "application/x-www-form-urlencoded"})
        _check(method, template, path, body, response)
        if template.startswith("/v1/"):
            assert response.status_code in (400, 404), response.text
            if body in ("a[=1", "a=1&a=2"):
                assert response.json()["error"].get("param", "").startswith("a"), response.text


@pytest.mark.parametrize("page", ["/paypal/{id}", "/qr/{id}/{token}/scan", "/billing/invoices/{id}/{token}", "/3ds/{id}", "/c/pay/{id}"])
@pytest.mark.parametrize("body", ["a[=1", "%ff", "a=1&a=2"])
def test_hosted_pages_answer_a_malformed_form_with_a_page(env: Env, page: str, body: str) -> None:
    """The bodies that gave 500s on the PayPal, QR scan and invoice pages: a 400 page now, on a real payment."""
    real = env.real_params(page)
    assert real, f"no real object for {page}"
    response = env.client.post(_fill(page, real[0]), content=body.encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400, (page, body, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")


def test_fund_cash_balance_is_bounded_as_stripe_bounds_amounts(env: Env) -> None:
    customer = env.post("/v1/customers", {"email": "funds@example.jp"})["id"]
    path = f"/v1/test_helpers/customers/{customer}/fund_cash_balance"
    for amount in ("9" * 18, "100000000", "-5"):
        response = env.client.post(path, data={"amount": amount, "currency": "jpy"}, headers=API)
        assert response.status_code == 400 and response.json()["error"]["param"] == "amount", response.text
    assert env.client.post(path, data={"amount": "99999999", "currency": "jpy"}, headers=API).status_code == 200


def test_the_route_list_is_the_apps_own() -> None:
    """Pages, admin and test helpers are among the routes fuzzed, read from the app (not a list kept here)."""
    templates = {p for _, p in ROUTE_CASES}
    for expected in ("/3ds/{id}", "/paypal/{id}", "/billing/invoices/{id}/{token}", "/c/pay/{id}", "/_harness/faults",
                     "/_harness/ledger", "/v1/test_helpers/test_clocks/{id}/advance", "/c/static/{path}"):
        assert expected in templates, expected
