"""One policy's cohort against a gateway, over Stripe's public API and test clocks only: the gateway
bills, retries and mails on its own as its test clock advances day by day; the driver only acts for
the subscribers as a merchant's integration would (a card that starts declining is replaced by a
declining test card, and by a working one when it recovers; a card updated after a mail becomes the
customer's default and pays what is open; a voluntary cancellation is cancel_at_period_end), and
reads what happened from events, subscriptions and invoices (book.py).

Per simulated day: the day's card changes and cancellations (a few requests each, many at once) and
one clock advance; per month one summary read from the lists. The renewals themselves (10,000 a
month by default) run inside the gateway's advance request.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Generator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from scenarios.churn import ChurnPlan, Policy

from ..stripe_api import ApiResult, StripeApi
from .book import BillingBook
from .concurrent import WAVE
from .model import NEVER, Cohort, expiry

DAY = 86400
RENEWAL_HOUR = 12 * 3600  # subscribers sign up at noon; the driver acts at midnight
WORKING_CARD = "4242424242424242"
DECLINING_CARD = "4000000000000341"  # Stripe's test card that attaches, then declines every charge (pm_card_chargeCustomerFail)
# what the driver reads after each day: ended subscriptions, and the mails (counted, and acted on with notices)
DAILY_EVENTS = ("customer.subscription.deleted", "invoice.payment_failed", "customer.source.expiring", "invoice.upcoming")
SETTINGS = "/v1/test_helpers/billing_settings"  # a checkout-harness gateway's stand-in for the Dashboard's retry settings
# The Stripe-Version the driver pins, as an integration does: the newest shapes, which a checkout-harness gateway answers
# as it stores them (an older version is reshaped per object: 3x the gateway's CPU per invoice listed, docs/subscriptions.md).
# What the driver reads (statuses, amounts, attempt counts, items' prices, events' customers) is the same in every version.
API_VERSION = "2026-11-18.endive"


Request = tuple[str, str, dict[str, Any]]  # method, path, params
T = TypeVar("T")
# A subscriber's requests one after the other: each `yield` gives a request and gets its answer (PolicyRun._in_steps).
Steps = Generator[Request, ApiResult, T]


class DriverError(RuntimeError):
    pass


def _ok(result: Any, what: str) -> dict[str, Any]:
    if not result.ok:
        raise DriverError(f"{what}: {result.status} {result.error.get('message')} (param {result.error.get('param')})")
    return result.body


def month_starts(start: int, months: int) -> list[int]:
    """Midnight of each renewal day (the anchor's day in each month), for months 0..months."""
    t = datetime.fromtimestamp(start, UTC)
    out = []
    for k in range(months + 1):
        index = t.month - 1 + k
        out.append(int(t.replace(year=t.year + index // 12, month=index % 12 + 1).timestamp()))
    return out


class PolicyRun:
    """Simulates one policy for the cohort's `members` (all of it by default, else a part: shards.py);
    writes `months.jsonl` and returns the result. Subscribers are known by their index in the cohort."""

    def __init__(self, plan: ChurnPlan, policy: Policy, cohort: Cohort, api: StripeApi, out: Path,
                 progress: Callable[[dict[str, Any]], None] | None = None, members: range | None = None) -> None:
        self.plan, self.policy, self.cohort, self.api, self.out = plan, policy, cohort, api, out
        self.progress = progress or (lambda _p: None)
        self.members = members if members is not None else range(plan.subscribers)
        self.customers: dict[int, str] = {}
        self.index: dict[str, int] = {}
        self.cards: dict[int, str] = {}
        self.card_expiry: dict[int, tuple[int, int]] = {}  # subscriber -> (exp_year, exp_month) of the card in use
        self.declining: dict[int, str] = {}  # subscriber -> the declining test card standing for their card
        self.dunning = ""
        self.subs: dict[int, str] = {}
        self.ended: set[int] = set()
        self.spell_end: dict[int, int] = {}  # subscriber -> day the declining card recovers
        self.updates_due: dict[int, set[int]] = defaultdict(set)  # day -> subscribers updating their card
        self.leaves_due: dict[int, list[int]] = defaultdict(list)
        self.decided: set[tuple[int, int]] = set()  # (subscriber, month) already decided after a failed mail
        self.counters: dict[str, int] = defaultdict(int)
        self.event_cursor: str | None = None  # the newest event (of DAILY_EVENTS) read so far

    def _in_steps(self, chains: Sequence[Steps[Any]]) -> list[Any]:
        """Many subscribers' steps at once. Each chain yields its next request (method, path, params) and is sent its
        answer; a round sends the next request of up to WAVE chains together (StripeApi.send_many, from this thread), so
        that the gateway commits them together; a chain that ends makes room for the next. A subscriber's own steps
        stay in order; different subscribers' are independent. Returns what each chain returned, in order."""
        results: list[Any] = [None] * len(chains)
        waiting: list[tuple[int, Request]] = []
        upcoming = iter(range(len(chains)))

        def step(k: int, answer: ApiResult | None) -> None:
            try:
                waiting.append((k, chains[k].send(answer)))  # type: ignore[arg-type]  # None starts a chain
            except StopIteration as done:
                results[k] = done.value

        def fill() -> None:
            while len(waiting) < WAVE and (k := next(upcoming, None)) is not None:
                step(k, None)

        fill()
        while waiting:
            current = waiting[:]
            waiting.clear()
            for (k, _), answer in zip(current, self.api.send_many([request for _, request in current])):
                step(k, answer)
            fill()
        return results

    # -- set-up ------------------------------------------------------------------------------

    def sign_up(self) -> dict[str, Any]:
        """The cohort's clock, plan and subscribers; returns the roster (ids) for `adopt`."""
        plan = self.plan
        self.clock = _ok(self.api.post("/v1/test_helpers/test_clocks", {"frozen_time": plan.start + RENEWAL_HOUR,
                                                                         "name": f"churn {self.policy.name}"}), "create clock")["id"]
        self.price = _ok(self.api.post("/v1/prices", {
            "currency": plan.currency, "unit_amount": plan.amount, "recurring": {"interval": "month"},
            "product_data": {"name": "Cohort plan"}, "nickname": "cohort"}), "create price")["id"]
        start = datetime.fromtimestamp(plan.start, UTC)
        for first in range(0, len(self.members), plan.batch):
            members = list(self.members[first:first + plan.batch])
            for i in members:
                self.card_expiry[i] = expiry(start.year, start.month, self.cohort.expiry_offset[i])
            for i, (customer, card, sub) in zip(members, self._in_steps([self._subscribe(i) for i in members])):
                self.index[customer] = i
                self.customers[i], self.cards[i], self.subs[i] = customer, card, sub
            self.progress({"phase": "signing up", "subscribers": len(self.customers)})
        return {"clock": self.clock, "price": self.price, "customers": self.customers, "cards": self.cards, "subs": self.subs}

    def _subscribe(self, i: int) -> Steps[tuple[str, str, str]]:
        """Subscriber i: a card, a customer on the cohort's clock with the card as default, a subscription."""
        card = yield from self._new_card(i, WORKING_CARD)
        customer = _ok((yield ("POST", "/v1/customers", {
            "email": f"s{i}@cohort.example", "test_clock": self.clock, "payment_method": card,
            "invoice_settings": {"default_payment_method": card}})), "create customer")["id"]
        sub = _ok((yield ("POST", "/v1/subscriptions", {"customer": customer, "items": [{"price": self.price}]})), "create subscription")
        return customer, card, sub["id"]

    def _new_card(self, i: int, number: str) -> Steps[str]:
        """A card with subscriber i's expiry. Stripe checks a new card's expiry against the real date, not the
        cohort's clock, so a card that expires before today (in the simulated past) is created with a later
        expiry and then given its own through PaymentMethod update, as a customer's card details are."""
        exp_year, exp_month = self.card_expiry[i]
        today = time.gmtime()
        valid_now = (exp_year, exp_month) >= (today.tm_year, today.tm_mon)
        card = _ok((yield ("POST", "/v1/payment_methods", {"type": "card", "card": {
            "number": number, "exp_month": exp_month if valid_now else 12, "exp_year": exp_year if valid_now else today.tm_year + 10,
        }})), "create card")["id"]
        if not valid_now:
            _ok((yield ("POST", f"/v1/payment_methods/{card}", {"card": {"exp_month": exp_month, "exp_year": exp_year}})), "card expiry")
        return card

    def _attach_as_default(self, i: int, card: str) -> Steps[None]:
        _ok((yield ("POST", f"/v1/payment_methods/{card}/attach", {"customer": self.customers[i]})), "attach card")
        yield from self._make_default(i, card)

    def _make_default(self, i: int, card: str) -> Steps[None]:
        _ok((yield ("POST", f"/v1/customers/{self.customers[i]}", {"invoice_settings": {"default_payment_method": card}})),
            "set default card")

    def _card_declines(self, i: int) -> Steps[None]:
        """Subscriber i's card starts declining. Stripe's test cards keep their number's behaviour, so the customer's
        default becomes a declining test card with the same expiry (one per subscriber and card, attached once)."""
        card = self.declining.get(i)
        if card is None:
            card = self.declining[i] = yield from self._new_card(i, DECLINING_CARD)
            yield from self._attach_as_default(i, card)
        else:
            yield from self._make_default(i, card)

    def _card_works(self, i: int) -> Steps[None]:
        """The card works again: the subscriber's working card is the default again."""
        yield from self._make_default(i, self.cards[i])

    def _leave(self, i: int) -> Steps[None]:
        _ok((yield ("POST", f"/v1/subscriptions/{self.subs[i]}", {"cancel_at_period_end": True})), "cancel subscription")

    def _update_card(self, i: int) -> Steps[int]:
        """Subscriber i's new card after a mail: the default from now on, and it pays what is open; returns invoices paid."""
        self.card_expiry[i] = (self.new_card_year, 12)
        self.declining.pop(i, None)  # a later decline is of the new card
        card = yield from self._new_card(i, WORKING_CARD)
        yield from self._attach_as_default(i, card)
        self.cards[i] = card
        invoices: list[dict[str, Any]] = []
        params: dict[str, Any] = {"subscription": self.subs[i], "limit": 100}
        while True:  # the subscription's invoices, every page
            page = _ok((yield ("GET", "/v1/invoices", params)), "list invoices")
            invoices += page["data"]
            if not page.get("has_more") or not page["data"]:
                break
            params = {**params, "starting_after": page["data"][-1]["id"]}
        paid = 0
        for inv in invoices:
            if inv["status"] in ("open", "uncollectible"):
                result = yield ("POST", f"/v1/invoices/{inv['id']}/pay", {})
                if result.ok:
                    paid += 1
                elif result.status != 402:  # a decline is the card's answer, anything else the driver's failure
                    _ok(result, "pay invoice")
        return paid

    def adopt(self, roster: dict[str, Any]) -> None:
        """Take over a cohort signed up before (a copy of the sign-up's ledger)."""
        self.clock, self.price = roster["clock"], roster["price"]
        self.customers, self.cards, self.subs = dict(roster["customers"]), dict(roster["cards"]), dict(roster["subs"])
        self.index = {c: i for i, c in self.customers.items()}
        start = datetime.fromtimestamp(self.plan.start, UTC)
        self.card_expiry = {i: expiry(start.year, start.month, self.cohort.expiry_offset[i]) for i in self.members}

    def configure(self) -> None:
        """This policy's dunning settings on the cohort's clock, where the gateway takes them (a checkout-harness
        gateway); elsewhere the cohort is billed under the target's own settings, and the result says so."""
        schedule = ",".join(f"{d:g}" for d in self.policy.retry_days) or "none"
        result = self.api.post(SETTINGS, {
            "test_clock": self.clock, "retry_schedule": schedule, "after_retries": self.policy.after_retries,
            "notices": {k: self.policy.notices for k in ("upcoming_renewal", "payment_failed", "card_expiring")},
        })
        if result.status in (404, 405):
            self.dunning = f"the target's own (POST {SETTINGS} answered {result.status})"
        else:
            _ok(result, "billing settings")
            self.dunning = "as the policy says"
        start = datetime.fromtimestamp(self.plan.start, UTC)
        self.new_card_year = start.year + (self.plan.months + 11) // 12 + 3  # a replacement card outlives the simulation
        self.book = BillingBook(self.api, self.clock, set(self.customers.values()))

    # -- the days ----------------------------------------------------------------------------

    def _act(self, day: int, month: int, renewal_day: bool) -> None:
        """What subscribers do on this day, before the clock moves past it: cards that start or stop declining, then
        card updates, then cancellations. One batch of requests for the day (a subscriber's own steps in that order,
        different subscribers' at the same time), so that the gateway commits more of them together."""
        steps: dict[int, list[Steps[Any]]] = defaultdict(list)  # subscriber -> what they do today, in order
        for i in [i for i, end in self.spell_end.items() if end <= day]:
            del self.spell_end[i]
            if i not in self.ended:
                steps[i].append(self._card_works(i))
        if renewal_day and month > 0:
            for i in self._members_where(self.cohort.declines[:, month]):
                if i in self.ended:
                    continue
                self.spell_end[i] = day + int(self.cohort.spell_days[i, month]) * DAY if self.cohort.spell_days[i, month] < NEVER else 2**62
                steps[i].append(self._card_declines(i))
                self.counters["cards_started_declining"] += 1
        updates = sorted(self.updates_due.pop(day, set()) - self.ended)
        update_at: dict[int, int] = {}  # subscriber -> which of their steps today is the card update
        for i in updates:
            update_at[i] = len(steps[i])
            steps[i].append(self._update_card(i))
        leaves = [i for i in self.leaves_due.pop(day, []) if i not in self.ended]
        for i in leaves:
            steps[i].append(self._leave(i))
        done = dict(zip(steps, self._in_steps([_in_turn(todo) for todo in steps.values()])))
        for i in updates:
            self.spell_end.pop(i, None)
            self.counters["card_updates"] += 1
            self.counters["invoices_paid_on_update"] += done[i][update_at[i]]
        self.counters["cancellations_requested"] += len(leaves)

    def _members_where(self, column: Any) -> list[int]:
        """The members whose entry in a column of the cohort's draws (one entry per subscriber) is set."""
        lo = self.members.start
        return [lo + int(i) for i in column[lo:self.members.stop].nonzero()[0]]

    def _plan_month(self, month: int, day0: int) -> None:
        for i in self._members_where(self.cohort.leaves[:, month]):
            self.leaves_due[day0 + int(self.cohort.leave_day[i, month]) * DAY].append(i)

    def _events(self, types: Sequence[str], since: int, until: int) -> list[dict[str, Any]]:
        """The events of `types` created in (since, until], newest first: one list read for all of them (`types[]`;
        the driver always asks for the same types). Once one was read, a read starts after the newest event read so
        far (`ending_before`, pages walked towards the newest), so that the gateway looks through the new events
        only, not through every earlier one each day. The same events: every earlier one was created by the end of
        an earlier day (all carry the clock's time)."""
        params: dict[str, Any] = {"types": list(types), "created": {"gt": since, "lte": until}, "limit": 100}
        if self.event_cursor is None:
            events = list(self.api.list_all("/v1/events", params))
        else:
            cursor = self.event_cursor
            pages: list[list[dict[str, Any]]] = []
            while True:
                body = _ok(self.api.get("/v1/events", {**params, "ending_before": cursor}), "list events")
                if body["data"]:
                    pages.append(body["data"])  # each page newest first; the pages come oldest first
                    cursor = body["data"][0]["id"]
                if not body["has_more"] or not body["data"]:
                    break
            events = [event for page in reversed(pages) for event in page]
        if events:
            self.event_cursor = events[0]["id"]
        return events

    def _read_events(self, since: int, until: int, month: int) -> None:
        """Mails the customers got (events; acted on when this policy sends notices; renewal notices counted for the
        month's summary) and subscriptions that ended."""
        events: dict[str, list[dict[str, Any]]] = {t: [] for t in DAILY_EVENTS}
        for event in self._events(DAILY_EVENTS, since, until):
            events[event["type"]].append(event)  # each type's newest first
        for event in events["customer.subscription.deleted"]:
            i = self.index.get(event["data"]["object"]["customer"])
            if i is not None:
                self.ended.add(i)
        failed, expiring = events["invoice.payment_failed"], events["customer.source.expiring"]
        self.book.count_notices(events["invoice.upcoming"] + failed + expiring)
        if not self.policy.notices:
            return
        for event in failed:
            i = self.index.get(event["data"]["object"]["customer"])
            if i is None or i in self.ended or (i, month) in self.decided:
                continue
            self.decided.add((i, month))  # one decision per month, at the first payment-failed mail
            self.counters["payment_failed_mails"] += 1
            if self.cohort.updates_after_failed[i, month]:
                self.updates_due[_midnight(event["created"]) + (1 + int(self.cohort.update_delay[i, month])) * DAY].add(i)
        for event in expiring:
            i = self.index.get(event["data"]["object"].get("customer"))
            if i is None or i in self.ended:
                continue
            self.counters["card_expiring_mails"] += 1
            if self.cohort.updates_after_expiry[i]:
                self.updates_due[_midnight(event["created"]) + (1 + int(self.cohort.update_delay[i, month])) * DAY].add(i)

    def _next_day(self, day: int, end: int) -> int:
        """The day the clock advances to: the next one, or with a policy that sends no notices (no event then leads a
        subscriber to act), the next day on which one acts (a card recovers, a cancellation) or the month's end, in one
        advance: the gateway runs the same tasks in the same order, and the events of the days between are read together
        before anyone acts again, so the simulation is the same with fewer advances and event reads."""
        if self.policy.notices:
            return min(day + DAY, end)
        due = [end, *(d for d in self.spell_end.values() if d > day), *(d for d in self.leaves_due if d > day),
               *(d for d in self.updates_due if d > day)]
        return min(due)

    def _advance(self, frozen_time: int) -> None:
        """The cohort's clock moved to `frozen_time`; Stripe answers while the clock is still advancing, so its
        status is polled until ready (a checkout-harness gateway answers once it is)."""
        path = f"/v1/test_helpers/test_clocks/{self.clock}"
        clock = _ok(self.api.post(f"{path}/advance", {"frozen_time": frozen_time}), "advance")
        wait = 0.05
        while clock.get("status") == "advancing":
            time.sleep(wait)
            wait = min(wait * 2, 1.0)
            clock = _ok(self.api.get(path), "test clock status")
        if clock.get("status") not in (None, "ready"):
            raise DriverError(f"test clock {self.clock}: status {clock.get('status')} after advancing to {frozen_time}")

    def _summary(self, now: int, reconcile: bool = False) -> dict[str, Any]:
        """The cohort's billing so far, read from the lists (book.py); the notices were counted as the days' events were read."""
        return self.book.summary(now, reconcile)

    def run(self, roster: dict[str, Any] | None = None) -> dict[str, Any]:
        started = time.perf_counter()
        if roster is None:
            self.sign_up()
        else:
            self.adopt(roster)
        self.configure()
        setup_s = time.perf_counter() - started
        boundaries = month_starts(self.plan.start, self.plan.months)
        now = self.plan.start + RENEWAL_HOUR
        previous: dict[str, Any] = {}  # month 1 includes the sign-up payments
        rows: list[dict[str, Any]] = []
        with open(self.out / "months.jsonl", "wb") as months_file:
            for month in range(self.plan.months):
                day, end = boundaries[month], boundaries[month + 1]
                self._plan_month(month, day)
                while day < end:
                    self._act(day, month, renewal_day=(day == boundaries[month]))
                    following = self._next_day(day, end)
                    target = following if following > now else now + 1
                    self._advance(target)
                    self._read_events(now, target, month)
                    now = target
                    day = following
                current = self._summary(now)
                row = month_row(month, previous, current, len(self.members))
                rows.append(row)
                months_file.write(orjson.dumps(row) + b"\n")
                months_file.flush()
                previous = current
                self.progress({"phase": "billing", "month": month + 1, "months": self.plan.months,
                               "active": row["active_end"], "mrr": row["mrr_end"]})
        final = self._summary(now, reconcile=True)
        elapsed = time.perf_counter() - started
        return {"policy": self.policy.name, "retry_days": list(self.policy.retry_days), "after_retries": self.policy.after_retries,
                "notices": self.policy.notices, "dunning_settings": self.dunning, "months": rows, "final": final, "driver": dict(self.counters),
                "seconds": round(elapsed, 2), "setup_seconds": round(setup_s, 2)}


def _in_turn(todo: list[Steps[Any]]) -> Steps[list[Any]]:
    """A subscriber's steps of the day one after the other; returns what each returned."""
    done = []
    for steps in todo:
        done.append((yield from steps))
    return done


def _midnight(ts: int) -> int:
    return ts - ts % DAY


def _n(summary: dict[str, Any], *path: str) -> float:
    node: Any = summary
    for key in path:
        node = (node or {}).get(key, 0)
    return node or 0


def month_row(month: int, before: dict[str, Any], after: dict[str, Any], cohort: int) -> dict[str, Any]:
    """One month from two summaries (cumulative counters differenced)."""
    live = ("active", "past_due", "trialing")
    invoice_paid = sum(_n(after, "invoices", s, "amount_paid") for s in ("paid",)) - sum(_n(before, "invoices", s, "amount_paid") for s in ("paid",))
    return {
        "month": month + 1,
        "active_end": int(sum(_n(after, "subscriptions", s) for s in live)),
        "past_due_end": int(_n(after, "subscriptions", "past_due")),
        "unpaid_end": int(_n(after, "subscriptions", "unpaid")),
        "involuntary_churn": int(_n(after, "canceled_by_reason", "payment_failed") - _n(before, "canceled_by_reason", "payment_failed")
                                 + _n(after, "subscriptions", "unpaid") - _n(before, "subscriptions", "unpaid")),
        "voluntary_churn": int(_n(after, "canceled_by_reason", "cancellation_requested")
                               - _n(before, "canceled_by_reason", "cancellation_requested")),
        "revenue": int(invoice_paid),
        "recovered_invoices": int(_n(after, "recovered", "invoices") - _n(before, "recovered", "invoices")),
        "recovered_revenue": int(_n(after, "recovered", "amount") - _n(before, "recovered", "amount")),
        "failed_invoices": int(_n(after, "recovered", "failed_invoices") - _n(before, "recovered", "failed_invoices")),
        "mrr_end": round(sum(_n(after, "mrr", s) for s in ("active", "past_due", "trialing")), 2),
        "cohort": cohort,
    }
