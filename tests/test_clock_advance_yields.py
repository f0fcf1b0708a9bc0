"""A test clock's advance never holds the writer for more than a short step: other writes go on meanwhile.

A ledger gets a test clock with 10,000 tasks due on it, all authorization expiries: 2,000 of them
cancel an uncaptured payment (copies of one made by the gateway; each cancel writes the payment, its
charge and events), the other 8,000 find their payment gone (a read each), so that the test stays
within seconds; then a gateway with two workers advances the clock while four clients keep creating customers. The waits of
those writes during the advance are compared with the same writes measured just before without it:
p99 must stay under 100 ms (the bound the issue names) plus twice that baseline's p99 (what the machine
gives when loaded, where the advance's own CPU slows the writes too), and no write may wait a second more. Before, the advance ran in one request
that held the writer (and its worker's event loop) throughout. The clock reads `advancing` meanwhile,
and the advance still runs every task and ends `ready` at its target.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

import mock_gateway.app  # noqa: F401  (registers every scheduled task handler)
from harness.servers import GatewayProcess
from mock_gateway.api.gateway import Gateway
from mock_gateway.app import ROUTES
from mock_gateway.core import clock
from mock_gateway.core.context import Ctx
from mock_gateway.store import packing
from mock_gateway.store.db import Store

pytestmark = pytest.mark.timeout(180)

AUTH = ("sk_test_clock_yields", "")
T0 = 1_767_225_600
TASKS = 10_000
REAL = 2_000  # tasks that cancel a payment; the others find none
WRITERS = 4


def _seed(db: Path) -> str:
    store = Store(db, background_checkpoints=False)
    try:
        gateway = Gateway(store, clock=lambda: T0)
        create = next(r for r in ROUTES if (r.method, r.path) == ("POST", "/v1/payment_intents"))
        status, body, _ = gateway.execute(create, AUTH[0], {"amount": "1000", "currency": "jpy", "payment_method": "pm_card_visa",
                                                             "confirm": "true", "capture_method": "manual"}, {}, None, "req_seed", "http://x")
        pi = orjson.loads(body)
        assert status == 200 and pi["status"] == "requires_capture"
        with store.transaction():
            ctx = Ctx(store, now=T0)
            clk = clock.create(ctx, {"frozen_time": T0})
            for i in range(TASKS):
                pi_id, charge_id = (f"pi_copy{i:05d}", f"ch_copy{i:05d}") if i < REAL else (f"pi_gone_{i}", f"ch_gone_{i}")
                if i < REAL:  # a copy of the uncaptured payment and its charge under new ids
                    _copy_rows(store, {pi["id"]: pi_id, pi["latest_charge"]: charge_id})
                clock.schedule(ctx, "payment_intent.authorization_expiry", pi_id, T0 + 60 + i % 3600, clk["id"], {"charge": charge_id})
        return clk["id"]
    finally:
        store.close()


def _copy_rows(store: Store, new_ids: dict[str, str]) -> None:
    """Copy the rows of `new_ids`' keys under the new ids, every old id in them replaced (packed rows stay packed)."""
    def fresh(text: str) -> str:
        for old, new in new_ids.items():
            text = text.replace(old, new)
        return text

    rows = store.conn.execute(f"SELECT id, type, created, customer, parent, kind, data FROM objects WHERE id IN "
                              f"({','.join('?' * len(new_ids))})", list(new_ids)).fetchall()
    for id, type, created, customer, parent, kind, data in rows:
        text = fresh(packing.unpack(data).decode())
        stored = packing.pack(text.encode()) if isinstance(data, bytes) else text
        store.conn.execute("INSERT INTO objects (id, type, created, customer, parent, kind, data) VALUES (?,?,?,?,?,?,?)",
                           (new_ids[id], type, created, customer, fresh(parent) if parent else None, kind, stored))


def _writes(url: str, stop: threading.Event | None, count: int, out: list[tuple[float, float]]) -> None:
    """Create customers one after another; (start, seconds) of each."""
    with httpx.Client(base_url=url, auth=AUTH, timeout=30, trust_env=False) as client:
        n = 0
        while (stop is None and n < count) or (stop is not None and not stop.is_set()):
            started = time.perf_counter()
            assert client.post("/v1/customers", data={"email": f"w{n}@example.jp"}).status_code == 200
            out.append((started, time.perf_counter() - started))
            n += 1


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def test_other_writes_go_on_during_a_10000_task_advance(tmp_path: Path) -> None:
    db = tmp_path / "gateway.sqlite3"
    clock_id = _seed(db)
    with GatewayProcess(db, workers=2) as gateway:
        baseline: list[tuple[float, float]] = []
        threads = [threading.Thread(target=_writes, args=(gateway.url, None, 60, baseline)) for _ in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        during: list[tuple[float, float]] = []
        seen: set[str] = set()
        stop = threading.Event()
        threads = [threading.Thread(target=_writes, args=(gateway.url, stop, 0, during)) for _ in range(WRITERS)]

        def watch() -> None:
            with httpx.Client(base_url=gateway.url, auth=AUTH, timeout=30, trust_env=False) as client:
                while not stop.is_set():
                    seen.add(client.get(f"/v1/test_helpers/test_clocks/{clock_id}").json()["status"])
                    time.sleep(0.02)

        threads.append(threading.Thread(target=watch))
        for t in threads:
            t.start()
        time.sleep(0.3)
        with httpx.Client(base_url=gateway.url, auth=AUTH, timeout=120, trust_env=False) as client:
            began = time.perf_counter()
            advanced = client.post(f"/v1/test_helpers/test_clocks/{clock_id}/advance", data={"frozen_time": str(T0 + 7200)})
            ended = time.perf_counter()
            left = client.get("/v1/test_helpers/test_clocks/" + clock_id).json()
        time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join()
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["status"] == "ready" and advanced.json()["frozen_time"] == T0 + 7200
    assert left["status"] == "ready"
    after = Store(db, background_checkpoints=False)
    assert after.conn.execute("SELECT count(*) FROM scheduled_tasks").fetchone()[0] == 0  # every task ran
    assert after.get(f"pi_copy{REAL - 1:05d}")["status"] == "canceled"  # and the real ones did their work
    after.close()
    assert "advancing" in seen, seen
    waits = [seconds for started, seconds in during if began <= started <= ended]  # writes sent during the advance
    base = [seconds for _, seconds in baseline]
    p99, base_p99, longest = _p99(waits), _p99(base), max(waits)
    print(f"advance {ended - began:.2f} s; {len(waits)} writes meanwhile: p99 {p99 * 1000:.1f} ms, max {longest * 1000:.1f} ms; "
          f"baseline p99 {base_p99 * 1000:.1f} ms")
    # 100 ms above the baseline, which counts twice: the advance itself keeps a core busy, so on a loaded
    # machine the writes are slower for want of CPU, not of the writer lock (before: p99 = the whole advance)
    assert p99 < 0.100 + 2 * base_p99, f"p99 {p99 * 1000:.0f} ms during the advance (baseline {base_p99 * 1000:.0f} ms)"
    assert longest < 1.0 + 2 * base_p99, f"a write waited {longest * 1000:.0f} ms during the advance"
    assert len(waits) >= 20, f"only {len(waits)} writes went through during the advance ({ended - began:.2f} s)"
