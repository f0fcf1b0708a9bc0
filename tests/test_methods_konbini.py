"""Konbini through the official stripe SDK: voucher details, Stripe's email-driven test behaviour,
the pay-now test helper, the hosted voucher page and bad input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from methods_support import env, event_types, eventually, sdk  # noqa: F401

from mock_gateway.core.methods.konbini import JST, expires_at


def konbini_intent(sdk, email: str, amount: int = 1980, **extra):
    return sdk.PaymentIntent.create(
        amount=amount, currency="jpy", payment_method_types=["konbini"], confirm=True,
        payment_method_data={"type": "konbini", "billing_details": {"name": "山田 花子", "email": email}}, **extra,
    )


def test_confirm_shows_a_voucher_for_each_chain_and_the_hosted_page(sdk, env):
    pi = konbini_intent(sdk, "hanako.fill_never@example.jp", payment_method_options={"konbini": {"expires_after_days": 2}})
    assert pi.status == "requires_action" and pi.next_action.type == "konbini_display_details"
    details = pi.next_action.konbini_display_details
    assert set(details.stores.to_dict()) == {"familymart", "lawson", "ministop", "seicomart"}
    assert all(len(s["payment_code"]) == 12 and s["payment_code"].isdigit() for s in details.stores.to_dict().values())
    assert details.expires_at == expires_at(int(time.time()), 2) or details.expires_at == expires_at(int(time.time()) - 1, 2)
    page = env.http.get(details.hosted_voucher_url)
    assert page.status_code == 200 and "¥1,980" in page.text and details.stores.lawson.payment_code in page.text
    assert env.http.get(details.hosted_voucher_url + "x").status_code == 404


def test_succeed_immediately_pays_on_the_next_sweep(sdk):
    pi = konbini_intent(sdk, "succeed_immediately@example.jp")
    assert pi.status == "requires_action"
    paid = eventually(lambda: (p := sdk.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])).status == "succeeded" and p)
    assert paid.amount_received == 1980
    assert paid.latest_charge.payment_method_details.konbini.store.chain == "lawson"
    assert event_types(sdk, pi.id)[-2:] == ["payment_intent.requires_action", "payment_intent.succeeded"]


def test_expire_immediately_fails_then_cancels(sdk):
    pi = konbini_intent(sdk, "taro+expire_immediately@example.jp")
    assert pi.next_action.konbini_display_details.expires_at <= int(time.time()) + 1
    expired = eventually(lambda: (p := sdk.PaymentIntent.retrieve(pi.id)).status == "canceled" and p)
    assert expired.cancellation_reason == "automatic"
    assert expired.last_payment_error.code == "payment_intent_payment_attempt_expired"
    assert event_types(sdk, pi.id)[-2:] == ["payment_intent.payment_failed", "payment_intent.canceled"]


def test_default_email_waits_three_minutes_and_the_helper_pays_now(sdk, env):
    pi = konbini_intent(sdk, "hanako@example.jp")
    time.sleep(0.3)  # several sweeps: nothing is due for 3 minutes
    assert sdk.PaymentIntent.retrieve(pi.id).status == "requires_action"
    paid = env.post(f"/v1/test_helpers/payment_intents/{pi.id}/pay", {"chain": "seicomart"})
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    charge = sdk.Charge.retrieve(paid.json()["latest_charge"])
    assert charge.payment_method_details.type == "konbini" and charge.payment_method_details.konbini.store.chain == "seicomart"
    again = env.post(f"/v1/test_helpers/payment_intents/{pi.id}/pay")
    assert again.status_code == 400 and again.json()["error"]["code"] == "payment_intent_unexpected_state"


@pytest.mark.parametrize(
    "change, param",
    [
        ({"currency": "usd"}, "payment_method_types[0]"),
        ({"amount": 100}, "amount"),
        ({"amount": 300_001}, "amount"),
        ({"payment_method_options": {"konbini": {"expires_after_days": 61}}}, "payment_method_options[konbini][expires_after_days]"),
        ({"payment_method_options": {"konbini": {"confirmation_number": "12"}}}, "payment_method_options[konbini][confirmation_number]"),
        ({"payment_method_data": {"type": "konbini", "billing_details": {"name": "花子"}}}, "billing_details[email]"),
    ],
)
def test_bad_input_names_the_param(sdk, change, param):
    params = dict(amount=1980, currency="jpy", payment_method_types=["konbini"], confirm=True,
                  payment_method_data={"type": "konbini", "billing_details": {"name": "花子", "email": "h@example.jp"}})
    params.update(change)
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.PaymentIntent.create(**params)
    assert err.value.http_status == 400 and err.value.param == param


def test_manual_capture_is_refused(sdk):
    with pytest.raises(sdk.InvalidRequestError) as err:
        konbini_intent(sdk, "h@example.jp", capture_method="manual")
    assert err.value.param == "capture_method"


@settings(max_examples=200, deadline=None)
@given(now=st.integers(min_value=1_600_000_000, max_value=2_000_000_000), days=st.integers(min_value=1, max_value=60))
def test_expiry_is_end_of_day_in_japan(now, days):
    expiry = expires_at(now, days)
    assert (expiry + JST) % 86400 == 86399  # 23:59:59 JST
    assert (expiry + JST) // 86400 - (now + JST) // 86400 == days
