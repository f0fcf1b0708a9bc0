"""Bad input never gives a 500: random form bodies, query strings, paths and methods against a real gateway.

Each example is one HTTP request to the session's gateway process. Bodies are built from known
parameter names and random ones, bracket suffixes (balanced, unbalanced, deep, list and object
mixed), random unicode, and random percent-encoding (valid, invalid hex, bytes that are not UTF-8).
The answer must never be a 5xx, and an API answer must be Stripe's envelope, naming the `param` when
a parameter was at fault.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mock_gateway.app  # noqa: F401  (registers every API route)
from mock_gateway.app import ROUTES

pytestmark = pytest.mark.timeout(240)

API_KEY = "sk_test_fuzz"
ERROR_TYPES = {"api_error", "card_error", "idempotency_error", "invalid_request_error", "rate_limit_error"}
# Codes that say a parameter was at fault: the envelope must name it.
PARAM_CODES = {"parameter_unknown", "parameter_missing", "parameter_invalid_empty", "parameter_invalid_integer",
               "parameter_invalid_string_blank", "email_invalid", "amount_too_small", "amount_too_large"}

API_TEMPLATES = sorted({r.path for r in ROUTES})
PAGE_TEMPLATES = ["/3ds/{id}"]  # the gateway's own page; the hosted checkout's pages have their own tests
KNOWN_NAMES = sorted({name for r in ROUTES for name in r.spec} | {"expand"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# -- strategies -------------------------------------------------------------------------------------

unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
names = st.one_of(st.sampled_from(KNOWN_NAMES), unicode_text, st.sampled_from(["", "0", "1", "99999999999999999999"]))
suffixes = st.lists(
    st.one_of(st.just("[]"), st.builds(lambda s: f"[{s}]", st.one_of(names, st.integers(0, 120).map(str))),
              st.sampled_from(["[", "]", "][", "[[x]]", "[a", "b]"])),
    max_size=4,
).map("".join)
deep = st.integers(15, 40).map(lambda n: "metadata" + "[a]" * n)
keys = st.one_of(st.builds(lambda n, s: n + s, names, suffixes), deep)
values = st.one_of(
    unicode_text,
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["true", "false", "", "jpy", "usd", "card", "pm_card_visa", "pm_card_chargeDeclined",
                     "pm_card_threeDSecure2Required", "tok_visa", "4242424242424242", "manual", "automatic"]),
)


def _encode(text: str, how: int) -> str:
    """0: percent-encoded, 1: raw (unsafe characters as they are), 2: raw bytes as %XX (maybe not UTF-8)."""
    if how == 0:
        return quote(text, safe="[]")
    if how == 1:
        return text.replace("&", "%26").replace("=", "%3D")
    return "".join(f"%{b:02X}" for b in text.encode("utf-8", "surrogatepass")[:40])


@st.composite
def form_bodies(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A form body and the parameter names it holds (as a server would decode them)."""
    pairs = draw(st.lists(st.tuples(keys, values, st.integers(0, 2), st.integers(0, 2)), max_size=8))
    parts, sent = [], []
    for key, value, how_key, how_value in pairs:
        parts.append(f"{_encode(key, how_key)}={_encode(value, how_value)}")
        sent.append(key)
    junk = draw(st.sampled_from(["", "", "", "&", "&&", "=", "%", "%Z", "%FF%FE=x", "a=%C3", "&=&", "+=+"]))
    return "&".join(parts) + junk, sent


path_values = st.one_of(
    st.sampled_from(["pi_123", "cus_missing", "pm_card_visa", "ch_nope", "re_x", "evt_1", "%2F", "..", "x" * 300, "🙂",
                     "%00", "%FF"]),
    unicode_text.filter(lambda s: s and "/" not in s and "?" not in s and "#" not in s).map(lambda s: quote(s, safe="")),
)


@st.composite
def paths(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 6:
        template = draw(st.sampled_from(API_TEMPLATES))
    elif kind == 7:
        template = draw(st.sampled_from(PAGE_TEMPLATES))
    else:
        template = draw(st.sampled_from(["/v1/nothing", "/v1/payment_intents/{id}/explode", "/v2/charges", "/",
                                         "/v1/", "/v1/customers/{id}/{id}/{id}", "/_harness/nothing"]))
    return _PLACEHOLDER.sub(lambda _: draw(path_values), template)


headers = st.fixed_dictionaries(
    {},
    optional={
        "Idempotency-Key": st.one_of(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=20),
                                     st.just("k" * 300)),
        "Stripe-Version": st.sampled_from(["2024-06-20", "2020-08-27", "nonsense"]),
        "Content-Type": st.sampled_from(["application/json", "text/plain", "multipart/form-data; boundary=x",
                                         "application/x-www-form-urlencoded; charset=utf-8"]),
    },
)

# -- the test -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(gateway):
    with httpx.Client(base_url=gateway.url, timeout=10, headers={"Authorization": f"Bearer {API_KEY}"}) as c:
        yield c


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST", "POST", "POST", "DELETE", "PUT", "PATCH"]), path=paths(), form=form_bodies(),
       extra_headers=headers)
def test_random_requests_never_get_a_500(client, method, path, form, extra_headers):
    body, sent = form
    if method == "GET" or method == "DELETE":
        query = quote(body, safe="=&%[]+")  # characters a URL cannot hold raw are percent-encoded
        response = client.request(method, f"{path}?{query}", headers=extra_headers)
    else:
        response = client.request(method, path, content=body.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", **extra_headers})
    assert response.status_code < 500, f"{method} {path} {body!r}: {response.status_code} {response.text[:500]}"
    if not path.startswith("/v1/"):
        return
    answer = response.json()
    if response.status_code == 200:
        assert isinstance(answer, dict) and "error" not in answer
        return
    error = answer["error"]
    assert error["type"] in ERROR_TYPES and isinstance(error["message"], str) and error["message"]
    if error.get("code") in PARAM_CODES:
        assert error.get("param"), f"{error} names no param"
    if error.get("code") == "parameter_unknown":
        # the unknown parameter is one that was sent (its top-level name at least)
        sent_roots = {_root(k) for k, _ in parse_qsl(body, keep_blank_values=True, errors="replace")} | {_root(k) for k in sent}
        assert _root(error["param"]) in sent_roots, f"{error['param']!r} not among {sent_roots}"


def _root(name: str) -> str:
    return name.split("[", 1)[0]


@pytest.mark.parametrize(
    "body",
    [
        "0=a",  # a top-level name that looks like a list index
        "metadata" + "[a]" * 200 + "=x",  # deeper than any parameter: refused, not recursed into
        "expand[]=" + "a." * 50,
        "amount=1000&currency=jpy&amount=2000",
        "amount=%FF&currency=jpy",
    ],
)
def test_known_edge_bodies_are_400s(client, body):
    response = client.post("/v1/payment_intents", content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_three_d_secure_page_refuses_a_malformed_form(client):
    response = client.post("/3ds/pi_nothing", content="client_secret[=x&action=complete",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code in (400, 404)
