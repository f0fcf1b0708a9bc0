"""Bank transfer (customer_balance) through the official stripe SDK: instructions with a virtual
account, funding by the test helper, exact, partial and over-payment, and bad input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from methods_support import env, event_types, sdk  # noqa: F401

JP = {"customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "jp_bank_transfer"}}}


def transfer_intent(sdk, customer: str, amount: int, currency: str = "jpy", options=JP):
    return sdk.PaymentIntent.create(
        amount=amount, currency=currency, customer=customer, payment_method_types=["customer_balance"],
        payment_method_data={"type": "customer_balance"}, payment_method_options=options, confirm=True,
    )


def fund(sdk, customer: str, amount: int, currency: str = "jpy", reference: str | None = None):
    params = {"amount": amount, "currency": currency} | ({"reference": reference} if reference else {})
    return sdk.Customer.TestHelpers.fund_cash_balance(customer, **params)


def available(sdk, customer: str, currency: str = "jpy") -> int:
    balance = sdk.Customer.retrieve_cash_balance(customer)
    return (balance.available.to_dict() if balance.available else {}).get(currency, 0)


def test_instructions_show_a_zengin_account_and_an_exact_transfer_pays(sdk, env):
    cus = sdk.Customer.create(name="山田 花子", email="hanako@example.jp")
    pi = transfer_intent(sdk, cus.id, 3000)
    assert pi.status == "requires_action" and pi.next_action.type == "display_bank_transfer_instructions"
    instructions = pi.next_action.display_bank_transfer_instructions
    assert instructions.amount_remaining == 3000 and instructions.type == "jp_bank_transfer"
    zengin = instructions.financial_addresses[0].zengin
    assert len(zengin.account_number) == 7 and zengin.bank_code and zengin.account_type == "futsu"
    page = env.http.get(instructions.hosted_instructions_url)
    assert page.status_code == 200 and "¥3,000" in page.text and zengin.account_number in page.text
    assert env.http.get(instructions.hosted_instructions_url + "x").status_code == 404
    txn = fund(sdk, cus.id, 3000)
    assert txn.object == "customer_cash_balance_transaction" and txn.type == "funded" and txn.net_amount == 3000
    assert sdk.PaymentIntent.retrieve(pi.id).status == "succeeded"
    assert available(sdk, cus.id) == 0
    # the same customer keeps the same virtual account for the next transfer
    second = transfer_intent(sdk, cus.id, 500)
    assert second.next_action.display_bank_transfer_instructions.financial_addresses[0].zengin.account_number == zengin.account_number


def test_partial_payment_leaves_amount_remaining_until_the_rest_arrives(sdk):
    cus = sdk.Customer.create(email="taro@example.jp")
    pi = transfer_intent(sdk, cus.id, 3000)
    fund(sdk, cus.id, 1000)
    partly = sdk.PaymentIntent.retrieve(pi.id)
    assert partly.status == "requires_action"
    assert partly.next_action.display_bank_transfer_instructions.amount_remaining == 2000
    assert "payment_intent.partially_funded" in event_types(sdk, pi.id)
    fund(sdk, cus.id, 2000)
    paid = sdk.PaymentIntent.retrieve(pi.id)
    assert paid.status == "succeeded" and paid.amount_received == 3000
    kinds = [t.type for t in sdk.Customer.list_cash_balance_transactions(cus.id).data]
    assert kinds.count("funded") == 2 and kinds.count("applied_to_payment") == 2


def test_over_payment_stays_on_the_balance_and_pays_the_next_order_at_once(sdk):
    cus = sdk.Customer.create(email="jiro@example.jp")
    pi = transfer_intent(sdk, cus.id, 3000)
    fund(sdk, cus.id, 5000)
    assert sdk.PaymentIntent.retrieve(pi.id).status == "succeeded"
    assert available(sdk, cus.id) == 2000
    next_order = transfer_intent(sdk, cus.id, 1500)
    assert next_order.status == "succeeded" and next_order.next_action is None
    assert available(sdk, cus.id) == 500


def test_reference_directs_funds_to_its_intent_first(sdk):
    cus = sdk.Customer.create(email="ref@example.jp")
    older = transfer_intent(sdk, cus.id, 1000)
    newer = transfer_intent(sdk, cus.id, 1000)
    reference = newer.next_action.display_bank_transfer_instructions.reference
    fund(sdk, cus.id, 1000, reference=reference)
    assert sdk.PaymentIntent.retrieve(newer.id).status == "succeeded"
    assert sdk.PaymentIntent.retrieve(older.id).status == "requires_action"


def test_us_bank_transfer_gives_aba_and_swift(sdk):
    cus = sdk.Customer.create(email="jenny@example.com")
    pi = transfer_intent(sdk, cus.id, 2500, "usd",
                         {"customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "us_bank_transfer"}}})
    types = [a.type for a in pi.next_action.display_bank_transfer_instructions.financial_addresses]
    assert types == ["aba", "swift"]
    fund(sdk, cus.id, 2500, "usd")
    assert sdk.PaymentIntent.retrieve(pi.id).status == "succeeded"


@pytest.mark.parametrize(
    "customer, currency, options, param",
    [
        (False, "jpy", JP, "customer"),
        (True, "usd", JP, "currency"),
        (True, "jpy", {"customer_balance": {"bank_transfer": {"type": "jp_bank_transfer"}}}, "payment_method_options[customer_balance][funding_type]"),
        (True, "jpy", {"customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "mx_bank_transfer"}}},
         "payment_method_options[customer_balance][bank_transfer][type]"),
    ],
)
def test_bad_input_names_the_param(sdk, customer, currency, options, param):
    cus = sdk.Customer.create().id if customer else None
    with pytest.raises(sdk.InvalidRequestError) as err:
        transfer_intent(sdk, cus, 1000, currency, options)
    assert err.value.http_status == 400 and err.value.param == param


def test_funding_refuses_bad_amounts_and_unknown_customers(env):
    cus = env.post("/v1/customers").json()["id"]
    bad = env.post(f"/v1/test_helpers/customers/{cus}/fund_cash_balance", {"amount": "0", "currency": "jpy"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "amount"
    missing = env.post("/v1/test_helpers/customers/cus_nope/fund_cash_balance", {"amount": "10", "currency": "jpy"})
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "customer"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=50, max_value=20_000),
       transfers=st.lists(st.integers(min_value=1, max_value=15_000), min_size=1, max_size=4))
def test_money_is_conserved_across_any_transfers(env, amount, transfers):
    cus = env.post("/v1/customers").json()["id"]
    pi = env.post("/v1/payment_intents", {
        "amount": amount, "currency": "jpy", "customer": cus, "confirm": "true",
        "payment_method_types[]": "customer_balance", "payment_method_data[type]": "customer_balance",
        "payment_method_options[customer_balance][funding_type]": "bank_transfer",
        "payment_method_options[customer_balance][bank_transfer][type]": "jp_bank_transfer",
    }).json()
    for value in transfers:
        assert env.post(f"/v1/test_helpers/customers/{cus}/fund_cash_balance", {"amount": value, "currency": "jpy"}).status_code == 200
    after = env.get(f"/v1/payment_intents/{pi['id']}").json()
    balance = (env.get(f"/v1/customers/{cus}/cash_balance").json()["available"] or {}).get("jpy", 0)
    funded = sum(transfers)
    if funded >= amount:
        assert after["status"] == "succeeded" and balance == funded - amount
    else:
        assert after["status"] == "requires_action" and balance == 0
        assert after["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] == amount - funded
