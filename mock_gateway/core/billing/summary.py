"""What a cohort's ledger holds, counted in SQL (harness extension): subscriptions by status and
cancellation reason, MRR, invoices by status, recovered revenue, notices, and a reconciliation
of invoices against the charges that paid them (every invoice paid once or not at all).

The reconciliation reads charges and PaymentIntents, not the invoices' own `paid` flags, so a
bug in invoice bookkeeping shows up as a problem rather than hiding behind it.
"""

from __future__ import annotations

from typing import Any

from ...store.db import Store

_MONTHS = ("CASE json_extract(j.value, '$.price.recurring.interval') WHEN 'day' THEN 12.0 / 365 WHEN 'week' THEN 12.0 / 52 "
           "WHEN 'year' THEN 12.0 ELSE 1.0 END * json_extract(j.value, '$.price.recurring.interval_count')")
NOTICE_EVENTS = ("invoice.upcoming", "invoice.payment_failed", "customer.source.expiring")


def _scope(clock_id: str | None, alias: str = "o") -> tuple[str, tuple[Any, ...]]:
    if not clock_id:
        return "", ()
    return (f" AND {alias}.customer IN (SELECT id FROM objects WHERE type = 'customer' AND "
            f"json_extract(data, '$.test_clock') = ?)", (clock_id,))


def summary(store: Store, clock_id: str | None = None, reconcile: bool = True) -> dict[str, Any]:
    conn = store.conn
    where, args = _scope(clock_id)
    subs: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for status, reason, n in conn.execute(
        "SELECT o.kind, json_extract(o.data, '$.cancellation_details.reason'), COUNT(*) FROM objects o "
        f"WHERE o.type = 'subscription'{where} GROUP BY 1, 2", args
    ):
        subs[status] = subs.get(status, 0) + n
        if status == "canceled":
            reasons[reason or "unknown"] = reasons.get(reason or "unknown", 0) + n
    mrr: dict[str, float] = {}
    for status, amount in conn.execute(
        f"SELECT o.kind, SUM(json_extract(j.value, '$.price.unit_amount') * json_extract(j.value, '$.quantity') / ({_MONTHS})) "
        f"FROM objects o, json_each(o.data, '$.items.data') j WHERE o.type = 'subscription' "
        f"AND o.kind IN ('active', 'past_due', 'trialing', 'unpaid'){where} GROUP BY 1", args
    ):
        mrr[status] = round(amount or 0.0, 2)
    # One pass over the invoices (each one's JSON parsed once: the JSON functions of one statement share
    # their parse): counts and amounts by status, and those whose first attempt failed, recovered or not.
    invoices: dict[str, dict[str, int]] = {}
    recovered_n = recovered_amount = failed_first = 0
    for status, n, due, paid, remaining, recovered, recovered_paid, failed_unrecovered in conn.execute(
        "SELECT o.kind, COUNT(*), SUM(json_extract(o.data, '$.amount_due')), SUM(json_extract(o.data, '$.amount_paid')), "
        "SUM(json_extract(o.data, '$.amount_remaining')), "
        "SUM(o.kind = 'paid' AND json_extract(o.data, '$.attempt_count') > 1), "
        "SUM(CASE WHEN o.kind = 'paid' AND json_extract(o.data, '$.attempt_count') > 1 THEN json_extract(o.data, '$.amount_paid') END), "
        "SUM(o.kind IN ('open', 'uncollectible', 'void') AND json_extract(o.data, '$.attempt_count') >= 1) "
        f"FROM objects o WHERE o.type = 'invoice'{where} GROUP BY 1", args
    ):
        invoices[status] = {"count": n, "amount_due": due or 0, "amount_paid": paid or 0, "amount_remaining": remaining or 0}
        recovered_n += recovered or 0
        recovered_amount += recovered_paid or 0
        failed_first += (recovered or 0) + (failed_unrecovered or 0)
    events = dict(conn.execute(
        f"SELECT kind, COUNT(*) FROM objects WHERE type = 'event' AND kind IN ({','.join('?' * len(NOTICE_EVENTS))}) GROUP BY kind",
        NOTICE_EVENTS,
    ).fetchall())
    out: dict[str, Any] = {
        "object": "billing_summary",
        "test_clock": clock_id,
        "subscriptions": subs,
        "canceled_by_reason": reasons,
        "mrr": mrr,
        "invoices": invoices,
        "recovered": {"invoices": recovered_n, "amount": recovered_amount, "failed_invoices": failed_first},
        "notice_events": {k: events.get(k, 0) for k in NOTICE_EVENTS},
    }
    if reconcile:
        out["reconciliation"] = reconciliation(store, clock_id)
    return out


def reconciliation(store: Store, clock_id: str | None = None) -> dict[str, Any]:
    where, args = _scope(clock_id)
    charged: dict[str, tuple[int, int]] = {}
    for inv_id, n, amount in store.conn.execute(
        "SELECT json_extract(pi.data, '$.invoice'), COUNT(*), SUM(json_extract(ch.data, '$.amount_captured')) "
        "FROM objects ch JOIN objects pi ON pi.id = ch.parent "
        "WHERE ch.type = 'charge' AND ch.kind = 'succeeded' AND pi.type = 'payment_intent' "
        "AND json_extract(pi.data, '$.invoice') IS NOT NULL GROUP BY 1"
    ):
        charged[inv_id] = (n, amount or 0)
    problems: list[dict[str, Any]] = []
    checked = paid = 0
    total_paid = 0
    for inv_id, status, amount_paid, amount_due in store.conn.execute(
        "SELECT o.id, o.kind, json_extract(o.data, '$.amount_paid'), json_extract(o.data, '$.amount_due') FROM objects o "
        f"WHERE o.type = 'invoice'{where}", args
    ):
        checked += 1
        n, amount = charged.pop(inv_id, (0, 0))
        if n > 1:
            problems.append({"kind": "paid_twice", "invoice": inv_id, "detail": f"{n} succeeded charges"})
        if status == "paid":
            paid += 1
            total_paid += amount
            if amount != amount_paid or (amount_due > 0 and n == 0):
                problems.append({"kind": "amount_mismatch", "invoice": inv_id,
                                 "detail": f"amount_paid {amount_paid}, charges {amount} ({n}), amount_due {amount_due}"})
        elif n:
            problems.append({"kind": "charged_not_paid", "invoice": inv_id, "detail": f"status {status} with {n} succeeded charge(s)"})
    if not clock_id:
        for inv_id, (n, amount) in charged.items():
            problems.append({"kind": "charge_without_invoice", "invoice": inv_id, "detail": f"{n} charge(s), {amount}"})
    return {"invoices": checked, "paid": paid, "charged_total": total_paid, "ok": not problems, "problems": problems[:200],
            "problem_count": len(problems)}
