"""What the billing property tests share: a subscriber joining a clock, and the customer's own actions
(a card that starts or stops declining, a new card, paying what is open), done as the cohort
simulation does them through the API (harness/churn/driver.py): a declining test card made the
default, a working one when it recovers, a new card that pays what is open."""

from __future__ import annotations

import time

from hypothesis import strategies as st

from mock_gateway.core import clock, customers, payment_methods
from mock_gateway.core.billing import dunning, invoices, subscriptions
from mock_gateway.core.billing.clocked import clocked
from mock_gateway.core.context import Ctx
from mock_gateway.core.errors import StripeError
from mock_gateway.core.tasks import TASKS

clock.install(TASKS)  # what a Gateway installs: these tests drive the domain without one

CUSTOMER_ACTIONS = ("decline", "recover", "new_card", "pay")


def programs(more: tuple[str, ...], people: int) -> st.SearchStrategy[list[tuple[str, int]]]:
    """Random sequences of (op, n): clock advances of n days, and customer actions (then `more` ops) on person n."""
    return st.lists(st.one_of(st.tuples(st.just("advance"), st.integers(1, 40)),
                              *(st.tuples(st.just(op), st.integers(0, people - 1)) for op in CUSTOMER_ACTIONS + more)),
                    min_size=1, max_size=25)


def join(ctx: Ctx, i: int, clock_id: str, price_id: str) -> dict[str, str]:
    """Customer i on the clock, with a card as default and a subscription to the price."""
    pm = payment_methods.create(ctx, {"type": "card", "card": {"number": "4242424242424242", "exp_month": 3, "exp_year": 2026}})
    cus = customers.create(ctx, {"email": f"p{i}@x.jp", "test_clock": clock_id, "payment_method": pm["id"],
                                 "invoice_settings": {"default_payment_method": pm["id"]}})
    sub = subscriptions.create(clocked(ctx, cus["id"]), {"customer": cus["id"], "items": [{"price": price_id}]})
    return {"customer": cus["id"], "pm": pm["id"], "sub": sub["id"], "exp": "3/2026"}


def customer_action(ctx: Ctx, op: str, person: dict[str, str]) -> None:
    """One of CUSTOMER_ACTIONS, inside the caller's transaction."""
    if op in ("decline", "recover"):
        # 4000000000000341 (pm_card_chargeCustomerFail) attaches, then declines every charge; the other
        # decline cards fail at attach already, as attaching verifies the card (core/methods/records.py)
        _switch_card(ctx, person, "4000000000000341" if op == "decline" else "4242424242424242", person["exp"])
    elif op == "new_card":
        _switch_card(ctx, person, "4242424242424242", "12/2030")
        if ctx.store.get(person["sub"])["status"] not in subscriptions.ENDED:
            _pay_open(ctx, person)
    elif op == "pay":
        _pay_open(ctx, person)
    else:
        raise ValueError(f"not a customer action: {op}")


def _switch_card(ctx: Ctx, person: dict[str, str], number: str, expiry: str) -> None:
    """A new card attached and made the customer's default (its expiry `M/YYYY` as the card it replaces, or a new one;
    given by an update, as a card created after the clock passed it would be refused)."""
    cctx = clocked(ctx, person["customer"])
    month, year = (int(x) for x in expiry.split("/"))
    later = time.gmtime(cctx.now).tm_year + 10
    pm = payment_methods.create(cctx, {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": later}})
    payment_methods.update(cctx, pm, {"card": {"exp_month": month, "exp_year": year}})
    payment_methods.attach(cctx, pm, person["customer"])
    customers.update(cctx, ctx.store.get(person["customer"]), {"invoice_settings": {"default_payment_method": pm["id"]}})
    person["pm"], person["exp"] = pm["id"], expiry


def _pay_open(ctx: Ctx, person: dict[str, str]) -> None:
    for inv in dunning.open_invoices(ctx, person["sub"]):
        try:
            invoices.pay(clocked(ctx, person["customer"]), inv, {})
        except StripeError as err:
            assert err.commit  # a decline is recorded, nothing else may fail

