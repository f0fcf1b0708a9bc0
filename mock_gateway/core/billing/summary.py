"""What a cohort's ledger holds, counted in SQL (harness extension): subscriptions by status and
cancellation reason, MRR, invoices by status, recovered revenue, notices, and a reconciliation
of invoices against the charges that paid them (every invoice paid once or not at all).

The reconciliation reads charges and PaymentIntents, not the invoices' own `paid` flags, so a
bug in invoice bookkeeping shows up as a problem rather than hiding behind it.
"""

from __future__ import annotations

import weakref
from typing import Any

import orjson

from ...store.db import Store

_MONTHS = ("CASE json_extract(j.value, '$.price.recurring.interval') WHEN 'day' THEN 12.0 / 365 WHEN 'week' THEN 12.0 / 52 "
           "WHEN 'year' THEN 12.0 ELSE 1.0 END * json_extract(j.value, '$.price.recurring.interval_count')")
NOTICE_EVENTS = ("invoice.upcoming", "invoice.payment_failed", "customer.source.expiring")


def _scope(store: Store, clock_id: str | None) -> tuple[str, tuple[Any, ...], list[int] | None]:
    """The condition on `o.customer` that keeps a clock's customers (and those customers' seqs), or nothing.
    The clock's customers are read once, not once per query of the summary (each read parses every customer)."""
    if not clock_id:
        return "", (), None
    rows = store.conn.execute(
        "SELECT seq, id FROM objects WHERE type = 'customer' AND json_extract(data, '$.test_clock') = ?", (clock_id,)
    ).fetchall()
    return " AND o.customer IN (SELECT value FROM json_each(?))", (orjson.dumps([r[1] for r in rows]).decode(),), [r[0] for r in rows]


# -- invoice totals, with what is settled remembered ---------------------------------------------------
#
# A cohort asks for its summary every simulated month, and the invoices only grow: reading every one of
# them (~2 KB of JSON each) each month came to seconds per summary by the end of a 10,000 x 12 cohort.
# A paid or void invoice never changes again (nothing pays, voids or marks one that is not open or
# uncollectible), so their totals are remembered per store and scope, with the invoices that were not
# settled yet; a later summary reads only invoices newer than the last one read and those unsettled ones.
# Invoices are never deleted, but a scope's customers can be (their invoices then leave the scope), so
# the scope's customers are checked first and the memory is dropped when one that was counted is gone.

SETTLED = ("paid", "void")


class _Totals:
    """Per status [count, amount_due, amount_paid, amount_remaining]; recovered (paid after a failed
    first attempt) and failed-first (whatever became of them) counts, as the summary reports them."""

    __slots__ = ("by_kind", "recovered_n", "recovered_amount", "failed_first")

    def __init__(self) -> None:
        self.by_kind: dict[str, list[int]] = {}
        self.recovered_n = self.recovered_amount = self.failed_first = 0

    def add(self, kind: str, due: int | None, paid: int | None, remaining: int | None, attempts: int | None) -> None:
        row = self.by_kind.get(kind)
        if row is None:
            row = self.by_kind[kind] = [0, 0, 0, 0]
        row[0] += 1
        row[1] += due or 0
        row[2] += paid or 0
        row[3] += remaining or 0
        if attempts is None:
            return
        if kind == "paid" and attempts > 1:
            self.recovered_n += 1
            self.recovered_amount += paid or 0
            self.failed_first += 1
        elif kind in ("open", "uncollectible", "void") and attempts >= 1:
            self.failed_first += 1

    def plus(self, other: "_Totals") -> "_Totals":
        out = _Totals()
        for source in (self, other):
            for kind, row in source.by_kind.items():
                mine = out.by_kind.setdefault(kind, [0, 0, 0, 0])
                for i in range(4):
                    mine[i] += row[i]
            out.recovered_n += source.recovered_n
            out.recovered_amount += source.recovered_amount
            out.failed_first += source.failed_first
        return out


class _Settled:
    """Totals of the settled invoices with seq <= `upto`, the unsettled ones' seqs, and the scope's
    customers with seq <= `customers_upto` when it was taken (count, sum of seqs)."""

    __slots__ = ("upto", "totals", "unsettled", "customers_upto", "customers")

    def __init__(self) -> None:
        self.upto = 0
        self.totals = _Totals()
        self.unsettled: list[int] = []
        self.customers_upto = 0
        self.customers: tuple[int, int] = (0, 0)


_SETTLED: "weakref.WeakKeyDictionary[Store, dict[str | None, _Settled]]" = weakref.WeakKeyDictionary()


def _invoice_totals(store: Store, clock_id: str | None, where: str, args: tuple[Any, ...], customer_seqs: list[int] | None) -> _Totals:
    conn = store.conn
    in_transaction = store.in_transaction()  # what it reads may yet be rolled back: remember nothing
    remembered = None if in_transaction else _SETTLED.setdefault(store, {}).get(clock_id)
    customers_upto, customers = 0, (0, 0)
    if customer_seqs is not None:  # a clock's customers: has one that was counted before left the scope?
        m = remembered.customers_upto if remembered else 0
        then = [seq for seq in customer_seqs if seq <= m]
        if remembered is not None and (len(then), sum(then)) != remembered.customers:
            remembered = None
        customers_upto, customers = max(customer_seqs, default=0), (len(customer_seqs), sum(customer_seqs))
    if remembered is None:
        remembered = _Settled()
    settled = _Totals()
    settled.by_kind = {k: list(v) for k, v in remembered.totals.by_kind.items()}
    settled.recovered_n, settled.recovered_amount = remembered.totals.recovered_n, remembered.totals.recovered_amount
    settled.failed_first = remembered.totals.failed_first
    unsettled_totals = _Totals()
    unsettled: list[int] = []
    upto = remembered.upto
    for seq, kind, due, paid, remaining, attempts in conn.execute(
        "SELECT o.seq, o.kind, json_extract(o.data, '$.amount_due'), json_extract(o.data, '$.amount_paid'), "
        "json_extract(o.data, '$.amount_remaining'), json_extract(o.data, '$.attempt_count') FROM objects o "
        f"WHERE o.type = 'invoice' AND (o.seq > ? OR o.seq IN (SELECT value FROM json_each(?))){where}",
        (remembered.upto, "[" + ",".join(map(str, remembered.unsettled)) + "]", *args),
    ):
        if kind in SETTLED:
            settled.add(kind, due, paid, remaining, attempts)
        else:
            unsettled_totals.add(kind, due, paid, remaining, attempts)
            unsettled.append(seq)
        upto = max(upto, seq)
    if not in_transaction:
        fresh = _Settled()
        fresh.upto, fresh.totals, fresh.unsettled = upto, settled, unsettled
        fresh.customers_upto, fresh.customers = customers_upto, customers
        _SETTLED.setdefault(store, {})[clock_id] = fresh
    return settled.plus(unsettled_totals)


def summary(store: Store, clock_id: str | None = None, reconcile: bool = True) -> dict[str, Any]:
    conn = store.conn
    where, args, customer_seqs = _scope(store, clock_id)
    subs: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for status, reason, n in conn.execute(
        "SELECT o.kind, CASE WHEN o.kind = 'canceled' THEN json_extract(o.data, '$.cancellation_details.reason') END, "
        "COUNT(*) FROM objects o "  # the reason only of those canceled: no JSON read for the others
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
    totals = _invoice_totals(store, clock_id, where, args, customer_seqs)
    invoices = {kind: {"count": n, "amount_due": due, "amount_paid": paid, "amount_remaining": remaining}
                for kind, (n, due, paid, remaining) in sorted(totals.by_kind.items())}
    recovered_n, recovered_amount, failed_first = totals.recovered_n, totals.recovered_amount, totals.failed_first
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
    where, args, _ = _scope(store, clock_id)
    charged: dict[str, tuple[int, int]] = {}
    for inv_id, n, amount in store.conn.execute(
        "SELECT json_extract(pi.data, '$._invoice'), COUNT(*), SUM(json_extract(ch.data, '$.amount_captured')) "
        "FROM objects ch JOIN objects pi ON pi.id = ch.parent "
        "WHERE ch.type = 'charge' AND ch.kind = 'succeeded' AND pi.type = 'payment_intent' "
        "AND json_extract(pi.data, '$._invoice') IS NOT NULL GROUP BY 1"
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
