"""Stripe's testing page through the official SDK: every `pm_card_*` token resolves, cards by country,
declines by code, the attach-then-fail card, 3-D Secure variants, Radar's outcome and the CVC and
address checks; and the test-clocks guide's recipe as the guide writes it."""

from __future__ import annotations

import uuid

import pytest
from methods_support import env, sdk  # noqa: F401

from mock_gateway.core.instruments import (
    INSTRUMENTS,
    PM_TOKENS,
    TOKENS,
    Behaviour,
    luhn_valid,
)

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
YEAR = 365 * 86400


def test_the_table_holds_valid_numbers_and_unique_tokens():
    numbers = [row.number for row in INSTRUMENTS]
    assert len(numbers) == len(set(numbers))
    assert all(luhn_valid(n) for n in numbers)
    names = [name for row in INSTRUMENTS for name in row.tokens]
    assert len(names) == len(set(names)) and all(n.startswith("pm_card_") for n in names)
    assert set(TOKENS) == {"tok_" + n[len("pm_card_"):] for n in names}
    for row in INSTRUMENTS:  # the stored form of each behaviour reads back as itself
        assert Behaviour.decode(row.behaviour.encode()) == row.behaviour
    assert Behaviour.decode("decline:insufficient_funds:succeed") == Behaviour("decline", "insufficient_funds")


@pytest.mark.parametrize("token, brand, country", [
    ("pm_card_us", "visa", "US"), ("pm_card_jp", "visa", "JP"), ("pm_card_gb", "visa", "GB"),
    ("pm_card_de", "visa", "DE"), ("pm_card_br", "visa", "BR"), ("pm_card_ae_mastercard", "mastercard", "AE"),
    ("pm_card_jcb", "jcb", "JP"), ("pm_card_unionpay", "unionpay", "CN"), ("tok_fr", "visa", "FR"),
])
def test_cards_by_country(sdk, token, brand, country):
    pm = sdk.PaymentMethod.create(type="card", card={"token": token})
    assert (pm.card.brand, pm.card.country) == (brand, country)
    pi = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method=token, confirm=True)
    assert pi.status == "succeeded"
    assert sdk.Charge.retrieve(pi.latest_charge).payment_method_details.card.country == country


def test_co_branded_cards_name_both_networks(sdk):
    pm = sdk.PaymentMethod.create(type="card", card={"number": "4000002500001001", "exp_month": 12, "exp_year": 2034})
    assert (pm.card.brand, pm.card.country, pm.card.networks.available) == ("visa", "FR", ["cartes_bancaires", "visa"])
    assert sdk.PaymentMethod.create(type="card", card={"token": "tok_visa"}).card.networks.available == ["visa"]


def test_every_token_on_the_page_resolves(sdk):
    for token in PM_TOKENS:
        pi = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method=token)
        assert pi.status == "requires_confirmation", token


@pytest.mark.parametrize("token, code, decline_code", [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
    ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline"),
])
def test_declines_by_code(sdk, token, code, decline_code):
    with pytest.raises(sdk.CardError) as caught:
        sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method=token, confirm=True)
    assert (caught.value.code, caught.value.error.decline_code) == (code, decline_code)
    charge = sdk.Charge.retrieve(caught.value.error.payment_intent["latest_charge"])
    assert charge.status == "failed" and charge.outcome.type == "issuer_declined"


def test_attach_verifies_the_card_and_the_attach_then_fail_card_attaches(sdk):
    with pytest.raises(sdk.CardError) as caught:
        sdk.Customer.create(email=f"{uuid.uuid4().hex[:8]}@example.jp", payment_method="pm_card_visa_chargeDeclined")
    assert caught.value.error.decline_code == "generic_decline"
    cus = sdk.Customer.create(email=f"{uuid.uuid4().hex[:8]}@example.jp", payment_method="pm_card_chargeCustomerFail")
    pm = sdk.PaymentMethod.list(customer=cus.id, type="card").data[0]
    assert pm.card.last4 == "0341"
    with pytest.raises(sdk.CardError):
        sdk.PaymentIntent.create(amount=1000, currency="jpy", customer=cus.id, payment_method=pm.id,
                                 off_session=True, confirm=True)


@pytest.mark.parametrize("token, risk_level, kind, paid", [
    ("pm_card_visa", "normal", "authorized", True),
    ("pm_card_riskLevelElevated", "elevated", "manual_review", True),
    ("pm_card_riskLevelHighest", "highest", "blocked", False),
    ("pm_card_radarBlock", "highest", "blocked", False),
])
def test_radar_outcomes(sdk, token, risk_level, kind, paid):
    try:
        pi = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method=token, confirm=True)
        charge_id = pi.latest_charge
    except sdk.CardError as err:
        assert err.error.decline_code == "fraudulent"
        charge_id = err.error.payment_intent["latest_charge"]
    charge = sdk.Charge.retrieve(charge_id)
    assert (charge.outcome.risk_level, charge.outcome.type, charge.paid) == (risk_level, kind, paid)


def test_cvc_and_address_checks(sdk):
    address = {"line1": "1-1 Chiyoda", "postal_code": "100-0001", "country": "JP"}
    cards = {"4242424242424242": ("pass", "pass", "pass"), "4000000000000036": ("pass", "pass", "fail"),
             "4000000000000010": ("pass", "fail", "fail"), "4000000000000101": ("fail", "pass", "pass"),
             "4000000000000044": ("pass", "unavailable", "unavailable")}
    for number, expected in cards.items():
        pm = sdk.PaymentMethod.create(type="card", card={"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                                      billing_details={"address": address})
        checks = pm.card.checks
        assert (checks.cvc_check, checks.address_line1_check, checks.address_postal_code_check) == expected, number
    bare = sdk.PaymentMethod.create(type="card", card={"number": "4000000000000036", "exp_month": 12, "exp_year": 2034})
    assert bare.card.checks.cvc_check is None and bare.card.checks.address_postal_code_check is None


def test_three_d_secure_variants(sdk):
    required = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_threeDSecure2Required",
                                        confirm=True)
    assert required.status == "requires_action" and required.next_action.type == "redirect_to_url"
    optional = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_threeDSecureOptional",
                                        confirm=True)
    assert optional.status == "succeeded"
    frictionless = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_threeDSecureOptional",
                                            payment_method_options={"card": {"request_three_d_secure": "any"}}, confirm=True)
    assert frictionless.status == "succeeded"
    secure = sdk.Charge.retrieve(frictionless.latest_charge).payment_method_details.card.three_d_secure
    assert (secure.result, secure.authentication_flow) == ("authenticated", "frictionless")
    asked = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_threeDSecureOptional",
                                     payment_method_options={"card": {"request_three_d_secure": "challenge"}}, confirm=True)
    assert asked.status == "requires_action"
    not_supported = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_amex_threeDSecureNotSupported",
                                             payment_method_options={"card": {"request_three_d_secure": "any"}}, confirm=True)
    assert not_supported.status == "succeeded"
    assert sdk.PaymentMethod.retrieve(not_supported.payment_method).card.three_d_secure_usage.supported is False


def test_the_card_set_up_for_off_session_passes_off_session(sdk):
    cus = sdk.Customer.create(email=f"{uuid.uuid4().hex[:8]}@example.jp")
    first = sdk.PaymentIntent.create(amount=1000, currency="jpy", customer=cus.id, setup_future_usage="off_session",
                                     payment_method="pm_card_authenticationRequiredOnSetup", confirm=True)
    assert first.status == "requires_action"
    with pytest.raises(sdk.CardError) as caught:  # not yet authenticated: off-session needs the customer
        sdk.PaymentIntent.create(amount=1000, currency="jpy", customer=cus.id, payment_method=first.payment_method,
                                 off_session=True, confirm=True)
    assert caught.value.code == "authentication_required"
    always = sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_authenticationRequired")
    with pytest.raises(sdk.CardError) as caught:
        sdk.PaymentIntent.confirm(always.id, off_session=True)
    assert caught.value.code == "authentication_required"
    already = sdk.PaymentIntent.create(amount=1000, currency="jpy", customer=cus.id, off_session=True, confirm=True,
                                       payment_method="pm_card_authenticationRequiredSetupForOffSession")
    assert already.status == "succeeded"


def test_test_clock_recipe_as_the_guide_writes_it(sdk):
    """docs.stripe.com/billing/testing/test-clocks: customer with pm_card_visa as payment_method and
    default, a subscription (active), then ten years of renewals on pm_card_visa."""
    clk = sdk.test_helpers.TestClock.create(frozen_time=T0)
    cus = sdk.Customer.create(email="jenny.rosen@example.com", test_clock=clk.id, payment_method="pm_card_visa",
                              invoice_settings={"default_payment_method": "pm_card_visa"})
    assert cus.invoice_settings.default_payment_method.startswith("pm_")
    assert cus.invoice_settings.default_payment_method != "pm_card_visa"
    price = sdk.Price.create(currency="usd", unit_amount=1000, recurring={"interval": "year"},
                             product_data={"name": f"yearly {uuid.uuid4().hex[:6]}"})
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.status == "active"
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 10 * YEAR + 5 * 86400)
    sub = sdk.Subscription.retrieve(sub.id)
    assert sub.status == "active"
    invoices = sdk.Invoice.list(subscription=sub.id, limit=20).data
    assert len(invoices) == 11 and all(inv.status == "paid" for inv in invoices)
    card = sdk.PaymentMethod.retrieve(cus.invoice_settings.default_payment_method).card
    assert card.exp_year > 2036


def _pay_challenge(env, intent) -> None:
    """The customer completes the 3-D Secure challenge page the intent redirects to."""
    url = intent.next_action.redirect_to_url.url
    answer = env.http.post(url.split("?")[0], data={"client_secret": intent.client_secret, "action": "complete"})
    assert answer.status_code < 400


def test_setup_intent_saves_a_card_for_off_session_payments(sdk, env):
    cus = sdk.Customer.create(email=f"{uuid.uuid4().hex[:8]}@example.jp")
    si = sdk.SetupIntent.create(customer=cus.id, payment_method="pm_card_authenticationRequiredOnSetup", confirm=True,
                                return_url="https://shop.example/done")
    assert si.status == "requires_action" and si.usage == "off_session"
    _pay_challenge(env, si)
    si = sdk.SetupIntent.retrieve(si.id)
    assert si.status == "succeeded"
    assert sdk.PaymentMethod.retrieve(si.payment_method).customer == cus.id
    later = sdk.PaymentIntent.create(amount=1000, currency="jpy", customer=cus.id, payment_method=si.payment_method,
                                     off_session=True, confirm=True)
    assert later.status == "succeeded"  # set up: no authentication off session
    assert [s.id for s in sdk.SetupIntent.list(customer=cus.id).data] == [si.id]
    with pytest.raises(sdk.CardError) as caught:
        sdk.SetupIntent.create(customer=cus.id, payment_method="pm_card_visa_chargeDeclinedInsufficientFunds", confirm=True)
    assert caught.value.error.decline_code == "insufficient_funds"
    failed = sdk.SetupIntent.retrieve(caught.value.error.setup_intent["id"])
    assert failed.status == "requires_payment_method" and failed.last_setup_error.decline_code == "insufficient_funds"
    plain = sdk.SetupIntent.create(customer=cus.id)
    assert plain.status == "requires_payment_method"
    plain = sdk.SetupIntent.confirm(plain.id, payment_method="pm_card_visa")
    assert plain.status == "succeeded"
    assert sdk.SetupIntent.cancel(sdk.SetupIntent.create().id).status == "canceled"
    with pytest.raises(sdk.InvalidRequestError) as bad:
        sdk.SetupIntent.create(usage="sometimes")
    assert bad.value.param == "usage"


def test_default_incomplete_subscription_paid_by_confirming_its_first_intent(sdk, env):
    clk = sdk.test_helpers.TestClock.create(frozen_time=T0)
    cus = sdk.Customer.create(email=f"{uuid.uuid4().hex[:8]}@example.jp", test_clock=clk.id)
    price = sdk.Price.create(currency="jpy", unit_amount=1980, recurring={"interval": "month"},
                             product_data={"name": f"monthly {uuid.uuid4().hex[:6]}"})
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}], payment_behavior="default_incomplete",
                                  payment_settings={"save_default_payment_method": "on_subscription"},
                                  expand=["latest_invoice"])
    assert sub.status == "incomplete" and sub.latest_invoice.status == "open"
    # the invoice's PaymentIntent through its invoice payment (`invoice.payment_intent` before 2025-03-31.basil)
    payments = sdk.Invoice.retrieve(sub.latest_invoice.id, expand=["payments"])["payments"]["data"]
    pi = sdk.PaymentIntent.retrieve(payments[-1]["payment"]["payment_intent"])
    assert pi.status == "requires_payment_method" and pi.amount == 1980
    pi = sdk.PaymentIntent.confirm(pi.id, payment_method="pm_card_authenticationRequiredOnSetup", return_url="https://shop.example/r")
    assert pi.status == "requires_action"  # the page shows the challenge (Stripe.js handleNextAction)
    _pay_challenge(env, pi)
    assert sdk.PaymentIntent.retrieve(pi.id).status == "succeeded"
    assert sdk.Invoice.retrieve(sub.latest_invoice.id).status == "paid"
    sub = sdk.Subscription.retrieve(sub.id)
    assert sub.status == "active" and sub.default_payment_method == pi.payment_method
    assert sdk.PaymentMethod.retrieve(pi.payment_method).customer == cus.id
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 32 * 86400)  # renews off session: set up, no challenge
    renewal = sdk.Invoice.retrieve(sdk.Subscription.retrieve(sub.id).latest_invoice)
    assert renewal.billing_reason == "subscription_cycle" and renewal.status == "paid"
