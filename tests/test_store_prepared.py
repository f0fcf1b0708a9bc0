"""Store.prepared / Store.apply: a group's writes decided outside the writer lock, run under it only if what they
were decided from is unchanged; and a prepared group ends with the same ledger as the same pieces run the old way."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_gateway.store.db import NotPrepared, Prepared, Store


def _open(path) -> Store:
    return Store(path, background_checkpoints=False)


@pytest.fixture()
def stores(tmp_path):
    """Two processes' Stores on one ledger: the one that prepares, and another that writes meanwhile."""
    store, other = _open(tmp_path / "ledger.sqlite3"), _open(tmp_path / "ledger.sqlite3")
    yield store, other
    store.close()
    other.close()


def _rows(store: Store) -> dict[str, object]:
    objects = {row[0]: row[1] for row in store.conn.execute("SELECT id, CAST(data AS TEXT) FROM objects WHERE type = 'thing'")}
    keys = {row[0]: row[1] for row in store.conn.execute("SELECT key, status FROM idempotency")}
    names = {row[0]: row[1] for row in store.conn.execute("SELECT name, value FROM settings WHERE name LIKE 't.%'")}
    return {"objects": objects, "keys": keys, "settings": names}


def _incrementing_thing_1(store: Store) -> Prepared:
    """thing_1 stored with n == 1, then a group prepared that reads it and writes n + 1 (decided from n == 1)."""
    with store.transaction():
        store.insert({"id": "thing_1", "object": "thing", "n": 1})
    with store.prepared() as group:
        thing = store.get("thing_1")
        assert thing is not None
        store.update({**thing, "n": thing["n"] + 1})
    return group


def test_prepared_writes_are_seen_by_the_group_and_stored_only_when_applied(stores):
    store, other = stores
    with store.prepared() as group:
        store.insert({"id": "thing_1", "object": "thing", "n": 1})
        store.update({"id": "thing_1", "object": "thing", "n": 2})
        store.save_idempotent_result("sk_test", "k1", "POST", "/v1/things", "f", 200, b'{"n":2}', 0)
        assert store.get("thing_1") == {"id": "thing_1", "object": "thing", "n": 2}
        assert store.idempotent_result("sk_test", "k1") == ("POST", "/v1/things", "f", 200, b'{"n":2}')
    assert other.get("thing_1") is None  # nothing written yet
    with store.transaction():
        assert store.apply(group)
    assert other.get("thing_1") == {"id": "thing_1", "object": "thing", "n": 2}
    assert other.idempotent_result("sk_test", "k1") is not None


def test_a_row_changed_by_another_process_before_the_lock_refuses_the_group(stores):
    store, other = stores
    group = _incrementing_thing_1(store)
    with other.transaction():
        other.update({"id": "thing_1", "object": "thing", "n": 5})
    with store.transaction():
        assert not store.apply(group)
    assert store.get("thing_1") == {"id": "thing_1", "object": "thing", "n": 5}  # the other write stands


def test_an_idempotency_key_another_process_recorded_meanwhile_refuses_the_group(stores):
    store, other = stores
    with store.prepared() as group:
        assert store.idempotent_result("sk_test", "k") is None
        store.save_idempotent_result("sk_test", "k", "POST", "/v1/things", "f", 200, b"{}", 0)
    with other.transaction():
        other.save_idempotent_result("sk_test", "k", "POST", "/v1/things", "f", 402, b"{}", 0)
    with store.transaction():
        assert not store.apply(group)
    assert store.idempotent_result("sk_test", "k")[3] == 402  # the key answers once, with the first answer


def test_a_write_that_fails_under_the_lock_leaves_nothing_and_the_transaction_usable(stores):
    store, other = stores
    with store.prepared() as group:
        store.insert({"id": "thing_0", "object": "thing", "n": 0})
        store.insert({"id": "thing_1", "object": "thing", "n": 1})  # decided without reading: nothing to check
    with other.transaction():
        other.insert({"id": "thing_1", "object": "thing", "n": 9})
    with store.transaction():
        assert not store.apply(group)  # the id is taken: the UNIQUE constraint refuses the second insert
        store.insert({"id": "thing_2", "object": "thing", "n": 2})  # what the group does instead
    assert _rows(store)["objects"].keys() == {"thing_1", "thing_2"}  # thing_0 of the refused group is not left
    assert store.get("thing_1")["n"] == 9


def test_apply_is_first_in_its_transaction(stores):
    store, _ = stores
    with store.prepared() as group:
        store.insert({"id": "thing_1", "object": "thing", "n": 1})
    with store.transaction(), pytest.raises(RuntimeError):
        store.insert({"id": "thing_0", "object": "thing", "n": 0})
        store.apply(group)


def test_other_commits_that_touch_nothing_read_leave_the_group_valid(stores):
    store, other = stores
    group = _incrementing_thing_1(store)
    with other.transaction():
        other.insert({"id": "thing_2", "object": "thing", "n": 7})
    with store.transaction():
        assert store.apply(group)
    assert store.get("thing_1")["n"] == 2 and store.get("thing_2")["n"] == 7


def test_what_a_prepared_group_cannot_answer_raises_not_prepared(stores):
    store, _ = stores
    with store.prepared():
        for ask in (lambda: store.conn, lambda: store.list("thing"), lambda: store.seq_of("thing_1", "thing"),
                    lambda: store.batch(lambda: None), lambda: store.delete("thing_1"), store.commit_so_far):
            with pytest.raises(NotPrepared):
                ask()


# A piece: (id, n) writes, then whether it fails after writing. Ids are few, so pieces update each other's rows.
_piece = st.tuples(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 9)), min_size=1, max_size=3),
                   st.booleans(), st.sampled_from(["k1", "k2", "k3", None]))


def _run_pieces(store: Store, pieces: list) -> list[bool]:
    outcomes = []
    for writes, fails, key in pieces:
        try:
            with store.piece():
                for name, n in writes:
                    found = store.get(f"thing_{name}")
                    if found is None:
                        store.insert({"id": f"thing_{name}", "object": "thing", "n": n})
                    else:
                        store.update({**found, "n": found["n"] + n})
                    store.set_setting(f"t.{name}", str(n))
                if key is not None:
                    if store.idempotent_result("sk_test", key) is not None:
                        raise ValueError("key used")
                    store.save_idempotent_result("sk_test", key, "POST", "/v1/things", "f", 200, b"{}", 0)
                if fails:
                    raise ValueError("failed after writing")
            outcomes.append(True)
        except ValueError:
            outcomes.append(False)
    return outcomes


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_piece, min_size=1, max_size=6))
def test_a_prepared_group_stores_what_the_same_pieces_store_run_under_the_lock(tmp_path_factory, pieces):
    directory = tmp_path_factory.mktemp("prepared")
    reference, prepared = _open(directory / "reference.sqlite3"), _open(directory / "prepared.sqlite3")
    try:
        expected = reference.batch(lambda: _run_pieces(reference, pieces))
        with prepared.prepared() as group:
            outcomes = _run_pieces(prepared, pieces)
        with prepared.transaction():
            assert prepared.apply(group)
        assert outcomes == expected
        assert _rows(prepared) == _rows(reference)
    finally:
        reference.close()
        prepared.close()
