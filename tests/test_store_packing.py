"""Stored JSON packed with zstd and a preset dictionary (store/packing.py): packed rows read back as the objects
written, rows stored as JSON text before packing stay readable, SQL reads inside packed rows through
unpacked(data), and a create+confirm pair stores less than 4 KB."""

from __future__ import annotations

import sqlite3

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_gateway.api.forms import parse_form
from mock_gateway.api.gateway import Gateway
from mock_gateway.app import ROUTES
from mock_gateway.store import packing
from mock_gateway.store.db import Store

CREATE = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/payment_intents")
CONFIRM = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/payment_intents/{id}/confirm")

_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=40) | st.floats(allow_nan=False, allow_infinity=False)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
                     max_leaves=30)
_objects = st.builds(
    lambda fields, type, n: {**fields, "id": f"obj_{n}", "object": type},
    st.dictionaries(st.text(max_size=12), _json, max_size=8),
    st.sampled_from(sorted(packing.PACKED_TYPES) + ["customer"]),
    st.integers(0, 10**9),
)


@pytest.fixture()
def store(tmp_path):
    store = Store(tmp_path / "ledger.sqlite3", background_checkpoints=False)
    yield store
    store.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=_objects)
def test_stored_objects_read_back_identically(store, obj):
    store.conn.execute("DELETE FROM objects")
    with store.transaction():
        store.insert(obj, kind="k")
    assert store.get(obj["id"]) == obj  # from the database, not the transaction's memory
    assert store.list(obj["object"], filters={"kind": "k"})[0] == [obj]
    changed = {**obj, "changed": [1, "two"]}
    with store.transaction():
        store.update(changed)
    assert store.get(obj["id"]) == changed
    (stored,) = store.conn.execute("SELECT data FROM objects WHERE id = ?", (obj["id"],)).fetchone()
    assert isinstance(stored, bytes) == (obj["object"] in packing.PACKED_TYPES)  # packed only where meant to be
    assert orjson.loads(packing.unpack(stored)) == changed


@settings(max_examples=150, deadline=None)
@given(obj=_json)
def test_pack_unpack_gives_the_same_bytes(obj):
    text = orjson.dumps(obj)
    packed = packing.pack(text)
    assert packed[0] == packing.CURRENT
    assert packing.unpack(packed) == text


def test_rows_stored_as_text_before_packing_stay_readable(store):
    old = {"id": "pi_old", "object": "payment_intent", "amount": 1980, "metadata": {"channel": "web"}}
    store.conn.execute("INSERT INTO objects (id, type, created, kind, data) VALUES (?, ?, 0, 'succeeded', ?)",
                       (old["id"], old["object"], orjson.dumps(old).decode()))
    store.conn.execute("INSERT INTO idempotency (api_key, key, method, path, fingerprint, status, body, created) "
                       "VALUES ('sk', 'k', 'POST', '/v1/x', 'f', 200, ?, 0)", (b'{"id":"pi_old"}',))
    assert store.get("pi_old") == old
    assert store.list("payment_intent", json_filters={"metadata.channel": "web"})[0] == [old]
    assert store.idempotent_result("sk", "k") == ("POST", "/v1/x", "f", 200, b'{"id":"pi_old"}')


def test_rows_packed_with_an_older_dictionary_stay_readable(store):
    """Dictionary 1 packed the ledgers before dictionary 2 existed: its rows (id 1 in their first byte) still read."""
    text = orjson.dumps({"id": "evt_old", "object": "event", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}})
    old = bytes((1,)) + packing.compressor(1).compress(text)
    store.conn.execute("INSERT INTO objects (id, type, created, kind, data) VALUES ('evt_old', 'event', 0, 'invoice.paid', ?)",
                       (old,))
    assert packing.CURRENT != 1 and packing.pack(text)[0] == packing.CURRENT
    assert store.get("evt_old") == orjson.loads(text)
    assert store.list("event", filters={"kind": "invoice.paid"})[0] == [orjson.loads(text)]


def test_idempotency_answers_are_stored_packed_and_read_back(store):
    body = orjson.dumps({"id": "pi_1", "object": "payment_intent", "amount": 1980, "status": "succeeded"})
    with store.transaction():
        store.save_idempotent_result("sk", "k", "POST", "/v1/payment_intents", "f", 200, body, 0)
    (stored,) = store.conn.execute("SELECT body FROM idempotency").fetchone()
    assert stored[0] == packing.CURRENT and len(stored) < len(body)
    assert store.idempotent_result("sk", "k") == ("POST", "/v1/payment_intents", "f", 200, body)


def test_sql_reads_inside_packed_rows_through_unpacked(store):
    with store.transaction():
        store.insert({"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "metadata": {"channel": "web"}})
        store.insert({"id": "ch_2", "object": "charge", "payment_intent": "pi_2", "metadata": {}})
    assert store.conn.execute("SELECT id FROM objects WHERE json_extract(unpacked(data), '$.metadata.channel') = 'web'"
                              ).fetchall() == [("ch_1",)]
    assert [c["id"] for c in store.list("charge", json_filters={"payment_intent": "pi_2"})[0]] == ["ch_2"]
    other = sqlite3.connect(store.path)  # any connection that registers the function reads them too
    packing.register(other)
    assert other.execute("SELECT json_extract(unpacked(data), '$.payment_intent') FROM objects WHERE id = 'ch_2'"
                         ).fetchone() == ("pi_2",)
    other.close()


def test_an_unknown_dictionary_is_named():
    with pytest.raises(ValueError, match="dictionary 7"):
        packing.unpack(b"\x07abc")


def _pages_in_use(store: Store) -> int:
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages, free, size = (store.conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "freelist_count", "page_size"))
    return (pages - free) * size


def _pairs(gateway: Gateway, start: int, count: int) -> None:
    for i in range(start, start + count):
        status, body, _ = gateway.execute(CREATE, "sk_test_size", parse_form(b"amount=1980&currency=jpy"), {}, f"c{i}",
                                          "req_size", "http://gw")
        assert status == 200
        status, _, _ = gateway.execute(CONFIRM, "sk_test_size", parse_form(b"payment_method=pm_card_visa"),
                                       {"id": orjson.loads(body)["id"]}, f"f{i}", "req_size", "http://gw")
        assert status == 200


def test_a_create_confirm_pair_stores_less_than_4_kb(store):
    """What the database grows by per pair (intent, card, charge, three events, two Idempotency-Key records and
    their index entries), past the first pairs' fixed cost: 13 KB before packing, ~3.2 KB with it."""
    gateway = Gateway(store)
    _pairs(gateway, 0, 50)
    before = _pages_in_use(store)
    _pairs(gateway, 50, 400)
    per_pair = (_pages_in_use(store) - before) / 400
    assert per_pair < 4096, f"{per_pair:.0f} bytes stored per create+confirm pair"
    print(f"{per_pair:.0f} bytes stored per create+confirm pair")
