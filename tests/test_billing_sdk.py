"""Subscriptions through the official stripe SDK on test clocks: renewals, the dunning path with its
events and mails, proration, cancellation at the period end, trials and bad input."""

from __future__ import annotations

import email
import uuid
from email import policy

import pytest
from methods_support import env, event_types, eventually, sdk  # noqa: F401

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
DAY = 86400
FEB1, MAR1, APR1 = 1_769_904_000, 1_772_323_200, 1_775_001_600


def _plan(sdk, amount: int = 1980, interval: str = "month", count: int = 1):
    return sdk.Price.create(currency="jpy", unit_amount=amount, recurring={"interval": interval, "interval_count": count},
                            product_data={"name": f"plan {uuid.uuid4().hex[:6]}"}, nickname="Basic")


def _customer(sdk, card: str = "pm_card_visa", start: int = T0, **settings):
    clk = sdk.test_helpers.TestClock.create(frozen_time=start)
    if settings:
        env_post(sdk, "/v1/test_helpers/billing_settings", {"test_clock": clk.id, **settings})
    email = f"sub-{uuid.uuid4().hex[:8]}@example.jp"
    cus = sdk.Customer.create(email=email, test_clock=clk.id, payment_method=card,
                              invoice_settings={"default_payment_method": None})
    pm = sdk.PaymentMethod.list(customer=cus.id, type="card").data[0]
    cus = sdk.Customer.modify(cus.id, invoice_settings={"default_payment_method": pm.id})
    return clk, cus, pm


def _period(sub) -> tuple[int, int]:
    """The billing period, on the items since 2025-03-31.basil (the SDK's pinned version is newer)."""
    item = sub["items"]["data"][0]
    assert "current_period_end" not in sub  # no longer on the subscription itself
    return item["current_period_start"], item["current_period_end"]


def _intent_of(sdk, inv) -> str:
    """The invoice's PaymentIntent, through its invoice payments (`invoice.payment_intent` before basil)."""
    payments = sdk.Invoice.retrieve(inv.id, expand=["payments"])["payments"]["data"]
    return payments[-1]["payment"]["payment_intent"]


def body_of(env, row: dict) -> str:
    message = email.message_from_bytes((env.sink.directory / row["file"]).read_bytes(), policy=policy.default)
    return message.get_body(("plain",)).get_content()


def env_post(sdk, path: str, params: dict):
    return sdk.StripeClient(sdk.api_key, base_addresses={"api": sdk.api_base}).raw_request("post", path, **params)


def test_price_and_product(sdk):
    price = _plan(sdk, 980, "week", 2)
    assert price.type == "recurring" and price.recurring.interval == "week" and price.recurring.interval_count == 2
    assert sdk.Product.retrieve(price.product).name.startswith("plan")
    one_time = sdk.Price.create(currency="jpy", unit_amount=500, product=price.product)
    assert one_time.type == "one_time" and one_time.recurring is None
    assert price.id in [p.id for p in sdk.Price.list(product=price.product, limit=10).data]


def test_renews_through_three_periods_on_a_test_clock(sdk):
    price = _plan(sdk)
    clk, cus, _pm = _customer(sdk)
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.status == "active" and _period(sub) == (T0, FEB1)
    first = sdk.Invoice.retrieve(sub.latest_invoice)
    assert first.status == "paid" and first.amount_paid == 1980 and first.billing_reason == "subscription_create"
    for end, next_end in ((FEB1, MAR1), (MAR1, APR1), (APR1, 1_777_593_600)):
        sdk.test_helpers.TestClock.advance(clk.id, frozen_time=end + 60)
        sub = sdk.Subscription.retrieve(sub.id)
        assert (sub.status, *_period(sub)) == ("active", end, next_end)
        inv = sdk.Invoice.retrieve(sub.latest_invoice)
        assert inv.status == "paid" and inv.billing_reason == "subscription_cycle" and inv.amount_paid == 1980
        assert inv.period_start == end and inv.created == end
        pi = sdk.PaymentIntent.retrieve(_intent_of(sdk, inv))
        assert pi.status == "succeeded" and pi.customer == cus.id and pi.amount == 1980
    invoices = sdk.Invoice.list(subscription=sub.id, limit=10).data
    assert len(invoices) == 4 and all(i.status == "paid" for i in invoices)
    assert len({i.number for i in invoices}) == 4
    types = event_types(sdk, invoices[0].id)
    assert types == ["invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"]


def test_failing_card_walks_the_dunning_path(sdk, env):
    price = _plan(sdk, 2980)
    clk, cus, pm = _customer(sdk, retry_schedule="1,3", after_retries="cancel")
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 - 7 * DAY + 60)  # renewal notice, 7 days before
    renewal = eventually(lambda: [m for m in env.sink.messages() if m["to"] == [cus.email] and m["kind"] == "renewal_notice"])
    assert "¥2,980" in renewal[0]["subject"] and renewal[0]["locale"] == "ja"
    r = env.post(f"/v1/test_helpers/payment_methods/{pm.id}/behaviour", {"outcome": "decline", "decline_code": "insufficient_funds"})
    assert r.status_code == 200, r.text
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 60)
    sub = sdk.Subscription.retrieve(sub.id)
    inv = sdk.Invoice.retrieve(sub.latest_invoice)
    assert sub.status == "past_due" and inv.status == "open" and inv.attempt_count == 1
    assert inv.next_payment_attempt == FEB1 + DAY
    failed = eventually(lambda: [m for m in env.sink.messages() if m["to"] == [cus.email] and m["kind"] == "payment_failed"])
    body = body_of(env, failed[0])
    assert failed[0]["payment_intent"] == _intent_of(sdk, inv) and "/billing/invoices/" in body
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + DAY + 60)  # retry 1: fails
    inv = sdk.Invoice.retrieve(inv.id)
    assert inv.attempt_count == 2 and inv.next_payment_attempt == FEB1 + 4 * DAY
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 4 * DAY + 60)  # retry 2: fails, none left -> canceled
    inv = sdk.Invoice.retrieve(inv.id)
    sub = sdk.Subscription.retrieve(sub.id)
    assert inv.attempt_count == 3 and inv.status == "uncollectible" and inv.next_payment_attempt is None
    assert sub.status == "canceled" and sub.cancellation_details.reason == "payment_failed" and sub.ended_at == FEB1 + 4 * DAY
    assert event_types(sdk, inv.id) == ["invoice.created", "invoice.finalized", "invoice.payment_failed",
                                        "invoice.payment_failed", "invoice.payment_failed", "invoice.marked_uncollectible"]
    sub_events = event_types(sdk, sub.id)
    assert sub_events[-1] == "customer.subscription.deleted" and sub_events.count("customer.subscription.updated") >= 2
    pi = sdk.PaymentIntent.retrieve(_intent_of(sdk, inv))
    charges = sdk.Charge.list(payment_intent=pi.id, limit=10).data
    assert len(charges) == 3 and all(c.status == "failed" and c.failure_code == "card_declined" for c in charges)
    assert eventually(lambda: len([m for m in env.sink.messages() if m["to"] == [cus.email] and m["kind"] == "payment_failed"]) == 3)
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=MAR1 + 60)
    assert len(sdk.Invoice.list(subscription=sub.id, limit=10).data) == 2  # no renewal after cancellation


def test_updating_the_card_recovers_a_past_due_subscription(sdk):
    price = _plan(sdk)
    clk, cus, pm = _customer(sdk, retry_schedule="2", after_retries="unpaid")
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    sdk.PaymentMethod.modify(pm.id, card={"exp_month": 1, "exp_year": 2026})  # expires before the renewal
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 60)
    inv = sdk.Invoice.retrieve(sdk.Subscription.retrieve(sub.id).latest_invoice)
    assert inv.status == "open"
    charge = sdk.Charge.list(payment_intent=_intent_of(sdk, inv), limit=1).data[0]
    assert charge.failure_code == "expired_card"
    assert "customer.source.expiring" in event_types(sdk, pm.id)
    new_pm = sdk.PaymentMethod.attach("pm_card_mastercard", customer=cus.id)
    with pytest.raises(sdk.CardError):
        sdk.Invoice.pay(inv.id)  # still the expired default
    paid = sdk.Invoice.pay(inv.id, payment_method=new_pm.id)
    assert paid.status == "paid" and paid.attempt_count == 3 and paid.amount_paid == 1980
    assert sdk.Subscription.retrieve(sub.id).status == "active"
    with pytest.raises(sdk.InvalidRequestError):
        sdk.Invoice.pay(inv.id)  # never twice
    assert len([c for c in sdk.Charge.list(customer=cus.id, limit=20).data if c.status == "succeeded"]) == 2


def test_unpaid_after_retries_then_drafts(sdk):
    price = _plan(sdk)
    clk, cus, pm = _customer(sdk, retry_schedule="1", after_retries="unpaid")
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    env_behaviour = {"outcome": "decline"}
    sdk.StripeClient(sdk.api_key, base_addresses={"api": sdk.api_base}).raw_request(
        "post", f"/v1/test_helpers/payment_methods/{pm.id}/behaviour", **env_behaviour)
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 2 * DAY)
    assert sdk.Subscription.retrieve(sub.id).status == "unpaid"
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=MAR1 + 60)
    latest = sdk.Invoice.retrieve(sdk.Subscription.retrieve(sub.id).latest_invoice)
    assert latest.status == "draft" and latest.attempt_count == 0


def test_proration_on_upgrade_and_quantity_change(sdk):
    basic, pro = _plan(sdk, 1000), _plan(sdk, 4000)
    clk, cus, _pm = _customer(sdk)
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": basic.id}])
    half = T0 + (FEB1 - T0) // 2
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=half)
    item = sub["items"].data[0]
    sub = sdk.Subscription.modify(sub.id, items=[{"id": item.id, "price": pro.id}], proration_behavior="create_prorations")
    assert sub["items"].data[0].price.id == pro.id
    pending = sdk.InvoiceItem.list(customer=cus.id, pending=True, limit=10).data
    assert sorted(i.amount for i in pending) == [-500, 2000]
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 60)
    inv = sdk.Invoice.retrieve(sdk.Subscription.retrieve(sub.id).latest_invoice)
    assert inv.amount_due == 4000 + 2000 - 500 and inv.status == "paid" and len(inv.lines.data) == 3
    # a quantity change without prorations bills the new quantity from the next period only
    sub = sdk.Subscription.modify(sub.id, items=[{"id": item.id, "quantity": 2}], proration_behavior="none")
    assert sdk.InvoiceItem.list(customer=cus.id, pending=True, limit=10).data == []
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=MAR1 + 60)
    assert sdk.Invoice.retrieve(sdk.Subscription.retrieve(sub.id).latest_invoice).amount_due == 8000


def test_downgrade_credit_carries_to_the_next_invoice(sdk):
    basic, pro = _plan(sdk, 1000), _plan(sdk, 4000)
    clk, cus, _pm = _customer(sdk)
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": pro.id}])
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + (FEB1 - T0) // 2)
    sub = sdk.Subscription.modify(sub.id, items=[{"id": sub["items"].data[0].id, "price": basic.id}],
                                  proration_behavior="always_invoice")
    credit_invoice = sdk.Invoice.retrieve(sub.latest_invoice)
    assert credit_invoice.total == -2000 + 500 and credit_invoice.amount_due == 0 and credit_invoice.status == "paid"
    assert sdk.Customer.retrieve(cus.id).balance == -1500
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 60)
    renewal = sdk.Invoice.retrieve(sdk.Subscription.retrieve(sub.id).latest_invoice)
    assert renewal.total == 1000 and renewal.amount_due == 0 and renewal.ending_balance == -500


def test_cancel_at_period_end(sdk):
    price = _plan(sdk)
    clk, cus, _pm = _customer(sdk)
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    sub = sdk.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert sub.status == "active" and sub.cancel_at == FEB1
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 60)
    sub = sdk.Subscription.retrieve(sub.id)
    assert sub.status == "canceled" and sub.ended_at == FEB1 and sub.cancellation_details.reason == "cancellation_requested"
    assert len(sdk.Invoice.list(subscription=sub.id).data) == 1
    now = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sdk.Subscription.cancel(now.id).status == "canceled"


def test_trial_then_first_charge(sdk):
    price = _plan(sdk)
    clk, cus, _pm = _customer(sdk)
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}], trial_period_days=14)
    assert sub.status == "trialing" and sub.trial_end == T0 + 14 * DAY and _period(sub)[1] == T0 + 14 * DAY
    assert sdk.Invoice.retrieve(sub.latest_invoice).amount_due == 0
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 14 * DAY + 60)
    sub = sdk.Subscription.retrieve(sub.id)
    assert sub.status == "active" and _period(sub)[1] == 1_771_113_600  # 15 Jan + 1 month = 15 Feb
    assert sdk.Invoice.retrieve(sub.latest_invoice).amount_paid == 1980


def test_declined_first_payment_leaves_it_incomplete_then_expired(sdk):
    price = _plan(sdk)
    clk, cus, _pm = _customer(sdk, card="pm_card_chargeCustomerFail")  # attaches, then every charge fails
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.status == "incomplete"
    with pytest.raises(sdk.CardError):
        sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}], payment_behavior="error_if_incomplete")
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + DAY)
    assert sdk.Subscription.retrieve(sub.id).status == "incomplete_expired"
    assert sdk.Invoice.retrieve(sub.latest_invoice).status == "void"


@pytest.mark.parametrize("params, param", [
    ({"items": [{"price": "price_nope"}]}, "items[0][price]"),
    ({"items": [{"price": "ONE_TIME"}]}, "items[0][price]"),
    ({}, "items"),
    ({"items": [{"price": "PRICE"}], "proration_behavior": "sometimes"}, "proration_behavior"),
])
def test_bad_subscription_input_names_the_param(sdk, params, param):
    price = _plan(sdk)
    one_time = sdk.Price.create(currency="jpy", unit_amount=500, product=price.product)
    _clk, cus, _pm = _customer(sdk)
    for item in params.get("items", []):
        item["price"] = {"PRICE": price.id, "ONE_TIME": one_time.id}.get(item["price"], item["price"])
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.Subscription.create(customer=cus.id, **params)
    assert err.value.param == param


def test_bad_settings_and_helper_input(env):
    for data, param in (({"retry_schedule": "1,x"}, "retry_schedule"), ({"after_retries": "never"}, "after_retries"),
                        ({"test_clock": "clock_nope"}, "test_clock")):
        r = env.post("/v1/test_helpers/billing_settings", data)
        assert r.status_code in (400, 404) and r.json()["error"]["param"] == param
    r = env.post("/v1/test_helpers/payment_methods/pm_nope/behaviour", {"outcome": "decline"})
    assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"
    r = env.post("/v1/test_helpers/billing/summary", {})  # the cohort's summary is the harness's now (harness/churn/book.py)
    assert r.status_code == 404


def test_payment_failed_link_updates_the_card_and_pays(sdk, env):
    price = _plan(sdk)
    clk, cus, pm = _customer(sdk, retry_schedule="3")
    sub = sdk.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    env.post(f"/v1/test_helpers/payment_methods/{pm.id}/behaviour", {"outcome": "decline"})
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=FEB1 + 60)
    inv = sdk.Invoice.retrieve(sdk.Subscription.retrieve(sub.id).latest_invoice)
    link = inv.hosted_invoice_url
    assert env.http.get(link.replace(inv.id, "in_nope")).status_code == 404
    assert env.http.get(link + "x").status_code == 404  # the token is checked
    page = env.http.get(link)
    assert page.status_code == 200 and "¥1,980" in page.text and 'for="number"' in page.text
    declined = env.http.post(link, data={"number": "4000000000000002", "exp_month": "12", "exp_year": "2030", "cvc": "123"})
    assert declined.status_code == 402 and 'role="alert"' in declined.text
    bad = env.http.post(link, data={"number": "4242424242424241", "exp_month": "12", "exp_year": "2030", "cvc": "123"})
    assert bad.status_code == 402 and "incorrect" in bad.text
    ok = env.http.post(link, data={"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"})
    assert ok.status_code == 200 and "is paid" in ok.text
    inv = sdk.Invoice.retrieve(inv.id)
    assert inv.status == "paid" and sdk.Subscription.retrieve(sub.id).status == "active"
    assert sdk.Customer.retrieve(cus.id).invoice_settings.default_payment_method != pm.id
    assert env.http.post(link, data={"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "1"}).status_code == 200
    assert len([c for c in sdk.Charge.list(customer=cus.id, limit=20).data if c.status == "succeeded"]) == 2  # once
