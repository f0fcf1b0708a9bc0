"""Store.batch: pieces run without savepoints first; only a piece that failed after writing makes the batch
run again, with a savepoint per piece, so that each failure undoes its own writes and nothing else."""

from __future__ import annotations

import pytest

from mock_gateway.store.db import Store


@pytest.fixture()
def store(tmp_path):
    store = Store(tmp_path / "ledger.sqlite3", background_checkpoints=False)
    yield store
    store.close()


def _block(store: Store, plan: list[str], runs: list[bool]):
    """Pieces that succeed ("ok"), fail before writing ("early") or fail after writing ("late")."""

    def block() -> list[bool]:
        runs.append(store.optimistic)
        outcomes = []
        for i, what in enumerate(plan):
            try:
                with store.piece():
                    if what == "early":
                        raise ValueError("refused before writing")
                    store.insert({"id": f"obj_{i}", "object": "thing"})
                    if what == "late":
                        raise ValueError("failed after writing")
                outcomes.append(True)
            except ValueError:
                outcomes.append(False)
        return outcomes

    return block


def _ids(store: Store) -> set[str]:
    return {row[0] for row in store.conn.execute("SELECT id FROM objects WHERE type = 'thing'")}


def test_a_piece_failing_after_writing_reruns_the_batch_with_savepoints(store):
    runs: list[bool] = []
    assert store.batch(_block(store, ["ok", "late", "ok"], runs)) == [True, False, True]
    assert runs == [True, False]  # optimistic first, then with a savepoint per piece
    assert _ids(store) == {"obj_0", "obj_2"}


def test_a_piece_failing_before_writing_needs_no_rerun(store):
    runs: list[bool] = []
    assert store.batch(_block(store, ["ok", "early", "ok"], runs)) == [True, False, True]
    assert runs == [True]
    assert _ids(store) == {"obj_0", "obj_2"}


def test_inside_a_transaction_the_batch_undoes_only_its_own_writes(store):
    runs: list[bool] = []
    with store.transaction():
        store.insert({"id": "before", "object": "thing"})
        assert store.batch(_block(store, ["late", "ok"], runs)) == [False, True]
    assert runs == [True, False] and not store.optimistic
    assert _ids(store) == {"before", "obj_1"}
