"""Money as a merchant's statement shows it, through the official SDK: disputes from the dispute test
cards (evidence, won/lost, their events and balance transactions), fees per method and card
country, available_on, refunds that fail or wait, payouts run by a test clock, and a statement per
period that adds up to the ledger export."""

from __future__ import annotations

import itertools
import uuid

import httpx
import orjson
import pytest
from methods_support import env, event_types, sdk  # noqa: F401

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC (a Thursday)
DAY = 86400


def _pay(sdk, token: str, amount: int = 10000, currency: str = "jpy", **more):
    return sdk.PaymentIntent.create(amount=amount, currency=currency, payment_method=token, confirm=True, **more)


def _txn(sdk, charge_id: str):
    return sdk.BalanceTransaction.retrieve(sdk.Charge.retrieve(charge_id).balance_transaction)


def _clock_customer(sdk, start: int = T0):
    clk = sdk.test_helpers.TestClock.create(frozen_time=start)
    cus = sdk.Customer.create(email=f"{uuid.uuid4().hex[:8]}@example.jp", test_clock=clk.id)
    return clk, cus


def test_fees_follow_the_method_the_currency_and_the_card_country(sdk):
    jp = _txn(sdk, _pay(sdk, "pm_card_jp").latest_charge)
    assert (jp.amount, jp.fee, jp.net, jp.type, jp.reporting_category) == (10000, 360, 9640, "charge", "charge")
    assert jp.fee_details[0].type == "stripe_fee"
    us = _txn(sdk, _pay(sdk, "pm_card_us", 1000, "usd").latest_charge)
    assert (us.fee, us.net) == (59, 941)  # 2.9% + 30 cents
    abroad = _txn(sdk, _pay(sdk, "pm_card_jp", 1000, "usd").latest_charge)
    assert abroad.fee == 74  # + 1.5% for a card issued outside the US
    client = sdk.StripeClient(sdk.api_key, base_addresses={"api": sdk.api_base})
    try:
        client.raw_request("post", "/v1/test_helpers/balance_settings", rates={"jpy": {"card": {"percent": "3.25"}}})
        assert _txn(sdk, _pay(sdk, "pm_card_visa").latest_charge).fee == 325
        with pytest.raises(sdk.InvalidRequestError) as bad:
            client.raw_request("post", "/v1/test_helpers/balance_settings", rates={"jpy": {"card": {"percent": "-1"}}})
        assert bad.value.param == "rates[jpy][card][percent]"
        with pytest.raises(sdk.InvalidRequestError) as bad:
            client.raw_request("post", "/v1/test_helpers/balance_settings", payout_schedule={"interval": "hourly"})
        assert bad.value.param == "payout_schedule[interval]"
    finally:
        client.raw_request("post", "/v1/test_helpers/balance_settings", rates={"jpy": {"card": {"percent": "3.6"}}})


def test_available_on_per_method_and_the_bypass_pending_card(sdk):
    charge_id = _pay(sdk, "pm_card_visa").latest_charge
    txn = _txn(sdk, charge_id)
    assert txn.status == "pending" and txn.available_on == (txn.created // DAY + 4) * DAY
    assert [t.id for t in sdk.BalanceTransaction.list(source=charge_id).data] == [txn.id]
    bypass = _txn(sdk, _pay(sdk, "pm_card_bypassPending").latest_charge)
    assert bypass.status == "available" and bypass.available_on == bypass.created
    before = {b.currency: b.amount for b in sdk.Balance.retrieve().available}.get("jpy", 0)
    _pay(sdk, "pm_card_bypassPending")
    after = {b.currency: b.amount for b in sdk.Balance.retrieve().available}["jpy"]
    assert after - before == 9640


def test_dispute_won_with_winning_evidence(sdk):
    pi = _pay(sdk, "pm_card_createDispute")
    charge = sdk.Charge.retrieve(pi.latest_charge)
    assert charge.disputed is True
    [dispute] = sdk.Dispute.list(charge=charge.id).data
    assert (dispute.status, dispute.reason, dispute.amount) == ("needs_response", "fraudulent", 10000)
    [withdrawal] = dispute.balance_transactions
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net, withdrawal.reporting_category) == (-10000, 1500, -11500, "dispute")
    dispute = sdk.Dispute.modify(dispute.id, evidence={"uncategorized_text": "winning_evidence", "customer_name": "Jenny"})
    assert dispute.status == "won" and dispute.evidence.customer_name == "Jenny"
    assert dispute.evidence_details.submission_count == 1
    assert [t.reporting_category for t in dispute.balance_transactions] == ["dispute", "dispute_reversal"]
    assert sum(t.net for t in dispute.balance_transactions) == 0
    assert event_types(sdk, dispute.id) == ["charge.dispute.created", "charge.dispute.funds_withdrawn",
                                            "charge.dispute.updated", "charge.dispute.closed",
                                            "charge.dispute.funds_reinstated"]
    with pytest.raises(sdk.InvalidRequestError) as closed:
        sdk.Dispute.modify(dispute.id, evidence={"uncategorized_text": "more"})
    assert closed.value.param == "evidence"


def test_dispute_lost_closed_and_inquiries(sdk):
    lost = sdk.Dispute.list(charge=_pay(sdk, "pm_card_createDisputeProductNotReceived").latest_charge).data[0]
    assert lost.reason == "product_not_received"
    assert sdk.Dispute.modify(lost.id, evidence={"uncategorized_text": "losing_evidence"}).status == "lost"
    accepted = sdk.Dispute.list(charge=_pay(sdk, "pm_card_createDispute").latest_charge).data[0]
    accepted = sdk.Dispute.close(accepted.id)
    assert accepted.status == "lost" and len(accepted.balance_transactions) == 1
    inquiry = sdk.Dispute.list(charge=_pay(sdk, "pm_card_createDisputeInquiry").latest_charge).data[0]
    assert inquiry.status == "warning_needs_response" and inquiry.balance_transactions == []
    draft = sdk.Dispute.modify(inquiry.id, evidence={"product_description": "a mug"}, submit=False)
    assert draft.status == "warning_needs_response" and draft.evidence_details.has_evidence is True
    closed = sdk.Dispute.modify(inquiry.id, evidence={"uncategorized_text": "winning_evidence"})
    assert closed.status == "warning_closed" and closed.balance_transactions == []
    escalated = sdk.Dispute.list(charge=_pay(sdk, "pm_card_createDisputeInquiry").latest_charge).data[0]
    escalated = sdk.Dispute.modify(escalated.id, evidence={"uncategorized_text": "escalate_inquiry_evidence"})
    assert escalated.status == "needs_response" and len(escalated.balance_transactions) == 1
    assert len(sdk.Dispute.list(charge=_pay(sdk, "pm_card_createMultipleDisputes").latest_charge).data) == 2
    warned = _pay(sdk, "pm_card_createIssuerFraudRecord")
    client = sdk.StripeClient(sdk.api_key, base_addresses={"api": sdk.api_base})
    warnings = client.raw_request("get", "/v1/radar/early_fraud_warnings", charge=warned.latest_charge)
    assert [w["fraud_type"] for w in warnings.data["data"]] == ["made_with_stolen_card"]
    with pytest.raises(sdk.InvalidRequestError) as missing:
        sdk.Dispute.retrieve("dp_nope")
    assert missing.value.http_status == 404


def test_refund_fail_and_pending_refund_cards_on_a_clock(sdk):
    clk, cus = _clock_customer(sdk)
    failing = _pay(sdk, "pm_card_refundFail", customer=cus.id)
    refund = sdk.Refund.create(payment_intent=failing.id)
    assert refund.status == "succeeded"
    waiting = sdk.Refund.create(payment_intent=_pay(sdk, "pm_card_pendingRefund", customer=cus.id).id)
    assert waiting.status == "pending"
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 120)
    refund = sdk.Refund.retrieve(refund.id)
    assert refund.status == "failed" and refund.failure_reason == "expired_or_canceled_card"
    back = sdk.BalanceTransaction.retrieve(refund.failure_balance_transaction)
    assert (back.type, back.amount) == ("refund_failure", 10000)
    assert sdk.Charge.retrieve(failing.latest_charge).amount_refunded == 0
    assert sdk.Refund.retrieve(waiting.id).status == "succeeded"
    assert "refund.failed" in event_types(sdk, refund.id)


def _ledger(env) -> list[dict]:
    answer = httpx.get(f"{env.url}/_harness/ledger", params={"type": "balance_transaction"}, headers=env.admin,
                       timeout=30, trust_env=False)
    assert answer.status_code == 200
    return [orjson.loads(line) for line in answer.text.splitlines() if line]


def test_payouts_by_the_clock_and_statements_that_add_up_to_the_ledger(sdk, env):
    clk, cus = _clock_customer(sdk)
    charges = []
    for day, token in enumerate(("pm_card_visa", "pm_card_jcb", "pm_card_visa", "pm_card_bypassPending")):
        sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + day * DAY + 3600)
        charges.append(_pay(sdk, token, 5000 + day * 1000, customer=cus.id))
    sdk.Refund.create(payment_intent=charges[1].id, amount=1500)
    scoped = {b.currency: b.amount for b in sdk.Balance.retrieve(test_clock=clk.id).pending}
    assert scoped["jpy"] > 0
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 10 * DAY)
    payouts = [p for p in sdk.Payout.list(limit=100).data if p.created >= T0 and p.created <= T0 + 10 * DAY]
    assert payouts and all(p.status == "paid" and p.automatic for p in payouts)
    balance_now = sdk.Balance.retrieve(test_clock=clk.id)
    assert {b.currency: b.amount for b in balance_now.available}["jpy"] == 0  # all paid out
    assert {b.currency: b.amount for b in balance_now.pending}["jpy"] == 0
    paid = sdk.BalanceTransaction.list(payout=payouts[0].id, limit=100).data
    assert paid and sum(t.net for t in paid if t.type != "payout") == payouts[0].amount
    with pytest.raises(sdk.InvalidRequestError) as automatic:
        sdk.Payout.create(amount=100, currency="jpy")
    assert automatic.value.param == "amount"

    ledger = [t for t in _ledger(env) if t["currency"] == "jpy"]
    cuts = sorted({T0 - DAY, T0 + 2 * DAY, T0 + 5 * DAY, max(t["created"] for t in ledger) + 1,
                   min(t["created"] for t in ledger)})
    client = sdk.StripeClient(sdk.api_key, base_addresses={"api": sdk.api_base})
    previous_end = None
    for start, end in itertools.pairwise(cuts):
        body = client.raw_request("get", "/v1/test_helpers/balance_statement", start=start, end=end, currency="jpy")
        statement = body.data
        rows = [t for t in ledger if start <= t["created"] < end]
        for category in {t["reporting_category"] for t in rows}:
            mine = [t for t in rows if t["reporting_category"] == category]
            assert statement["activity"][category] == {"count": len(mine), "gross": sum(t["amount"] for t in mine),
                                                       "fee": sum(t["fee"] for t in mine), "net": sum(t["net"] for t in mine)}
        assert set(statement["activity"]) == {t["reporting_category"] for t in rows}
        assert statement["starting_balance"] == sum(t["net"] for t in ledger if t["created"] < start)
        if previous_end is not None:
            assert statement["starting_balance"] == previous_end
        previous_end = statement["ending_balance"]
    whole = sdk.Balance.retrieve()
    total = sum(b.amount for b in whole.available if b.currency == "jpy") + \
        sum(b.amount for b in whole.pending if b.currency == "jpy")
    assert previous_end == total == sum(t["net"] for t in ledger)


def test_fee_rules_minimum_cap_and_payout_days():
    from mock_gateway.core.balance import next_payout_date
    from mock_gateway.core.fees import DEFAULT_RATES, Rate

    konbini, transfer = Rate(**DEFAULT_RATES["jpy"]["konbini"]), Rate(**DEFAULT_RATES["jpy"]["customer_balance"])
    assert (konbini.fee(1000), konbini.fee(10000)) == (120, 360)  # 3.6%, at least 120 yen
    assert (transfer.fee(10000), transfer.fee(1_000_000)) == (150, 1500)  # 1.5%, at most 1,500 yen
    thursday_noon = T0 + 12 * 3600
    daily = {"interval": "daily", "weekly_anchor": "monday", "monthly_anchor": 1}
    assert next_payout_date(daily, T0) == T0 and next_payout_date(daily, thursday_noon) == T0 + DAY
    assert next_payout_date({**daily, "interval": "weekly"}, thursday_noon) == T0 + 4 * DAY  # Monday 5 Jan
    assert next_payout_date({**daily, "interval": "monthly", "monthly_anchor": 31}, T0 + 40 * DAY) == T0 + 58 * DAY  # 28 Feb
    assert next_payout_date({**daily, "interval": "manual"}, T0) is None
