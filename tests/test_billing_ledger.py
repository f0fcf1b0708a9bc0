"""Hypothesis: for random sequences of clock advances, cards that start or stop declining, card
updates and invoice payments, no invoice is paid twice and the amounts add up. In-process (the
domain on an in-memory store) so that a hundred sequences run in seconds."""

from __future__ import annotations

from billing_support import CUSTOMER_ACTIONS, customer_action, join, programs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.churn.book import reconcile
from mock_gateway.api import versions
from mock_gateway.core import clock
from mock_gateway.core.billing import dunning, prices, subscriptions
from mock_gateway.core.billing import settings as billing_settings
from mock_gateway.core.context import Ctx
from mock_gateway.store.db import Store

T0 = 1_767_225_600
DAY = 86400

ops = programs(("upgrade",), people=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops, retry=st.sampled_from(["", "1", "1,3,5", "2,2"]), after=st.sampled_from(["cancel", "unpaid", "past_due"]))
def test_no_invoice_is_paid_twice_and_amounts_add_up(ops, retry, after):
    store = Store(":memory:")
    ctx = Ctx(store, now=T0)
    with store.transaction():
        clk = clock.create(ctx, {"frozen_time": T0})
        billing_settings.put(store, clk["id"], {"retry_days": [float(d) for d in retry.split(",")] if retry else [],
                                                "after_retries": after})
        basic = prices.create(ctx, {"currency": "jpy", "unit_amount": 1000, "recurring": {"interval": "month"},
                                    "product_data": {"name": "basic"}})
        pro = prices.create(ctx, {"currency": "jpy", "unit_amount": 3000, "recurring": {"interval": "week"},
                                  "product_data": {"name": "pro"}})
        people = []
        for i in range(3):
            price = basic if i != 2 else pro
            people.append(join(ctx, i, clk["id"], price["id"]))
    now = T0
    for op, arg in ops:
        person = people[arg % 3] if op != "advance" else None
        with store.transaction():
            if op == "advance":
                now += arg * DAY
                clock.advance(Ctx(store, now=now), store.get(clk["id"]), now)
            elif op in CUSTOMER_ACTIONS:
                customer_action(ctx, op, person)
            elif op == "upgrade":
                sub = store.get(person["sub"])
                if sub["status"] not in subscriptions.ENDED and sub["items"]["data"][0]["price"]["id"] == basic["id"]:
                    new = prices.create(ctx, {"currency": "jpy", "unit_amount": 2500, "recurring": {"interval": "month"},
                                              "product": basic["product"]})
                    subscriptions.update(ctx, sub, {"items": [{"id": sub["items"]["data"][0]["id"], "price": new["id"]}]})
        # as the cohort reconciles: the objects as the API answers the harness (the account's default version)
        seen = versions.Source(store)
        result = reconcile((versions.shape(i, versions.ACCOUNT_DEFAULT, seen) for i in store.iter_type("invoice")),
                           (versions.shape(p, versions.ACCOUNT_DEFAULT, seen) for p in store.iter_type("payment_intent")))
        assert result["ok"], result["problems"]
    # amounts add up: what was charged equals what paid invoices say, and every finalized invoice's
    # total is paid, still owed, written off, voided, or carried on the customer's balance
    rows = [store.get(i) for (i,) in store.conn.execute("SELECT id FROM objects WHERE type = 'invoice'")]
    charged = sum(c["amount_captured"] for c in store.iter_type("charge") if c["status"] == "succeeded")
    assert charged == sum(r["amount_paid"] for r in rows if r["status"] == "paid")
    for r in rows:
        if r["status"] == "draft":
            continue
        assert r["amount_paid"] + r["amount_remaining"] <= max(0, r["total"] + r["starting_balance"])
        if r["status"] == "paid":
            assert r["amount_remaining"] == 0 and r["amount_paid"] == r["amount_due"] or r.get("_paid_out_of_band")
            intents = [pi for pi in store.iter_type("payment_intent") if pi.get("_invoice") == r["id"]]
            assert len(intents) <= 1 and sum(pi["status"] == "succeeded" for pi in intents) == (1 if r["amount_due"] else 0)
        else:
            assert r["amount_paid"] == 0
    for p in people:
        sub = store.get(p["sub"])
        if sub["status"] == "active":
            assert not dunning.open_invoices(ctx, sub["id"])  # active means nothing is owed
    store.close()
