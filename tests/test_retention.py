"""Idempotency-Key records expire after 24 h and events after 30 days of the gateway's clock (store/retention.py).

In-process: the gateway's pipeline with an injected clock on a real SQLite file, and the pruner's pass
run directly (the thread that runs it in a server only repeats it).
"""

from __future__ import annotations

import os
import sqlite3

import orjson
import pytest

from mock_gateway.api.forms import parse_form
from mock_gateway.api.gateway import Gateway
from mock_gateway.app import ROUTES
from mock_gateway.store.db import Store
from mock_gateway.store.retention import (
    EVENT_SECONDS,
    IDEMPOTENCY_SECONDS,
    Pruner,
    Retention,
)

CREATE = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/payment_intents")
CLOCKS = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/test_helpers/test_clocks")
ADVANCE = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/test_helpers/test_clocks/{id}/advance")
T0 = 1_800_000_000


class Clock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def env(tmp_path):
    clock = Clock()
    store = Store(tmp_path / "ledger.sqlite3", background_checkpoints=False)
    gateway = Gateway(store, clock)
    pruner = Pruner(store.path, clock, Retention())
    conn = sqlite3.connect(store.path, isolation_level=None)
    lock = os.open(store.path + "-lock", os.O_RDWR)
    yield gateway, clock, lambda: pruner.prune_pass(conn, lock)
    os.close(lock)
    conn.close()
    store.close()


def _create(gateway: Gateway, key: str, amount: int = 1000) -> tuple[int, bytes, bool]:
    return gateway.execute(CREATE, "sk_test_retention", parse_form(f"amount={amount}&currency=jpy".encode()), {}, key,
                           "req_retention", "http://gw")


def _count(gateway: Gateway, sql: str) -> int:
    return gateway.store.conn.execute(sql).fetchone()[0]


def test_keys_expire_after_24_hours_and_events_after_30_days(env):
    gateway, clock, prune = env
    status, body, replayed = _create(gateway, "old")
    assert status == 200 and not replayed
    prune()  # the mark: what is stored by now
    clock.now += 10
    _create(gateway, "newer")

    clock.now = T0 + IDEMPOTENCY_SECONDS - 1
    prune()
    assert _create(gateway, "old") == (status, body, True)  # still replayed a second before 24 h

    clock.now = T0 + IDEMPOTENCY_SECONDS
    prune()
    status2, body2, replayed2 = _create(gateway, "old", amount=2000)  # expired: the key is free again
    assert status2 == 200 and not replayed2 and body2 != body
    assert _create(gateway, "newer")[2] is True  # stored after the mark: kept until its own 24 h
    events = _count(gateway, "SELECT count(*) FROM objects WHERE type = 'event'")
    assert events >= 3

    clock.now = T0 + EVENT_SECONDS
    prune()
    left = _count(gateway, "SELECT count(*) FROM objects WHERE type = 'event'")
    assert 0 < left < events  # the first intent's event went, later ones stay
    assert _count(gateway, "SELECT count(*) FROM objects WHERE type = 'payment_intent'") == 3  # objects stay


def test_a_test_clocks_time_does_not_expire_keys(env):
    gateway, clock, prune = env
    first = _create(gateway, "kept")
    prune()
    _, body, _ = gateway.execute(CLOCKS, "sk_test_retention", parse_form(f"frozen_time={T0}".encode()), {}, None,
                                      "req_clock", "http://gw")
    clock_id = orjson.loads(body)["id"]
    frozen = T0 + 60 * 86400  # the test clock moves 60 days; the gateway's clock an hour
    gateway.execute(ADVANCE, "sk_test_retention", parse_form(f"frozen_time={frozen}".encode()), {"id": clock_id}, None,
                    "req_advance", "http://gw")
    clock.now += 3600
    prune()
    assert _create(gateway, "kept") == (first[0], first[1], True)
    assert _count(gateway, "SELECT count(*) FROM objects WHERE type = 'event' AND kind = 'test_helpers.test_clock.advancing'") == 1


def test_the_pruner_thread_prunes_in_the_background(tmp_path):
    clock = Clock()
    store = Store(tmp_path / "ledger.sqlite3", background_checkpoints=False)
    gateway = Gateway(store, clock)
    try:
        for i in range(30):
            _create(gateway, f"k{i}")
        pruner = Pruner(store.path, clock, Retention(idempotency_seconds=60, event_seconds=120), interval=0.05, chunk=7)
        pruner.start()
        try:
            while pruner.passes < 1:
                pruner.join(0.01)
            clock.now += 121
            passes = pruner.passes
            while pruner.passes < passes + 2:
                pruner.join(0.01)
        finally:
            pruner.stop()
        assert _count(gateway, "SELECT count(*) FROM idempotency") == 0
        assert _count(gateway, "SELECT count(*) FROM objects WHERE type = 'event'") == 0
        assert pruner.deleted == 60  # 30 records, 30 events, in chunks of 7
    finally:
        store.close()
