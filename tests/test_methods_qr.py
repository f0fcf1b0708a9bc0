"""QR code methods (PayPay, PromptPay, PayNow) through the official stripe SDK: the code's data,
PNG and SVG images, the scan page, approval, rejection and expiry."""

from __future__ import annotations

import pytest
from methods_support import env, sdk  # noqa: F401


def qr_intent(sdk, method: str = "paypay", currency: str = "jpy", amount: int = 2400):
    return sdk.PaymentIntent.create(amount=amount, currency=currency, payment_method_types=[method], confirm=True,
                                    payment_method_data={"type": method})


def test_paypay_shows_a_qr_code_that_a_phone_approves(sdk, env):
    pi = qr_intent(sdk)
    assert pi.status == "requires_action" and pi.next_action.type == "paypay_display_qr_code"
    qr = pi.next_action.paypay_display_qr_code
    png = env.http.get(qr.image_url_png)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = env.http.get(qr.image_url_svg)
    assert svg.status_code == 200 and b"<svg" in svg.content
    shown = env.http.get(qr.hosted_instructions_url)
    assert shown.status_code == 200 and qr.image_url_svg in shown.text and "¥2,400" in shown.text
    scan = env.http.get(qr.data)  # what the phone opens
    assert scan.status_code == 200 and "PayPay" in scan.text
    done = env.http.post(qr.data, data={"action": "approve"})
    assert done.status_code == 200 and "Paid ¥2,400" in done.text
    assert sdk.PaymentIntent.retrieve(pi.id).status == "succeeded"
    assert env.http.get(qr.hosted_instructions_url).text.count("Payment received") == 1


def test_rejected_in_the_app(sdk, env):
    pi = qr_intent(sdk)
    failed = env.post(f"/v1/test_helpers/payment_intents/{pi.id}/fail").json()
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_payment_attempt_failed"


def test_expired_code_is_no_longer_served(sdk, env):
    pi = qr_intent(sdk)
    qr = pi.next_action.paypay_display_qr_code
    expired = env.post(f"/v1/test_helpers/payment_intents/{pi.id}/expire").json()
    assert expired["status"] == "requires_payment_method"
    assert expired["last_payment_error"]["code"] == "payment_intent_payment_attempt_expired"
    assert env.http.post(qr.data, data={"action": "approve"}).status_code == 200
    assert sdk.PaymentIntent.retrieve(pi.id).status == "requires_payment_method"  # a stale scan changes nothing
    # confirming again issues a new code; the old image link is gone
    again = sdk.PaymentIntent.confirm(pi.id, payment_method_data={"type": "paypay"})
    assert again.next_action.paypay_display_qr_code.data != qr.data
    assert env.http.get(qr.image_url_png).status_code == 404


@pytest.mark.parametrize("method, currency, amount", [("promptpay", "thb", 5000), ("paynow", "sgd", 1000)])
def test_other_qr_methods_follow_the_same_pattern(sdk, env, method, currency, amount):
    pi = qr_intent(sdk, method, currency, amount)
    assert pi.next_action.type == f"{method}_display_qr_code"
    assert env.post(f"/v1/test_helpers/payment_intents/{pi.id}/pay").json()["status"] == "succeeded"


def test_currency_the_method_cannot_take_is_refused(sdk):
    with pytest.raises(sdk.InvalidRequestError) as err:
        qr_intent(sdk, "promptpay", "jpy")
    assert err.value.param == "payment_method_types[0]"


def test_expiry_option_is_checked(sdk):
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.PaymentIntent.create(amount=2400, currency="jpy", payment_method_types=["paypay"], confirm=True,
                                 payment_method_data={"type": "paypay"},
                                 payment_method_options={"paypay": {"expires_after_seconds": 5}})
    assert err.value.param == "payment_method_options[paypay][expires_after_seconds]"
