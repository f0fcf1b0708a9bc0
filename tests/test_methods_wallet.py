"""PayPal through the official stripe SDK: the approval page and back to return_url, cancel, and a
returning customer's saved wallet paying without a redirect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from methods_support import env, event_types, sdk  # noqa: F401

RETURN = "https://shop.example/return?order=42"


def paypal_intent(sdk, **extra):
    return sdk.PaymentIntent.create(amount=4500, currency="jpy", payment_method_types=["paypal"], confirm=True,
                                    payment_method_data={"type": "paypal", "billing_details": {"email": "buyer@example.jp"}},
                                    return_url=RETURN, **extra)


def answer(env, pi, action: str):
    """What the shopper's browser does: open the approval page, press a button, follow the 303."""
    url = pi.next_action.redirect_to_url.url
    page = env.http.get(url)
    assert page.status_code == 200 and "¥4,500" in page.text
    response = env.http.post(url.split("?")[0], data={"client_secret": pi.client_secret, "action": action})
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.netloc == "shop.example" and target.path == "/return"
    return parse_qs(target.query)


def test_approval_redirects_back_and_the_payment_succeeds(sdk, env):
    pi = paypal_intent(sdk)
    assert pi.status == "requires_action" and pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.url.startswith(env.url + "/paypal/")
    query = answer(env, pi, "approve")
    assert query["redirect_status"] == ["succeeded"] and query["payment_intent"] == [pi.id] and query["order"] == ["42"]
    paid = sdk.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert paid.status == "succeeded"
    assert paid.latest_charge.payment_method_details.paypal.payer_email == "buyer@example.jp"


def test_cancel_returns_failed_and_the_intent_can_be_paid_again(sdk, env):
    pi = paypal_intent(sdk)
    query = answer(env, pi, "cancel")
    assert query["redirect_status"] == ["failed"]
    after = sdk.PaymentIntent.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "payment_intent_payment_attempt_failed"
    assert event_types(sdk, pi.id)[-1] == "payment_intent.payment_failed"
    sdk.PaymentIntent.modify(pi.id, payment_method_types=["paypal", "card"])
    retried = sdk.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert retried.status == "succeeded"


def test_saved_wallet_pays_a_returning_customer_without_redirect(sdk, env):
    cus = sdk.Customer.create(email="repeat@example.jp")
    first = paypal_intent(sdk, customer=cus.id, setup_future_usage="off_session")
    answer(env, first, "approve")
    saved = sdk.PaymentMethod.list(customer=cus.id, type="paypal").data
    assert [pm.id for pm in saved] == [first.payment_method]
    again = sdk.PaymentIntent.create(amount=3200, currency="jpy", customer=cus.id, payment_method=saved[0].id,
                                     payment_method_types=["paypal"], off_session=True, confirm=True)
    assert again.status == "succeeded" and again.next_action is None and again.amount_received == 3200
    on_session = sdk.PaymentIntent.create(amount=800, currency="jpy", customer=cus.id, payment_method=saved[0].id,
                                          payment_method_types=["paypal"], confirm=True, return_url=RETURN)
    assert on_session.status == "succeeded"


def test_unsaved_wallet_cannot_be_charged_off_session(sdk):
    cus = sdk.Customer.create(email="new@example.jp")
    pm = sdk.PaymentMethod.create(type="paypal")
    sdk.PaymentMethod.attach(pm.id, customer=cus.id)
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.PaymentIntent.create(amount=1000, currency="jpy", customer=cus.id, payment_method=pm.id,
                                 payment_method_types=["paypal"], off_session=True, confirm=True)
    assert err.value.param == "payment_method"


def test_return_url_is_required(sdk):
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method_types=["paypal"], confirm=True,
                                 payment_method_data={"type": "paypal"})
    assert err.value.param == "return_url"


def test_manual_capture_with_paypal_waits_for_capture(sdk, env):
    pi = paypal_intent(sdk, capture_method="manual")
    answer(env, pi, "approve")
    assert sdk.PaymentIntent.retrieve(pi.id).status == "requires_capture"
    assert sdk.PaymentIntent.capture(pi.id).status == "succeeded"
