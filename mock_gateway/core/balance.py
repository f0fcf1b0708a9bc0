"""The merchant's balance as a statement shows it: one balance transaction per charge, refund,
refund failure, dispute and payout, each with its fee (core/fees.py) and `available_on`; payouts
on the account's schedule, run by the clock the money lives on; and a statement per period.

Money lives on a clock: a payment by a customer with a test clock is booked at that clock's time
and paid out when that clock reaches the payout date (scope = the clock's id); every other payment
on real time (scope "account"). The balance and the statement add each scope at its own time.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import orjson

from . import clock, fees
from .context import Ctx
from .errors import invalid_request
from .ids import new_id

ACCOUNT = "account"
PAID = ":paid"  # appended to a balance transaction's scope (its kind column) once paid out
_SCHEDULED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()  # payout days known scheduled
PAYOUT_TASK = "balance.payout"
DAY = fees.DAY


def scope_of(ctx: Ctx, customer_id: str | None) -> tuple[str, int]:
    """(scope, now): the customer's test clock and its time, or the account's real time."""
    clock_id, now = clock.clock_and_now(ctx, customer_id)
    return (clock_id or ACCOUNT), now


def _record(ctx: Ctx, scope: str, now: int, *, amount: int, currency: str, fee: int, fee_description: str | None,
            type: str, category: str, source: str, description: str | None, available_on: int,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
    txn: dict[str, Any] = {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": now,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [{"amount": abs(fee), "application": None, "currency": currency, "description": fee_description,
                         "type": "stripe_fee"}] if fee else [],
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available" if available_on <= now else "pending",
        "type": type,
        "_scope": scope,
        **(extra or {}),
    }
    # kind: the scope, and ":paid" once a payout took it (the payout reads only what is unpaid); no parent index row
    ctx.store.insert(txn, kind=scope if type != "payout" else scope + PAID)
    if type != "payout":
        _schedule_payout(ctx, scope, available_on)
    return txn


def for_charge(ctx: Ctx, charge: dict[str, Any], amount: int, immediate: bool = False) -> dict[str, Any]:
    """The charge's funds, less the method's fee (an international card's surcharge included)."""
    scope, now = scope_of(ctx, charge.get("customer"))
    details = charge.get("payment_method_details") or {}
    method = details.get("type") or "card"
    card_country = (details.get("card") or {}).get("country")
    international = method == "card" and card_country is not None and \
        card_country != fees.ACCOUNT_COUNTRY.get(charge["currency"], "US")
    fee = fees.rate(ctx.store, charge["currency"], method).fee(amount, international)
    return _record(ctx, scope, now, amount=amount, currency=charge["currency"], fee=fee,
                   fee_description="Stripe processing fees", type="charge", category="charge", source=charge["id"],
                   description=charge.get("description"),
                   available_on=fees.available_on(ctx.store, method, now, immediate))


def for_refund(ctx: Ctx, refund: dict[str, Any], charge: dict[str, Any], failed: bool = False) -> dict[str, Any]:
    """A refund leaves the balance at once (the charge's fee is not returned); a failed one comes back."""
    scope, now = scope_of(ctx, charge.get("customer"))
    sign = 1 if failed else -1
    return _record(ctx, scope, now, amount=sign * refund["amount"], currency=refund["currency"], fee=0, fee_description=None,
                   type="refund_failure" if failed else "refund", category="refund_failure" if failed else "refund",
                   source=refund["id"], description="REFUND FOR CHARGE" if not failed else "REFUND FAILURE",
                   available_on=now)


def for_dispute(ctx: Ctx, dispute: dict[str, Any], charge: dict[str, Any], reinstated: bool = False) -> dict[str, Any]:
    """A chargeback withdraws the disputed amount and the dispute fee; winning returns both."""
    scope, now = scope_of(ctx, charge.get("customer"))
    fee = fees.rate(ctx.store, dispute["currency"], "dispute").fee(0)
    sign = 1 if reinstated else -1
    return _record(ctx, scope, now, amount=sign * dispute["amount"], currency=dispute["currency"], fee=-sign * fee,
                   fee_description="Dispute fee", type="adjustment",
                   category="dispute_reversal" if reinstated else "dispute", source=dispute["id"],
                   description=f"Chargeback {'reversal' if reinstated else 'withdrawal'} for {charge['id']}",
                   available_on=now)


# -- payouts ----------------------------------------------------------------------------------


def next_payout_date(schedule: dict[str, Any], available_on: int) -> int | None:
    """The first payout day (00:00 UTC) on or after the day the funds become available."""
    interval = schedule["interval"]
    if interval == "manual":
        return None
    day = -(-available_on // DAY)  # the day the funds are available, rounded up to a day boundary
    if interval == "weekly":
        anchor = fees.WEEKDAYS.index(schedule["weekly_anchor"])
        day += (anchor - (day + 3) % 7) % 7  # 1970-01-01 (day 0) was a Thursday (index 3)
    elif interval == "monthly":
        import datetime

        date = datetime.date(1970, 1, 1) + datetime.timedelta(days=day)
        while date.day != min(schedule["monthly_anchor"], _month_length(date)):
            date += datetime.timedelta(days=1)
        day = (date - datetime.date(1970, 1, 1)).days
    return day * DAY


def _month_length(date: Any) -> int:
    import calendar

    return calendar.monthrange(date.year, date.month)[1]


def _schedule_payout(ctx: Ctx, scope: str, available_on: int) -> None:
    at = next_payout_date(fees.payout_schedule(ctx.store), available_on)
    if at is None:
        return
    ref = f"payout:{scope}:{at}"
    seen = _SCHEDULED.setdefault(ctx.store, set())
    if ref in seen:  # this process scheduled it already: nothing to read or write per charge
        return
    if not clock.is_scheduled(ctx, PAYOUT_TASK, ref):  # one payout per scope and day
        clock.schedule(ctx, PAYOUT_TASK, ref, at, None if scope == ACCOUNT else scope, {"scope": scope})
    if len(seen) > 10_000:
        seen.clear()
    seen.add(ref)
    # (If the transaction that scheduled it is rolled back, so is the charge that needed it; a later
    # charge that finds the day in `seen` is paid out on the next payout day that does run: the
    # payout task takes every available transaction not paid out yet, whatever its day.)


def _unpaid(ctx: Ctx, scope: str, until: int) -> Iterator[dict[str, Any]]:
    rows = ctx.store.conn.execute(
        "SELECT data FROM objects WHERE type = 'balance_transaction' AND kind = ? "
        "AND json_extract(data, '$.available_on') <= ? ORDER BY seq",
        (scope, until))
    for (data,) in rows.fetchall():
        yield orjson.loads(data)


def _pay_out(ctx: Ctx, ref: str, data: dict[str, Any]) -> None:
    """Payout day: what became available and was not paid out yet goes to the bank, per currency."""
    scope = data.get("scope") or ACCOUNT
    now = ctx.now
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for txn in _unpaid(ctx, scope, now):
        by_currency.setdefault(txn["currency"], []).append(txn)
    for currency, txns in by_currency.items():
        total = sum(t["net"] for t in txns)
        if total <= 0:
            continue  # a negative balance is carried to the next payout day
        payout = create_payout(ctx, scope, now, total, currency, automatic=True)
        for txn in txns:
            txn["_payout"] = payout["id"]
            ctx.store.update(txn, kind=scope + PAID)


def create_payout(ctx: Ctx, scope: str, now: int, amount: int, currency: str, automatic: bool,
                  p: dict[str, Any] | None = None) -> dict[str, Any]:
    p = p or {}
    payout: dict[str, Any] = {
        "id": new_id("po"),
        "object": "payout",
        "amount": amount,
        "arrival_date": now,
        "automatic": automatic,
        "balance_transaction": None,
        "created": now,
        "currency": currency,
        "description": p.get("description") or "STRIPE PAYOUT",
        "destination": "ba_test_bank_account",
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "method": "standard",
        "reconciliation_status": "completed",
        "source_type": "card",
        "statement_descriptor": p.get("statement_descriptor"),
        "status": "paid",
        "type": "bank_account",
    }
    txn = _record(ctx, scope, now, amount=-amount, currency=currency, fee=0, fee_description=None, type="payout",
                  category="payout", source=payout["id"], description=payout["description"], available_on=now)
    txn["_payout"] = payout["id"]
    ctx.store.update(txn, kind=scope + PAID)
    payout["balance_transaction"] = txn["id"]
    ctx.store.insert(payout, kind=scope)
    ctx.emit("payout.created", payout)
    ctx.emit("payout.paid", payout)
    return payout


def manual_payout(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/payouts: only with payout_schedule[interval]=manual, and only what is available."""
    if fees.payout_schedule(ctx.store)["interval"] != "manual":
        raise invalid_request("You cannot create manual payouts on an account with automatic payouts enabled: set "
                              "payout_schedule[interval]=manual with /v1/test_helpers/balance_settings first.",
                              param="amount")
    available = balance(ctx)["available"]
    have = next((b["amount"] for b in available if b["currency"] == p["currency"]), 0)
    if p["amount"] < 1 or p["amount"] > have:
        raise invalid_request(f"You have insufficient funds in your Stripe account for this payout: {have} "
                              f"{p['currency']} available, {p['amount']} asked.", param="amount", code="balance_insufficient")
    return create_payout(ctx, ACCOUNT, ctx.now, p["amount"], p["currency"], automatic=False, p=p)


# -- reading --------------------------------------------------------------------------------


def _scope_now(ctx: Ctx, scope: str, cache: dict[str, int]) -> int:
    if scope not in cache:
        clk = ctx.store.get(scope) if scope != ACCOUNT else None
        cache[scope] = int(clk["frozen_time"]) if clk is not None else ctx.now
    return cache[scope]


def render(ctx: Ctx, txn: dict[str, Any], cache: dict[str, int] | None = None) -> dict[str, Any]:
    """The transaction with `status` as of its scope's time (pending until available_on)."""
    now = _scope_now(ctx, txn.get("_scope", ACCOUNT), cache if cache is not None else {})
    txn["status"] = "available" if txn["available_on"] <= now else "pending"
    return txn


def transactions(ctx: Ctx, scope: str | None = None) -> Iterator[dict[str, Any]]:
    sql = "SELECT data FROM objects WHERE type = 'balance_transaction'" + (" AND kind IN (?, ?)" if scope else "") + \
        " ORDER BY seq"
    for (data,) in ctx.store.conn.execute(sql, (scope, scope + PAID) if scope else ()).fetchall():
        yield orjson.loads(data)


def balance(ctx: Ctx, scope: str | None = None) -> dict[str, Any]:
    """GET /v1/balance: available and pending per currency, each scope at its own time."""
    available: dict[str, int] = {}
    pending: dict[str, int] = {}
    cache: dict[str, int] = {}
    for txn in transactions(ctx, scope):
        target = available if render(ctx, txn, cache)["status"] == "available" else pending
        target[txn["currency"]] = target.get(txn["currency"], 0) + txn["net"]
    currencies = sorted(set(available) | set(pending)) or ["jpy"]

    def amounts(values: dict[str, int]) -> list[dict[str, Any]]:
        return [{"amount": values.get(c, 0), "currency": c, "source_types": {"card": values.get(c, 0)}} for c in currencies]

    return {"object": "balance", "available": amounts(available), "connect_reserved": [], "instant_available": [],
            "livemode": False, "pending": amounts(pending)}


def statement(ctx: Ctx, start: int, end: int, currency: str, scope: str | None = None) -> dict[str, Any]:
    """One period of the merchant's statement: the balance at its start, the activity by reporting
    category (count, gross, fees, net) and the balance at its end (start + activity)."""
    if end <= start:
        raise invalid_request("Invalid period: end must be after start.", param="end")
    opening = 0
    categories: dict[str, dict[str, int]] = {}
    for txn in transactions(ctx, scope):
        if txn["currency"] != currency or txn["created"] >= end:
            continue
        if txn["created"] < start:
            opening += txn["net"]
            continue
        row = categories.setdefault(txn["reporting_category"], {"count": 0, "gross": 0, "fee": 0, "net": 0})
        row["count"] += 1
        row["gross"] += txn["amount"]
        row["fee"] += txn["fee"]
        row["net"] += txn["net"]
    activity = sum(row["net"] for row in categories.values())
    return {"object": "balance_statement", "currency": currency, "start": start, "end": end,
            "starting_balance": opening, "activity": dict(sorted(categories.items())), "ending_balance": opening + activity}


TASKS: dict[str, clock.Handler] = {PAYOUT_TASK: _pay_out}
