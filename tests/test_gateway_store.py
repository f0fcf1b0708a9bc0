"""The ledger's background checkpoints: the WAL stays short under steady writes, one checkpointer per file."""

from __future__ import annotations

import os
import time

from mock_gateway.store.db import Checkpointer, Store


def _write_for(store: Store, seconds: float, pause: float = 0.0002) -> int:
    """Steady writes, one small transaction after another, as requests make them."""
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        with store.transaction():
            store.insert({"id": f"obj_{time.monotonic_ns()}", "object": "thing", "created": n, "data": "x" * 1500})
        n += 1
        time.sleep(pause)
    return n


def test_wal_is_restarted_under_steady_writes(tmp_path):
    store = Store(tmp_path / "ledger.sqlite3", background_checkpoints=False)
    store.conn.execute("PRAGMA wal_autocheckpoint=0")
    # Without a checkpointer, the WAL holds every frame written: how many bytes per transaction.
    before = _write_for(store, 0.3)
    per_transaction = os.path.getsize(store.path + "-wal") / before
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    checkpointer = Checkpointer(store.path, store.writer_lock, interval=0.01, restart_frames=300, restart_gap=1000)
    checkpointer.start()
    try:
        written = _write_for(store, 1.5)
    finally:
        checkpointer.stop()
    wal = os.path.getsize(store.path + "-wal")
    store.close()
    assert checkpointer.restarts >= 2 and checkpointer.passes > checkpointer.restarts
    assert wal < 0.25 * written * per_transaction, (wal, written, per_transaction)


def test_one_checkpointer_per_database(tmp_path):
    path = str(tmp_path / "ledger.sqlite3")
    first, second = Store(path), Store(path)  # as two worker processes would
    try:
        for checkpointer in (first.checkpointer, second.checkpointer):
            assert checkpointer is not None
            checkpointer.interval = 0.01
        time.sleep(0.3)
        passes = sorted([first.checkpointer.passes, second.checkpointer.passes])  # type: ignore[union-attr]
    finally:
        first.close()
        second.close()
    assert passes[0] == 0 and passes[1] > 0, passes
