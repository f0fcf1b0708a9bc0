"""The cohort's billing summary and reconciliation, computed by the harness from the public lists
(harness/churn/book.py), against the same numbers counted in SQL straight from the gateway's ledger
(the counts the gateway's own summary gave before it was removed): for random sequences of clock
advances, declining and recovered cards, new cards, payments, voided invoices and cancellations,
read incrementally month after month as the cohort reads them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.churn.book import INTENTS_VERSION, BillingBook, invoice_counts, monthly_amount, reconcile, subscription_counts
from harness.churn.driver import API_VERSION
from harness.servers import GatewayProcess
from harness.stripe_api import StripeApi
from mock_gateway.api import versions
from mock_gateway.store import packing

T0 = 1_767_225_600 + 12 * 3600
DAY = 86400
_MONTHS = ("CASE json_extract(j.value, '$.price.recurring.interval') WHEN 'day' THEN 12.0 / 365 WHEN 'week' THEN 12.0 / 52 "
           "WHEN 'year' THEN 12.0 ELSE 1.0 END * json_extract(j.value, '$.price.recurring.interval_count')")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StripeApi, Path]]:
    path = tmp_path_factory.mktemp("book") / "gateway.sqlite3"
    with GatewayProcess(path) as process:
        api = StripeApi(process.url, "sk_test_book", stripe_version=API_VERSION)  # pinned as the churn driver pins it
        yield api, path
        api.close()


def _sql_summary(db: Path, customers: list[str]) -> dict[str, Any]:
    """The counts as the gateway's SQL summary made them, from the ledger file (read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    packing.register(conn)  # unpacked(data): PaymentIntents are stored packed
    scope, args = " AND o.customer IN (SELECT value FROM json_each(?))", (__import__("json").dumps(customers),)
    subs: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for status, reason, n in conn.execute(
        "SELECT o.kind, json_extract(o.data, '$.cancellation_details.reason'), COUNT(*) FROM objects o "
        f"WHERE o.type = 'subscription'{scope} GROUP BY 1, 2", args):
        subs[status] = subs.get(status, 0) + n
        if status == "canceled":
            reasons[reason or "unknown"] = reasons.get(reason or "unknown", 0) + n
    mrr = {status: round(amount or 0.0, 2) for status, amount in conn.execute(
        f"SELECT o.kind, SUM(json_extract(j.value, '$.price.unit_amount') * json_extract(j.value, '$.quantity') / ({_MONTHS})) "
        "FROM objects o, json_each(o.data, '$.items.data') j WHERE o.type = 'subscription' "
        f"AND o.kind IN ('active', 'past_due', 'trialing', 'unpaid'){scope} GROUP BY 1", args)}
    invoices = {status: {"count": n, "amount_due": due or 0, "amount_paid": paid or 0, "amount_remaining": remaining or 0}
                for status, n, due, paid, remaining in conn.execute(
                    "SELECT o.kind, COUNT(*), SUM(json_extract(o.data, '$.amount_due')), SUM(json_extract(o.data, '$.amount_paid')), "
                    f"SUM(json_extract(o.data, '$.amount_remaining')) FROM objects o WHERE o.type = 'invoice'{scope} GROUP BY 1", args)}
    recovered_n, recovered_amount = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(json_extract(o.data, '$.amount_paid')), 0) FROM objects o WHERE o.type = 'invoice' "
        f"AND o.kind = 'paid' AND json_extract(o.data, '$.attempt_count') > 1{scope}", args).fetchone()
    failed_first = conn.execute(
        "SELECT COUNT(*) FROM objects o WHERE o.type = 'invoice' AND ((o.kind = 'paid' AND json_extract(o.data, '$.attempt_count') > 1) "
        f"OR (o.kind IN ('open', 'uncollectible', 'void') AND json_extract(o.data, '$.attempt_count') >= 1)){scope}", args).fetchone()[0]
    charges = dict(conn.execute(  # succeeded charges per invoice, through the intents that name it
        "SELECT json_extract(unpacked(pi.data), '$.invoice'), COUNT(*) FROM objects ch JOIN objects pi ON pi.id = ch.parent "
        "WHERE ch.type = 'charge' AND ch.kind = 'succeeded' AND pi.type = 'payment_intent' "
        "AND json_extract(unpacked(pi.data), '$.invoice') IS NOT NULL GROUP BY 1").fetchall())
    conn.close()
    return {"subscriptions": subs, "canceled_by_reason": reasons, "mrr": mrr, "invoices": dict(sorted(invoices.items())),
            "recovered": {"invoices": recovered_n, "amount": recovered_amount, "failed_invoices": failed_first},
            "paid_once": all(n == 1 for n in charges.values())}


class Cohort:
    """Three subscribers on a clock of their own, acted on over the public API as the churn driver does."""

    def __init__(self, api: StripeApi, retry: str, after: str) -> None:
        self.api, self.now = api, T0
        self.clock = self._ok(api.post("/v1/test_helpers/test_clocks", {"frozen_time": T0}))["id"]
        self._ok(api.post("/v1/test_helpers/billing_settings", {"test_clock": self.clock, "retry_schedule": retry, "after_retries": after}))
        prices = [self._ok(api.post("/v1/prices", {"currency": "jpy", "unit_amount": amount, "recurring": {"interval": interval},
                                                  "product_data": {"name": "p"}}))["id"] for amount, interval in ((1000, "month"), (3000, "week"))]
        self.people = []
        for i in range(3):
            card = self._ok(api.post("/v1/payment_methods", {"type": "card", "card": {"number": "4242424242424242", "exp_month": 3, "exp_year": 2036}}))["id"]
            customer = self._ok(api.post("/v1/customers", {"email": f"b{i}@x.jp", "test_clock": self.clock, "payment_method": card,
                                                           "invoice_settings": {"default_payment_method": card}}))["id"]
            sub = self._ok(api.post("/v1/subscriptions", {"customer": customer, "items": [{"price": prices[i == 2]}]}))["id"]
            self.people.append({"customer": customer, "sub": sub})
        self.book = BillingBook(api, self.clock, {p["customer"] for p in self.people})

    @staticmethod
    def _ok(result: Any) -> dict[str, Any]:
        assert result.ok, result.body
        return result.body

    def _open(self, person: dict[str, str]) -> list[dict[str, Any]]:
        return [inv for inv in self.api.list_all("/v1/invoices", {"subscription": person["sub"]}) if inv["status"] in ("open", "uncollectible")]

    def do(self, op: str, n: int) -> None:
        person = self.people[n % 3]
        if op == "advance":
            self.now += n * DAY
            self._ok(self.api.post(f"/v1/test_helpers/test_clocks/{self.clock}/advance", {"frozen_time": self.now}))
        elif op in ("decline", "recover", "new_card"):
            number = "4000000000000341" if op == "decline" else "4242424242424242"  # attaches, then declines
            card = self._ok(self.api.post("/v1/payment_methods", {"type": "card", "card": {"number": number, "exp_month": 3, "exp_year": 2036}}))["id"]
            self._ok(self.api.post(f"/v1/payment_methods/{card}/attach", {"customer": person["customer"]}))
            self._ok(self.api.post(f"/v1/customers/{person['customer']}", {"invoice_settings": {"default_payment_method": card}}))
            if op == "new_card":
                self.do("pay", n)
        elif op == "pay":
            for inv in self._open(person):
                assert self.api.post(f"/v1/invoices/{inv['id']}/pay").status in (200, 402)
        elif op == "void":
            for inv in self._open(person):
                self._ok(self.api.post(f"/v1/invoices/{inv['id']}/void"))
        elif op == "cancel":
            sub = self._ok(self.api.get(f"/v1/subscriptions/{person['sub']}"))
            if sub["status"] not in ("canceled", "incomplete_expired"):
                self._ok(self.api.post(f"/v1/subscriptions/{person['sub']}", {"cancel_at_period_end": True}))


_ops = st.lists(st.one_of(st.tuples(st.just("advance"), st.integers(1, 40)),
                          st.tuples(st.sampled_from(["decline", "recover", "new_card", "pay", "void", "cancel"]), st.integers(0, 2))),
                min_size=1, max_size=14)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ops=_ops, retry=st.sampled_from(["none", "1", "1,3"]), after=st.sampled_from(["cancel", "unpaid", "past_due"]))
# an invoice read while unsettled and paid by a new card before the next read; one voided between reads
@example(ops=[("decline", 0), ("advance", 32), ("new_card", 0), ("advance", 1)], retry="none", after="unpaid")
@example(ops=[("decline", 1), ("advance", 32), ("void", 1), ("cancel", 2), ("advance", 40)], retry="1,3", after="past_due")
def test_the_harness_summary_read_month_by_month_equals_the_ledger_counted_in_sql(gateway, ops, retry, after):
    api, db = gateway
    cohort = Cohort(api, retry, after)
    customers = [p["customer"] for p in cohort.people]
    for op, n in ops:
        cohort.do(op, n)
        if op == "advance":  # the cohort reads its summary after advances; the invoices in between change under it
            got = cohort.book.summary(cohort.now)
            expected = _sql_summary(db, customers)
            assert {k: got[k] for k in ("subscriptions", "canceled_by_reason", "mrr", "invoices", "recovered")} == \
                {k: v for k, v in expected.items() if k != "paid_once"}
    final = cohort.book.summary(cohort.now, reconcile_=True)
    expected = _sql_summary(db, customers)
    assert final["invoices"] == expected["invoices"] and final["reconciliation"]["ok"] == expected["paid_once"]
    assert final["reconciliation"]["invoices"] == sum(v["count"] for v in expected["invoices"].values())


def test_reconcile_names_each_kind_of_problem():
    invoices = [{"id": "in_ok", "status": "paid", "amount_due": 100, "amount_paid": 100},
                {"id": "in_twice", "status": "paid", "amount_due": 100, "amount_paid": 100},
                {"id": "in_short", "status": "paid", "amount_due": 100, "amount_paid": 100},
                {"id": "in_unpaid", "status": "open", "amount_due": 100, "amount_paid": 0},
                {"id": "in_open", "status": "open", "amount_due": 100, "amount_paid": 0}]
    intents = [{"invoice": "in_ok", "status": "succeeded", "amount_received": 100},
               {"invoice": "in_twice", "status": "succeeded", "amount_received": 100},
               {"invoice": "in_twice", "status": "succeeded", "amount_received": 100},
               {"invoice": "in_short", "status": "succeeded", "amount_received": 60},
               {"invoice": "in_unpaid", "status": "succeeded", "amount_received": 100},
               {"invoice": "in_open", "status": "requires_payment_method", "amount_received": 0}]
    result = reconcile(invoices, intents)
    assert not result["ok"] and result["invoices"] == 5 and result["paid"] == 3
    assert sorted((p["kind"], p["invoice"]) for p in result["problems"]) == [
        ("amount_mismatch", "in_short"), ("amount_mismatch", "in_twice"), ("charged_not_paid", "in_unpaid"), ("paid_twice", "in_twice")]
    assert reconcile(invoices[:1], intents[:1])["ok"]


def test_counts_by_status_with_mrr_per_month_of_each_interval():
    def sub(status: str, amount: int, interval: str, reason: str | None = None) -> dict[str, Any]:
        return {"status": status, "cancellation_details": {"reason": reason},
                "items": {"data": [{"quantity": 2, "price": {"unit_amount": amount, "recurring": {"interval": interval, "interval_count": 1}}}]}}

    assert monthly_amount(sub("active", 1200, "year")) == 200.0
    counts = subscription_counts([sub("active", 1000, "month"), sub("past_due", 300, "week"), sub("canceled", 1000, "month", "payment_failed"),
                                  sub("canceled", 1000, "month")])
    assert counts["subscriptions"] == {"active": 1, "past_due": 1, "canceled": 2}
    assert counts["canceled_by_reason"] == {"payment_failed": 1, "unknown": 1}
    assert counts["mrr"] == {"active": 2000.0, "past_due": round(600 * 52 / 12, 2)}
    paid_late = {"status": "paid", "amount_due": 5, "amount_paid": 5, "amount_remaining": 0, "attempt_count": 2}
    assert invoice_counts([paid_late])["recovered"] == {"invoices": 1, "amount": 5, "failed_invoices": 1}


def test_the_driver_pins_the_gateways_newest_version():
    """The driver asks for the newest shapes, which a checkout-harness gateway answers as it stores them (an older
    version is reshaped object by object); the reconciliation's read asks for a version whose intents name invoices."""
    assert API_VERSION == versions.LATEST
    assert versions.VERSIONS.index(INTENTS_VERSION) == versions.VERSIONS.index("2025-03-31.basil") - 1
