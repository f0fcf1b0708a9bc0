"""Group commit: writes that arrive together share one transaction, and stay each other's equals.

Driven in-process (Gateway.commit with the real Store on a file), so that which requests form a
group is certain: those submitted in the same turn of the event loop.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager

import orjson
import pytest

import mock_gateway.app  # noqa: F401  (registers every API route)
from mock_gateway.api.forms import parse_form
from mock_gateway.api.gateway import Gateway
from mock_gateway.api.registry import Route
from mock_gateway.app import ROUTES
from mock_gateway.core.context import Ctx
from mock_gateway.core.errors import StripeError
from mock_gateway.core.ids import new_id
from mock_gateway.store.db import Store

CREATE = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/payment_intents")
GOOD = "amount=1000&currency=jpy&payment_method=pm_card_visa"
# Fails after writing: the PaymentMethod from payment_method_data is stored, then its type is refused.
FAILS_PART_WAY = ("amount=1000&currency=jpy&payment_method_types[]=konbini&payment_method_data[type]=card"
                  "&payment_method_data[card][number]=4242424242424242&payment_method_data[card][exp_month]=12"
                  "&payment_method_data[card][exp_year]=2040")


@pytest.fixture()
def gateway(tmp_path):
    store = Store(tmp_path / "ledger.sqlite3")
    gateway = Gateway(store)
    gateway.transactions = 0  # type: ignore[attr-defined]
    opened = store.transaction

    @contextmanager
    def counted(**options):
        if not store._depth:
            gateway.transactions += 1  # type: ignore[attr-defined]
        with opened(**options):
            yield

    store.transaction = counted  # type: ignore[method-assign]
    yield gateway
    store.close()


def _submit_together(gateway: Gateway, bodies_and_keys: list[tuple[str, str]]) -> list:
    async def run() -> list:
        jobs = [gateway.prepare(CREATE, "sk_test_group", parse_form(body), {}, key, f"req_{i}", "http://gw")
                for i, (body, key) in enumerate(bodies_and_keys)]
        return await asyncio.gather(*(gateway.commit(job) for job in jobs), return_exceptions=True)

    # in a thread of its own: a session-wide Playwright (sync API) may own this thread's event loop
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _count(gateway: Gateway, object_type: str) -> int:
    return gateway.store.conn.execute("SELECT count(*) FROM objects WHERE type = ?", (object_type,)).fetchone()[0]


def test_a_group_is_one_transaction(gateway):
    answers = _submit_together(gateway, [(GOOD, f"k{i}") for i in range(5)])
    assert [a[0] for a in answers] == [200] * 5
    assert gateway.transactions == 1
    assert _count(gateway, "payment_intent") == 5


def test_a_later_request_sees_an_earlier_one_in_the_same_group(gateway):
    first, again = _submit_together(gateway, [(GOOD, "same-key"), (GOOD, "same-key")])
    assert first == (first[0], first[1], False) and again == (first[0], first[1], True)  # replayed, byte for byte
    assert _count(gateway, "payment_intent") == 1


def test_a_request_failing_part_way_undoes_only_its_own_writes(gateway):
    answers = _submit_together(gateway, [(GOOD, "a"), (FAILS_PART_WAY, "b"), (GOOD, "c")])
    assert answers[0][0] == 200 and answers[2][0] == 200
    assert isinstance(answers[1], StripeError) and answers[1].status == 400 and answers[1].param == "payment_method"
    assert _count(gateway, "payment_intent") == 2
    assert _count(gateway, "payment_method") == 2  # the failed request's card is not left behind
    keys = {row[0] for row in gateway.store.conn.execute("SELECT key FROM idempotency")}
    assert keys == {"a", "c"}  # a failure is not recorded: the key can be used again
    # one write transaction: the group was prepared outside the writer lock, and the failed request's writes were cut
    # from what it recorded (no rollback, no second run)
    assert gateway.transactions == 1


def test_a_lone_failing_request_is_rolled_back(gateway):
    (answer,) = _submit_together(gateway, [(FAILS_PART_WAY, "alone")])
    assert isinstance(answer, StripeError) and answer.status == 400
    # prepared outside the writer lock, it left nothing to write: no write transaction at all
    assert _count(gateway, "payment_method") == 0 and gateway.transactions == 0


def _counting_route(path: str) -> Route:
    """A request that reads with SQL of its own (which a group prepared outside the lock cannot answer): it stores
    how many PaymentIntents it saw."""

    def handler(ctx: Ctx, p: dict) -> dict:
        seen = ctx.store.conn.execute("SELECT count(*) FROM objects WHERE type = 'payment_intent'").fetchone()[0]
        obj = {"id": new_id("cnt"), "object": "count", "seen": seen}
        ctx.store.insert(obj)
        return obj

    return Route("POST", path, handler, {})


def test_a_request_that_cannot_be_prepared_runs_under_the_lock_after_the_others(gateway):
    counting = _counting_route("/v1/test_counting")

    async def run() -> list:
        jobs = [gateway.prepare(CREATE, "sk_test_group", parse_form(GOOD), {}, "a", "req_a", "http://gw"),
                gateway.prepare(counting, "sk_test_group", {}, {}, "n", "req_n", "http://gw"),
                gateway.prepare(CREATE, "sk_test_group", parse_form(GOOD), {}, "c", "req_c", "http://gw")]
        return await asyncio.gather(*(gateway.commit(job) for job in jobs), return_exceptions=True)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        answers = pool.submit(asyncio.run, run()).result()
    assert [a[0] for a in answers] == [200, 200, 200]
    assert orjson.loads(answers[1][1])["seen"] == 2  # it ran after both prepared requests, in the same transaction
    assert gateway.transactions == 1
    assert _count(gateway, "payment_intent") == 2 and _count(gateway, "count") == 1
    keys = {row[0] for row in gateway.store.conn.execute("SELECT key FROM idempotency")}
    assert keys == {"a", "n", "c"}
