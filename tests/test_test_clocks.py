"""Test clocks through the official stripe SDK, and the scheduler of due work under them: konbini
vouchers, QR codes and uncaptured authorisations expire by the clock, not by real time."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from methods_support import env, event_types, sdk  # noqa: F401

from mock_gateway.core import clock
from mock_gateway.core.context import Ctx
from mock_gateway.store.db import Store

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC


def test_clock_crud_and_advance(sdk):
    clk = sdk.test_helpers.TestClock.create(frozen_time=T0, name="sale night")
    assert clk.object == "test_helpers.test_clock" and clk.status == "ready" and clk.frozen_time == T0
    advanced = sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 3600)
    assert advanced.status == "ready" and advanced.frozen_time == T0 + 3600
    assert sdk.test_helpers.TestClock.retrieve(clk.id).frozen_time == T0 + 3600
    assert clk.id in [c.id for c in sdk.test_helpers.TestClock.list(limit=100).data]
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0)
    assert err.value.param == "frozen_time"
    cus = sdk.Customer.create(email="clock@example.jp", test_clock=clk.id)
    assert cus.test_clock == clk.id
    assert sdk.test_helpers.TestClock.delete(clk.id).deleted is True
    with pytest.raises(sdk.InvalidRequestError):
        sdk.Customer.retrieve(cus.id)  # a clock's customers go with it, as on Stripe


def test_customer_with_unknown_clock_is_refused(sdk):
    with pytest.raises(sdk.InvalidRequestError) as err:
        sdk.Customer.create(test_clock="clock_nope")
    assert err.value.param == "test_clock"


def _clock_customer(sdk, start: int = T0):
    clk = sdk.test_helpers.TestClock.create(frozen_time=start)
    return clk, sdk.Customer.create(email="c@example.jp", test_clock=clk.id)


def _konbini(sdk, customer: str, email: str):
    return sdk.PaymentIntent.create(amount=1980, currency="jpy", customer=customer, payment_method_types=["konbini"],
                                    confirm=True, payment_method_data={"type": "konbini", "billing_details": {"name": "花子", "email": email}})


def test_konbini_is_paid_three_minutes_later_by_the_clock(sdk):
    clk, cus = _clock_customer(sdk)
    pi = _konbini(sdk, cus.id, "hanako@example.jp")
    assert pi.next_action.konbini_display_details.expires_at > T0  # computed from the clock, not real time
    time.sleep(0.3)  # real-time sweeps do not touch clock work
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 179)
    assert sdk.PaymentIntent.retrieve(pi.id).status == "requires_action"
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 181)
    paid = sdk.PaymentIntent.retrieve(pi.id)
    assert paid.status == "succeeded"
    succeeded = sdk.Event.list(object_id=pi.id, type="payment_intent.succeeded").data[0]
    assert succeeded.created == T0 + 180  # the event carries the clock's time


def test_unpaid_konbini_voucher_expires_at_its_expiry(sdk):
    clk, cus = _clock_customer(sdk)
    pi = _konbini(sdk, cus.id, "hanako.fill_never@example.jp")
    expiry = pi.next_action.konbini_display_details.expires_at
    assert expiry == T0 + 4 * 86400 - 9 * 3600 - 1  # 23:59:59 JST three days on
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=expiry - 1)
    assert sdk.PaymentIntent.retrieve(pi.id).status == "requires_action"
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=expiry + 1)
    assert sdk.PaymentIntent.retrieve(pi.id).status == "canceled"


def test_qr_code_expires_by_the_clock(sdk):
    clk, cus = _clock_customer(sdk)
    pi = sdk.PaymentIntent.create(amount=900, currency="jpy", customer=cus.id, payment_method_types=["paypay"], confirm=True,
                                  payment_method_data={"type": "paypay"}, payment_method_options={"paypay": {"expires_after_seconds": 300}})
    assert pi.next_action.paypay_display_qr_code.expires_at == T0 + 300
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 301)
    after = sdk.PaymentIntent.retrieve(pi.id)
    assert after.status == "requires_payment_method" and after.last_payment_error.code == "payment_intent_payment_attempt_expired"


@pytest.mark.parametrize("card, funding", [("pm_card_visa", "credit"), ("pm_card_visa_debit", "debit"),
                                           ("pm_card_mastercard_prepaid", "prepaid")])
def test_uncaptured_authorisation_expires_after_seven_days(sdk, card, funding):
    clk, cus = _clock_customer(sdk)
    pi = sdk.PaymentIntent.create(amount=5000, currency="jpy", customer=cus.id, payment_method=card, capture_method="manual",
                                  confirm=True, expand=["latest_charge"])
    assert pi.status == "requires_capture" and pi.latest_charge.payment_method_details.card.funding == funding
    assert pi.latest_charge.payment_method_details.card.capture_before == T0 + 7 * 86400
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 7 * 86400 - 1)
    assert sdk.PaymentIntent.retrieve(pi.id).status == "requires_capture"
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 7 * 86400)
    expired = sdk.PaymentIntent.retrieve(pi.id)
    assert expired.status == "canceled" and expired.cancellation_reason == "automatic"
    assert "charge.expired" in event_types(sdk, pi.latest_charge.id)


def test_captured_authorisation_does_not_expire(sdk):
    clk, cus = _clock_customer(sdk)
    pi = sdk.PaymentIntent.create(amount=5000, currency="jpy", customer=cus.id, payment_method="pm_card_visa",
                                  capture_method="manual", confirm=True)
    sdk.PaymentIntent.capture(pi.id)
    sdk.test_helpers.TestClock.advance(clk.id, frozen_time=T0 + 30 * 86400)
    assert sdk.PaymentIntent.retrieve(pi.id).status == "succeeded"


# -- the scheduler itself, in process ----------------------------------------------------------

ran: list[tuple[str, int, dict]] = []


def _record(ctx: Ctx, ref: str, data: dict) -> None:
    ran.append((ref, ctx.now, data))
    if data.get("again"):
        clock.schedule(ctx, "test.record", ref + "+", ctx.now + data["again"], data.get("clock"), {})


def _explode(ctx: Ctx, ref: str, data: dict) -> None:
    ctx.store.insert({"id": "obj_" + ref, "object": "thing", "created": ctx.now})
    raise RuntimeError("handler bug")


clock.install({"test.record": _record, "test.explode": _explode})


def _store_with_clock(start: int) -> tuple[Store, dict]:
    store = Store(":memory:")
    with store.transaction():
        clk = clock.create(Ctx(store, now=start), {"frozen_time": start})
    return store, clk


def test_advance_runs_due_work_in_order_including_work_it_schedules():
    ran.clear()
    store, clk = _store_with_clock(T0)
    with store.transaction():
        ctx = Ctx(store, now=T0)
        clock.schedule(ctx, "test.record", "b", T0 + 20, clk["id"])
        clock.schedule(ctx, "test.record", "a", T0 + 10, clk["id"], {"again": 5, "clock": clk["id"]})
        clock.schedule(ctx, "test.record", "later", T0 + 100, clk["id"])
        clock.schedule(ctx, "test.record", "moved", T0 + 1, clk["id"])
        clock.schedule(ctx, "test.record", "moved", T0 + 30, clk["id"])  # rescheduling moves it
        clock.advance(ctx, store.get(clk["id"]), T0 + 50)
    assert [(ref, now) for ref, now, _ in ran] == [("a", T0 + 10), ("a+", T0 + 15), ("b", T0 + 20), ("moved", T0 + 30)]
    assert clock.scheduled(store, "later") == [{"task": "test.record", "due": T0 + 100, "clock": clk["id"]}]


def test_real_time_sweep_leaves_clock_work_and_isolates_a_failing_handler():
    ran.clear()
    store, clk = _store_with_clock(T0)
    with store.transaction():
        ctx = Ctx(store, now=100)
        clock.schedule(ctx, "test.explode", "x", 50)
        clock.schedule(ctx, "test.record", "real", 60)
        clock.schedule(ctx, "test.record", "on-clock", 10, clk["id"])
        clock.schedule(ctx, "test.record", "future", 10_000)
    assert clock.run_due(store, 100) == 2
    assert [ref for ref, _, _ in ran] == ["real"]
    assert store.get("obj_x") is None  # the failing handler's writes were undone
    assert clock.scheduled(store, "x") == [] and clock.scheduled(store, "on-clock") != []


@settings(max_examples=30, deadline=None)
@given(dues=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=15), target=st.integers(min_value=1, max_value=1000))
def test_advance_runs_exactly_what_is_due(dues, target):
    ran.clear()
    store, clk = _store_with_clock(0)
    with store.transaction():
        ctx = Ctx(store, now=0)
        for i, due in enumerate(dues):
            clock.schedule(ctx, "test.record", f"t{i}", due, clk["id"])
        clock.advance(ctx, store.get(clk["id"]), target)
    expected = [(due, f"t{i}") for due, i in sorted((due, i) for i, due in enumerate(dues) if due <= target)]
    assert [(now, ref) for ref, now, _ in ran] == expected  # due order, then the order scheduled
    assert store.get(clk["id"])["frozen_time"] == target
