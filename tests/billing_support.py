"""What the billing property tests share: a subscriber joining a clock, and the customer's own actions
(a card that starts or stops declining, a new card, paying what is open)."""

from __future__ import annotations

from hypothesis import strategies as st

from mock_gateway.core import customers, payment_methods
from mock_gateway.core.billing import bulk, invoices, subscriptions
from mock_gateway.core.billing.clocked import clocked
from mock_gateway.core.context import Ctx
from mock_gateway.core.errors import StripeError

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
    return {"customer": cus["id"], "pm": pm["id"], "sub": sub["id"]}


def customer_action(ctx: Ctx, op: str, person: dict[str, str]) -> None:
    """One of CUSTOMER_ACTIONS, inside the caller's transaction."""
    if op in ("decline", "recover"):
        bulk.set_behaviour(ctx, ctx.store.get(person["pm"]), {"outcome": "decline" if op == "decline" else "succeed"})
    elif op == "new_card":
        bulk.update_cards(ctx, {"updates": [{"customer": person["customer"], "card": {"exp_month": 12, "exp_year": 2030}}]})
    elif op == "pay":
        for inv in invoices.open_invoices(ctx, person["sub"]):
            try:
                invoices.pay(clocked(ctx, person["customer"]), inv, {})
            except StripeError as err:
                assert err.commit  # a decline is recorded, nothing else may fail
    else:
        raise ValueError(f"not a customer action: {op}")
