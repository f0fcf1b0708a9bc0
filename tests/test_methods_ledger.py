"""Channels and methods: metadata[channel] checked, lists and the ledger export filtered by channel
and by payment method type, and automatic payment methods by currency."""

from __future__ import annotations

import json

import pytest
from methods_support import env, sdk  # noqa: F401


def _pay(sdk, env, channel: str, method: str) -> str:
    metadata = {"channel": channel, "order": "ledger-test"}
    if method == "card":
        return sdk.PaymentIntent.create(amount=1200, currency="jpy", payment_method="pm_card_visa", confirm=True, metadata=metadata).id
    if method == "konbini":
        pi = sdk.PaymentIntent.create(amount=1200, currency="jpy", payment_method_types=["konbini"], confirm=True, metadata=metadata,
                                      payment_method_data={"type": "konbini", "billing_details": {"name": "花子", "email": "fill_never@example.jp"}})
    else:
        pi = sdk.PaymentIntent.create(amount=1200, currency="jpy", payment_method_types=["paypay"], confirm=True, metadata=metadata,
                                      payment_method_data={"type": "paypay"})
    env.post(f"/v1/test_helpers/payment_intents/{pi.id}/pay")
    return pi.id


@pytest.fixture(scope="module")
def payments(env):
    import stripe

    saved = (stripe.api_key, stripe.api_base)
    stripe.api_key, stripe.api_base = "sk_test_methods", env.url
    try:
        return {(c, m): _pay(stripe, env, c, m) for c in ("web", "app", "pos") for m in ("card", "konbini", "paypay")}
    finally:
        stripe.api_key, stripe.api_base = saved


def _ledger(env, **params) -> list[dict]:
    response = env.http.get("/_harness/ledger", params=params, headers=env.admin, auth=None)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_ledger_export_filters_by_channel_and_method(env, payments):
    rows = [r for r in _ledger(env, type="payment_intent", channel="web", method="konbini") if r["metadata"].get("order") == "ledger-test"]
    assert [r["id"] for r in rows] == [payments[("web", "konbini")]]
    assert all(not k.startswith("_") for k in rows[0])  # objects as clients see them
    app = {r["id"] for r in _ledger(env, type="payment_intent", channel="app")}
    assert {payments[("app", m)] for m in ("card", "konbini", "paypay")} <= app
    assert not app & {payments[("web", m)] for m in ("card", "konbini", "paypay")}
    charges = _ledger(env, type="charge", method="paypay", channel="pos")
    assert [c["payment_intent"] for c in charges] == [payments[("pos", "paypay")]]


def test_ledger_export_as_json_and_oldest_first(env, payments):
    response = env.http.get("/_harness/ledger", params={"type": "payment_intent", "format": "json"}, headers=env.admin, auth=None)
    data = response.json()["data"]
    ids = [r["id"] for r in data]
    ours = [i for i in ids if i in set(payments.values())]
    assert ours == list(payments.values())  # created in this order


@pytest.mark.parametrize("params, param", [
    ({"channel": "fax"}, "channel"),
    ({"type": "customer", "channel": "web"}, "channel"),
    ({"format": "xml"}, "format"),
    ({"colour": "red"}, "colour"),
])
def test_ledger_export_bad_input(env, params, param):
    response = env.http.get("/_harness/ledger", params=params, headers=env.admin, auth=None)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_lists_filter_by_channel_and_method(sdk, payments):
    listed = sdk.PaymentIntent.list(channel="pos", payment_method_type="konbini", limit=100)
    assert payments[("pos", "konbini")] in [p.id for p in listed.data]
    assert all(p.metadata["channel"] == "pos" for p in listed.data)
    charges = sdk.Charge.list(channel="app", payment_method_type="card", limit=100).data
    assert payments[("app", "card")] in [c.payment_intent for c in charges]
    assert all(c.payment_method_details.type == "card" for c in charges)


def test_unknown_channel_is_refused(sdk):
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.PaymentIntent.create(amount=1000, currency="jpy", metadata={"channel": "kiosk"})
    assert err.value.param == "metadata[channel]"
    pi = sdk.PaymentIntent.create(amount=1000, currency="jpy", metadata={"channel": "mobile_web"})
    with pytest.raises(sdk.InvalidRequestError):
        sdk.PaymentIntent.modify(pi.id, metadata={"channel": "tv"})


def test_automatic_payment_methods_follow_the_currency(sdk):
    yen = sdk.PaymentIntent.create(amount=2000, currency="jpy", automatic_payment_methods={"enabled": True})
    assert {"card", "konbini", "paypay", "paypal"} <= set(yen.payment_method_types)
    assert "promptpay" not in yen.payment_method_types and "customer_balance" not in yen.payment_method_types
    no_redirects = sdk.PaymentIntent.create(amount=2000, currency="jpy",
                                            automatic_payment_methods={"enabled": True, "allow_redirects": "never"})
    assert "paypal" not in no_redirects.payment_method_types and "konbini" in no_redirects.payment_method_types
    cus = sdk.Customer.create()
    with_customer = sdk.PaymentIntent.create(amount=2000, currency="jpy", customer=cus.id, automatic_payment_methods={"enabled": True})
    assert "customer_balance" in with_customer.payment_method_types
    assert sdk.PaymentIntent.create(amount=2000, currency="usd").payment_method_types == ["card"]
