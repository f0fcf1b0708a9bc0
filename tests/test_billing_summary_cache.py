"""The billing summary remembers the totals of settled (paid or void) invoices between calls and reads only
newer and unsettled invoices: for random ledgers (renewals, declines, payments, voids, customers deleted)
every summary must equal the one computed from every invoice, with or without a clock."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

import mock_gateway.app  # noqa: F401  (registers the billing tasks)
from billing_support import CUSTOMER_ACTIONS, customer_action, join, programs
from mock_gateway.core import clock, customers
from mock_gateway.core.billing import invoices, prices, settings as billing_settings
from mock_gateway.core.billing.clocked import clocked
from mock_gateway.core.billing.summary import summary
from mock_gateway.core.context import Ctx
from mock_gateway.store.db import Store

T0 = 1_767_225_600
DAY = 86400


def _reference_invoices(store: Store, clock_id: str | None) -> dict:
    """Every invoice read, as the summary did before it remembered anything."""
    where, args = "", ()
    if clock_id:
        where, args = (" AND o.customer IN (SELECT id FROM objects WHERE type = 'customer' AND "
                       "json_extract(data, '$.test_clock') = ?)", (clock_id,))
    conn = store.conn
    by_kind = {}
    for status, n, due, paid, remaining in conn.execute(
        "SELECT o.kind, COUNT(*), SUM(json_extract(o.data, '$.amount_due')), SUM(json_extract(o.data, '$.amount_paid')), "
        f"SUM(json_extract(o.data, '$.amount_remaining')) FROM objects o WHERE o.type = 'invoice'{where} GROUP BY 1", args
    ):
        by_kind[status] = {"count": n, "amount_due": due or 0, "amount_paid": paid or 0, "amount_remaining": remaining or 0}
    recovered_n, recovered_amount = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(json_extract(o.data, '$.amount_paid')), 0) FROM objects o WHERE o.type = 'invoice' "
        f"AND o.kind = 'paid' AND json_extract(o.data, '$.attempt_count') > 1{where}", args
    ).fetchone()
    failed_first = conn.execute(
        "SELECT COUNT(*) FROM objects o WHERE o.type = 'invoice' AND ((o.kind = 'paid' AND json_extract(o.data, '$.attempt_count') > 1) "
        f"OR (o.kind IN ('open', 'uncollectible', 'void') AND json_extract(o.data, '$.attempt_count') >= 1)){where}", args
    ).fetchone()[0]
    return {"invoices": by_kind, "recovered": {"invoices": recovered_n, "amount": recovered_amount, "failed_invoices": failed_first}}


def _check(store: Store, clock_id: str | None) -> None:
    expected = _reference_invoices(store, clock_id)
    for _ in range(2):  # the first call may read everything; the second reads what it did not remember
        got = summary(store, clock_id, reconcile=False)
        assert {"invoices": got["invoices"], "recovered": got["recovered"]} == expected


ops = programs(("void", "delete", "join"), people=4)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops, retry=st.sampled_from(["", "1", "1,3"]), after=st.sampled_from(["cancel", "unpaid", "past_due"]))
def test_remembered_totals_equal_a_full_count(ops, retry, after):
    _run(ops, retry, after)


def test_an_invoice_written_off_then_paid_moves_to_paid():
    # declined at the renewal, no retries: uncollectible (remembered as unsettled), then paid with the card back
    _run([("decline", 0), ("advance", 35), ("recover", 0), ("pay", 0), ("void", 1), ("delete", 1), ("advance", 31)],
         "", "unpaid")


def _run(ops: list[tuple[str, int]], retry: str, after: str) -> None:
    store = Store(":memory:")
    ctx = Ctx(store, now=T0)
    with store.transaction():
        clk = clock.create(ctx, {"frozen_time": T0})
        other = clock.create(ctx, {"frozen_time": T0})
        billing_settings.put(store, clk["id"], {"retry_days": [float(d) for d in retry.split(",")] if retry else [],
                                                "after_retries": after})
        price = prices.create(ctx, {"currency": "jpy", "unit_amount": 1000, "recurring": {"interval": "month"},
                                    "product_data": {"name": "basic"}})

    with store.transaction():
        people = [join(ctx, i, clk["id"] if i != 3 else other["id"], price["id"]) for i in range(4)]
    now = T0
    for op, arg in ops:
        person = people[arg % len(people)]
        with store.transaction():
            gone = store.get(person["customer"]) is None
            if op == "advance":
                now += arg * DAY
                for c in (clk, other):
                    clock.advance(Ctx(store, now=now), store.get(c["id"]), now)
            elif gone:
                pass
            elif op in CUSTOMER_ACTIONS:
                customer_action(ctx, op, person)
            elif op == "void":
                for inv in invoices.open_invoices(ctx, person["sub"]):
                    invoices.void(clocked(ctx, person["customer"]), inv)
            elif op == "delete":
                customers.delete(ctx, store.get(person["customer"]))
            elif op == "join":
                people.append(join(ctx, len(people), clk["id"], price["id"]))
        for clock_id in (clk["id"], other["id"], None):
            _check(store, clock_id)
