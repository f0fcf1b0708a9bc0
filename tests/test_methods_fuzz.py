"""Bad input to the payment-method paths never gives a 500: random options, billing details,
currencies and amounts for every non-card method, and random calls to the test helpers."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from methods_support import env  # noqa: F401

from mock_gateway.core.methods import METHODS

TYPES = sorted(name for name in METHODS if name != "card")
OPTION_KEYS = ["expires_after_days", "expires_at", "confirmation_number", "expires_after_seconds", "funding_type",
               "bank_transfer][type", "bank_transfer", "setup_future_usage", "x"]
values = st.one_of(st.sampled_from(["", "0", "1", "60", "61", "-5", "abc", "bank_transfer", "jp_bank_transfer",
                                    "us_bank_transfer", "0000000000", "09012345678", "99999999999999999999"]),
                   st.text(max_size=12))


@st.composite
def intents(draw) -> list[tuple[str, str]]:
    method = draw(st.sampled_from(TYPES))
    pairs = [("amount", draw(st.sampled_from(["1", "50", "120", "2000", "300001", "100000000", "x"]))),
             ("currency", draw(st.sampled_from(["jpy", "usd", "thb", "sgd", "eur"]))),
             ("payment_method_types[]", draw(st.sampled_from([method, method, "card"]))),
             ("confirm", draw(st.sampled_from(["true", "false"]))),
             ("payment_method_data[type]", method)]
    for key in draw(st.lists(st.sampled_from(OPTION_KEYS), max_size=3)):
        pairs.append((f"payment_method_options[{draw(st.sampled_from(TYPES))}][{key}]", draw(values)))
    for key in draw(st.lists(st.sampled_from(["name", "email", "phone"]), max_size=3, unique=True)):
        pairs.append((f"payment_method_data[billing_details][{key}]", draw(st.sampled_from(["", "a@b.co", "花子", "x"]))))
    if draw(st.booleans()):
        pairs.append(("return_url", draw(st.sampled_from(["https://shop.example/r", "not a url"]))))
    if draw(st.booleans()):
        pairs.append(("customer", draw(st.sampled_from(["cus_nope", "CUSTOMER"]))))
    if draw(st.booleans()):
        pairs.append(("capture_method", "manual"))
    return pairs


def _check(response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["type"] in ("invalid_request_error", "card_error") and error["message"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pairs=intents(), helper=st.sampled_from(["pay", "fail", "expire"]), chain=st.sampled_from(["", "lawson", "7eleven"]))
def test_random_method_input_is_refused_with_stripes_envelope(env, pairs, helper, chain):
    customer = env.post("/v1/customers").json()["id"]
    pairs = [(k, customer if v == "CUSTOMER" else v) for k, v in pairs]
    response = env.http.post("/v1/payment_intents", content=urlencode(pairs),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    _check(response)
    if response.status_code == 200:
        pi = response.json()["id"]
        _check(env.post(f"/v1/test_helpers/payment_intents/{pi}/{helper}", {"chain": chain} if chain else None))
        _check(env.post(f"/v1/test_helpers/customers/{customer}/fund_cash_balance", {"amount": "700", "currency": "jpy"}))
