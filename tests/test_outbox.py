"""The one outbox under webhooks and mail (mock_gateway/outbox.py): cursor, lease, retry schedule."""

from __future__ import annotations

from mock_gateway.core.context import Ctx
from mock_gateway.outbox import Outbox
from mock_gateway.store.db import Store

DDL = """
CREATE TABLE IF NOT EXISTS test_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, lease_until REAL NOT NULL DEFAULT 0, note TEXT
);
"""
BOX = Outbox(table="test_queue", cursor="test.cursor", ddl=DDL, done="sent")


def _emit(store: Store, n: int) -> None:
    with store.transaction():
        ctx = Ctx(store, now=100)
        for i in range(n):
            ctx.emit("customer.updated", {"id": f"cus_{i}", "object": "customer"})


def _queue(store: Store, now: float) -> int:
    with store.transaction():
        rows = BOX.events_after(store, BOX.position(store), 1000)
        for _seq, event_id, _kind in rows:
            store.conn.execute("INSERT INTO test_queue (event, state, next_attempt_at) VALUES (?, 'pending', ?)", (event_id, now))
        BOX.advance(store, rows)
    return len(rows)


def test_the_cursor_starts_at_the_latest_event_and_moves_past_what_was_queued() -> None:
    store = Store(":memory:")
    _emit(store, 3)
    BOX.start_at_latest(store)
    assert _queue(store, 0) == 0  # no backlog
    _emit(store, 2)
    assert _queue(store, 0) == 2 and _queue(store, 0) == 0
    BOX.start_at_latest(store)  # already set: kept
    _emit(store, 1)
    assert _queue(store, 0) == 1


def test_a_claimed_row_is_leased_and_a_refused_one_canceled() -> None:
    store = Store(":memory:")
    BOX.start_at_latest(store)
    _emit(store, 3)
    _queue(store, 10)
    assert BOX.claim(store, 5, 10, 30, "id, event") == []  # not due yet
    first = BOX.claim(store, 10, 2, 30, "id, event")
    assert len(first) == 2
    assert BOX.claim(store, 11, 10, 30, "id, event", lambda row: None) == []  # the third: canceled
    assert BOX.counts(store) == {"pending": 2, "canceled": 1}
    assert BOX.claim(store, 20, 10, 30, "id, event") == []  # leased until 40
    assert [r[0] for r in BOX.claim(store, 41, 10, 30, "id, event")] == [r[0] for r in first]  # lease expired: again


def test_settle_follows_the_retry_schedule_then_fails() -> None:
    store = Store(":memory:")
    BOX.start_at_latest(store)
    _emit(store, 2)
    _queue(store, 0)
    (a,), (b,) = BOX.claim(store, 0, 2, 30, "id")
    schedule = (5.0, 50.0)
    with store.transaction():
        assert BOX.settle(store, a, 1, False, schedule, 100.0, note="first") == "pending"
        assert BOX.settle(store, b, 1, True, schedule, 100.0, note="ok") == "sent"
    row = store.conn.execute("SELECT state, attempts, next_attempt_at, lease_until, note FROM test_queue WHERE id = ?", (a,)).fetchone()
    assert row == ("pending", 1, 105.0, 0, "first")
    with store.transaction():
        assert BOX.settle(store, a, 2, False, schedule, 105.0) == "pending"
        assert BOX.settle(store, a, 3, False, schedule, 155.0) == "failed"
    assert BOX.counts(store) == {"failed": 1, "sent": 1}
