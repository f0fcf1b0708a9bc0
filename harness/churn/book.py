"""The cohort's billing as the harness sees it through Stripe's public lists, so that the simulation
runs against any gateway with test clocks: subscriptions by status and cancellation reason, MRR,
invoices by status, recovered revenue, notices sent, and a reconciliation of invoices against the
PaymentIntents that paid them (every invoice paid once or not at all).

The reconciliation reads PaymentIntents, not the invoices' own `paid` flags, so a bug in invoice
bookkeeping shows up as a problem rather than hiding behind it.

Invoices are read incrementally (a cohort asks for its summary every simulated month and the
invoices only grow): each summary reads the invoices created since the previous one, and the ones
still open, uncollectible or draft; an invoice that was unsettled before and is in neither was
paid or voided since, and is read on its own. Subscriptions are read the same way: the ones not
canceled listed whole, the ended ones from the `customer.subscription.deleted` events since the
previous read (a subscription never comes back from canceled), so that a month's read does not list
every subscription that ended in an earlier month again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..stripe_api import StripeApi
from .concurrent import WAVE

NOTICE_EVENTS = ("invoice.upcoming", "invoice.payment_failed", "customer.source.expiring")
UNSETTLED = ("draft", "open", "uncollectible")
LIVE = ("active", "past_due", "trialing", "unpaid")  # the statuses whose subscriptions count towards MRR
# PaymentIntents name their invoice (`invoice`) up to this version (2025-03-31.basil moved the link to invoice
# payments): the reconciliation reads them in it, whatever version the rest of the driver pins.
INTENTS_VERSION = "2025-02-24.acacia"
_MONTHS_PER_INTERVAL = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}


def monthly_amount(sub: dict[str, Any]) -> float:
    """What a subscription brings in a month: each item's unit amount times quantity, per month of its interval."""
    total = 0.0
    for item in sub["items"]["data"]:
        price = item["price"]
        recurring = price.get("recurring") or {}
        months = _MONTHS_PER_INTERVAL.get(recurring.get("interval", "month"), 1.0) * recurring.get("interval_count", 1)
        total += (price.get("unit_amount") or 0) * item.get("quantity", 1) / months
    return total


def subscription_counts(subs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Subscriptions by status, the canceled ones by cancellation reason, and MRR by live status."""
    statuses: dict[str, int] = {}
    reasons: dict[str, int] = {}
    mrr: dict[str, float] = {}
    for sub in subs:
        status = sub["status"]
        statuses[status] = statuses.get(status, 0) + 1
        if status == "canceled":
            reason = (sub.get("cancellation_details") or {}).get("reason") or "unknown"
            reasons[reason] = reasons.get(reason, 0) + 1
        elif status in LIVE:
            mrr[status] = mrr.get(status, 0.0) + monthly_amount(sub)
    return {"subscriptions": statuses, "canceled_by_reason": reasons, "mrr": {k: round(v, 2) for k, v in mrr.items()}}


def invoice_counts(invoices: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Invoices by status (count and amounts); recovered ones (paid after a failed first attempt) and
    every invoice whose first attempt failed, whatever became of it."""
    by_status: dict[str, dict[str, int]] = {}
    recovered_n = recovered_amount = failed_first = 0
    for inv in invoices:
        row = by_status.setdefault(inv["status"], {"count": 0, "amount_due": 0, "amount_paid": 0, "amount_remaining": 0})
        row["count"] += 1
        for key in ("amount_due", "amount_paid", "amount_remaining"):
            row[key] += inv.get(key) or 0
        attempts = inv.get("attempt_count")
        if attempts is None:
            continue
        if inv["status"] == "paid" and attempts > 1:
            recovered_n += 1
            recovered_amount += inv.get("amount_paid") or 0
            failed_first += 1
        elif inv["status"] in ("open", "uncollectible", "void") and attempts >= 1:
            failed_first += 1
    return {"invoices": dict(sorted(by_status.items())),
            "recovered": {"invoices": recovered_n, "amount": recovered_amount, "failed_invoices": failed_first}}


def reconcile(invoices: Iterable[dict[str, Any]], intents: Iterable[dict[str, Any]], cap: int = 200) -> dict[str, Any]:
    """Each invoice against the succeeded PaymentIntents that name it: a paid invoice was paid exactly once
    and for its amount_paid; an invoice not paid has no succeeded payment."""
    charged: dict[str, tuple[int, int]] = {}
    for pi in intents:
        if pi.get("invoice") and pi.get("status") == "succeeded":
            n, amount = charged.get(pi["invoice"], (0, 0))
            charged[pi["invoice"]] = (n + 1, amount + (pi.get("amount_received") or 0))
    problems: list[dict[str, Any]] = []
    checked = paid = total_paid = 0
    for inv in invoices:
        checked += 1
        n, amount = charged.get(inv["id"], (0, 0))
        if n > 1:
            problems.append({"kind": "paid_twice", "invoice": inv["id"], "detail": f"{n} succeeded payments"})
        if inv["status"] == "paid":
            paid += 1
            total_paid += amount
            if amount != inv.get("amount_paid") or ((inv.get("amount_due") or 0) > 0 and n == 0):
                problems.append({"kind": "amount_mismatch", "invoice": inv["id"],
                                 "detail": f"amount_paid {inv.get('amount_paid')}, payments {amount} ({n}), amount_due {inv.get('amount_due')}"})
        elif n:
            problems.append({"kind": "charged_not_paid", "invoice": inv["id"], "detail": f"status {inv['status']} with {n} succeeded payment(s)"})
    return {"invoices": checked, "paid": paid, "charged_total": total_paid, "ok": not problems, "problems": problems[:cap],
            "problem_count": len(problems)}


class BillingBook:
    """One cohort's billing read from a gateway: `summary()` each month, `summary(reconcile=True)` at the end.
    `customers` scopes what is read to the cohort (a target may hold other customers' objects)."""

    def __init__(self, api: StripeApi, clock: str, customers: set[str]) -> None:
        self.api, self.clock, self.customers = api, clock, customers
        self.invoices: dict[str, dict[str, Any]] = {}
        self.unsettled: set[str] = set()
        self.read_at: int | None = None  # the clock's time at the last read: invoices created since are new
        self.notices: dict[str, int] = dict.fromkeys(NOTICE_EVENTS, 0)
        self.ended: dict[str, dict[str, Any]] = {}  # subscription id -> as its deletion event carried it
        self.ended_cursor: str | None = None  # the newest deletion event read so far

    def count_notices(self, events: Iterable[dict[str, Any]]) -> None:
        """Events the driver read (it reads them anyway): the notices among them, of the cohort's customers."""
        for event in events:
            if event["type"] in self.notices and event["data"]["object"].get("customer") in self.customers:
                self.notices[event["type"]] += 1

    def _keep(self, inv: dict[str, Any]) -> None:
        if inv.get("customer") not in self.customers:
            return
        self.invoices[inv["id"]] = {k: inv.get(k) for k in ("id", "status", "amount_due", "amount_paid", "amount_remaining", "attempt_count")}
        if inv["status"] in UNSETTLED:
            self.unsettled.add(inv["id"])
        else:
            self.unsettled.discard(inv["id"])

    def refresh_invoices(self, now: int) -> None:
        """Invoices created since the last read, and every one that was unsettled then, as they are now."""
        seen: set[str] = set()
        for inv in self.api.list_all("/v1/invoices", {"created": {"gte": self.read_at}} if self.read_at is not None else {}):
            self._keep(inv)
            seen.add(inv["id"])
        before = set(self.unsettled) - seen
        for status in UNSETTLED:
            for inv in self.api.list_all("/v1/invoices", {"status": status}):
                self._keep(inv)
                seen.add(inv["id"])
        settled_since = sorted(before - seen)  # paid or voided since the last read
        answers = [answer for first in range(0, len(settled_since), WAVE)  # read together (send_many), a wave at a time
                   for answer in self.api.send_many([("GET", f"/v1/invoices/{inv_id}", {}) for inv_id in settled_since[first:first + WAVE]])]
        for result in answers:
            if not result.ok:
                raise RuntimeError(f"GET /v1/invoices: {result.status} {result.error.get('message')}")
            self._keep(result.body)
        self.read_at = now

    def _new_deletions(self) -> list[dict[str, Any]]:
        """The `customer.subscription.deleted` events created since the last read, walked after the newest read so far."""
        params: dict[str, Any] = {"type": "customer.subscription.deleted", "limit": 100}
        if self.ended_cursor is None:
            events = list(self.api.list_all("/v1/events", params))
        else:
            events, cursor = [], self.ended_cursor
            while True:
                result = self.api.get("/v1/events", {**params, "ending_before": cursor})
                if not result.ok:
                    raise RuntimeError(f"GET /v1/events: {result.status} {result.error.get('message')}")
                events = result.body["data"] + events  # each page newest first, the pages oldest first
                if not result.body["data"] or not result.body["has_more"]:
                    break
                cursor = result.body["data"][0]["id"]
        if events:
            self.ended_cursor = events[0]["id"]
        return events

    def subscriptions(self) -> list[dict[str, Any]]:
        """The cohort's subscriptions as they are now: the ones not canceled as listed, then the ones that ended (read
        after the list, so one that ended in between counts as ended, once)."""
        subs = {s["id"]: s for s in self.api.list_all("/v1/subscriptions", {"test_clock": self.clock}) if s.get("customer") in self.customers}
        for event in self._new_deletions():
            sub = event["data"]["object"]
            if sub.get("customer") in self.customers:
                self.ended[sub["id"]] = sub
        subs.update(self.ended)
        return list(subs.values())

    def summary(self, now: int, reconcile_: bool = False) -> dict[str, Any]:
        subs = self.subscriptions()
        self.refresh_invoices(now)
        out: dict[str, Any] = {"object": "billing_summary", "test_clock": self.clock, **subscription_counts(subs),
                               **invoice_counts(self.invoices.values()), "notice_events": dict(self.notices)}
        if reconcile_:
            intents = (pi for pi in self.api.list_all("/v1/payment_intents", stripe_version=INTENTS_VERSION)
                       if pi.get("customer") in self.customers)
            out["reconciliation"] = reconcile(self.invoices.values(), intents)
        return out
