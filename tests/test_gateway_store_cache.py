"""What a write transaction remembers of the objects it read or wrote (Store's cache) is always what the
database holds: after updates, deletes, rolled-back savepoints and transactions, and across them."""

from __future__ import annotations

import pytest

from mock_gateway.store.db import Redo, Store


def _thing(id: str, n: int) -> dict:
    return {"id": id, "object": "thing", "created": n, "n": n}


def _in_db(store: Store, id: str) -> int | None:
    row = store.conn.execute("SELECT json_extract(data, '$.n') FROM objects WHERE id = ?", (id,)).fetchone()
    return row[0] if row else None


def test_reads_follow_writes_and_rollbacks(tmp_path):
    store = Store(tmp_path / "ledger.sqlite3", background_checkpoints=False)
    with store.transaction():
        store.insert(_thing("t1", 1))
        assert store.get("t1")["n"] == 1
        store.update(_thing("t1", 2))
        assert store.get("t1")["n"] == 2 == _in_db(store, "t1")
        store.conn.execute("SAVEPOINT s")
        store.update(_thing("t1", 3))
        assert store.get("t1")["n"] == 3
        store.rollback_to("s")
        store.conn.execute("RELEASE s")
        assert store.get("t1")["n"] == 2 == _in_db(store, "t1")
        with pytest.raises(RuntimeError):
            with store.savepoint():
                store.update(_thing("t1", 4))
                raise RuntimeError()
        assert store.get("t1")["n"] == 2
        store.delete("t1")
        assert store.get("t1") is None
        store.insert(_thing("t1", 5))
    with pytest.raises(RuntimeError):
        with store.transaction():
            assert store.get("t1")["n"] == 5
            store.update(_thing("t1", 6))
            raise RuntimeError()
    with store.transaction():
        assert store.get("t1")["n"] == 5
    # another connection (another process) writes between transactions: the next transaction reads it
    other = Store(store.path, background_checkpoints=False)
    with other.transaction():
        other.update(_thing("t1", 7))
    with store.transaction():
        assert store.get("t1")["n"] == 7
    assert store.get("t1")["n"] == 7  # outside a transaction nothing is remembered
    other.close()
    store.close()


def test_returned_objects_are_copies():
    store = Store(":memory:")
    with store.transaction():
        store.insert(_thing("t1", 1))
        first = store.get("t1")
        first["n"] = 99  # changed by a caller but not saved
        assert store.get("t1")["n"] == 1


def test_settings_follow_writes_and_rollbacks():
    store = Store(":memory:")
    with store.transaction():
        assert store.setting("a") is None
        store.set_setting("a", "1")
        assert store.setting("a") == "1"
        store.conn.execute("SAVEPOINT s")
        store.set_setting("a", "2")
        assert store.setting("a") == "2"
        store.rollback_to("s")
        store.conn.execute("RELEASE s")
        assert store.setting("a") == "1"


def test_optimistic_undo_points():
    store = Store(":memory:")
    with store.transaction():
        store.optimistic = True
        point = store.undo_point("p")
        store.undo("p", point)  # nothing written since the point: nothing to undo
        store.insert(_thing("t1", 1))
        with pytest.raises(Redo):
            store.undo("p", point)
        store.optimistic = False
        point = store.undo_point("p")
        store.insert(_thing("t2", 2))
        store.undo("p", point)
        assert store.get("t2") is None and store.get("t1") is not None


def test_indexed_columns_written_only_when_they_change_stay_right():
    store = Store(":memory:")
    cols = lambda: store.conn.execute("SELECT customer, parent, kind FROM objects WHERE id = 't1'").fetchone()  # noqa: E731
    with store.transaction():
        store.insert(_thing("t1", 1), customer="c1", kind="a")
        store.update(_thing("t1", 2), customer="c1", kind="a")  # unchanged: not set again
        assert cols() == ("c1", None, "a") and store.get("t1")["n"] == 2
        store.update(_thing("t1", 3), kind="b")
        assert cols() == ("c1", None, "b")
        store.update(_thing("t1", 4), customer="c2", parent="p", kind="b")
        assert cols() == ("c2", "p", "b")
        store.conn.execute("SAVEPOINT s")
        store.update(_thing("t1", 5), kind="c")
        store.rollback_to("s")
        store.conn.execute("RELEASE s")
        store.update(_thing("t1", 6), kind="c")  # what was remembered went with the rollback: written
        assert cols() == ("c2", "p", "c")
    with store.transaction():
        store.update(_thing("t1", 7), kind="c")  # not read in this transaction: written as given
        store.update(_thing("t1", 8), kind="d")
        assert cols() == ("c2", "p", "d")
        assert store.get("t1")["n"] == 8
        store.update(_thing("t1", 9), kind="d", parent=None)
        assert cols() == ("c2", None, "d")
