"""Crash durability: what the gateway acknowledged survives `kill -9`, and nothing is charged twice.

Shoppers on several threads create and confirm intents (with Idempotency-Keys) against a gateway of
two worker processes on a file database. Mid-load the gateway is killed with SIGKILL. A new gateway
on the same file must hold every acknowledged intent in the state it was acknowledged in (or, for
the one request in flight when the gateway died, possibly the state that request led to). The
in-flight requests, retried with the same keys, complete exactly once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from harness.servers import GatewayProcess
from harness.stripe_api import make_client

pytestmark = pytest.mark.timeout(180)

AUTH = {"Authorization": "Bearer sk_test_crash", "Content-Type": "application/x-www-form-urlencoded"}
SHOPPERS = 6
KILL_AFTER_ACKNOWLEDGED = 120


@dataclass
class Ledger:
    """What the shoppers were told, and what they sent without an answer."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # intent id -> last status the gateway answered
    in_flight: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # intent id -> (path, body, key)
    lost_creates: list[tuple[str, str]] = field(default_factory=list)  # (body, key) of creates never answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, pi: dict) -> None:
        with self.lock:
            self.acknowledged[pi["id"]] = pi["status"]

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def _intent_of(response: httpx.Response) -> dict | None:
    """The intent an answer acknowledges: the object itself, or the one inside a card decline."""
    body = response.json()
    if response.status_code == 200:
        return body
    if response.status_code == 402:
        return body["error"]["payment_intent"]
    return None


def _shopper(url: str, number: int, ledger: Ledger, stop: threading.Event) -> None:
    with make_client(url, timeout=10, headers=AUTH) as client:
        for i in range(10_000):
            if stop.is_set():
                return
            card = "pm_card_chargeDeclined" if i % 4 == 3 else "pm_card_visa"
            key = f"crash-{number}-{i}"
            create = f"amount={1000 + i}&currency=jpy&payment_method={card}"
            try:
                answer = client.post("/v1/payment_intents", content=create, headers={"Idempotency-Key": key + "-create"})
            except httpx.TransportError:
                ledger.lost_creates.append((create, key + "-create"))
                return
            pi = _intent_of(answer)
            assert pi is not None, answer.text
            ledger.ack(pi)
            path = f"/v1/payment_intents/{pi['id']}/confirm"
            try:
                answer = client.post(path, content="", headers={"Idempotency-Key": key + "-confirm"})
            except httpx.TransportError:
                ledger.in_flight[pi["id"]] = (path, "", key + "-confirm")
                return
            confirmed = _intent_of(answer)
            assert confirmed is not None, answer.text
            ledger.ack(confirmed)


def _live_members(pgid: int) -> list[int]:
    """Processes of a process group that are still running (not zombies)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _wait_until_gone(pgid: int, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (members := _live_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return members


def test_acknowledged_intents_survive_kill_9(tmp_path):
    db = tmp_path / "ledger.sqlite3"
    ledger, stop = Ledger(), threading.Event()
    gateway = GatewayProcess(db, workers=2)
    try:
        shoppers = [threading.Thread(target=_shopper, args=(gateway.url, n, ledger, stop)) for n in range(SHOPPERS)]
        for thread in shoppers:
            thread.start()
        deadline = time.monotonic() + 60
        while ledger.count() < KILL_AFTER_ACKNOWLEDGED and time.monotonic() < deadline:
            time.sleep(0.01)
        gateway.kill()  # SIGKILL mid-load
    finally:
        stop.set()
        gateway.stop()
    for thread in shoppers:
        thread.join(30)
    assert ledger.count() >= KILL_AFTER_ACKNOWLEDGED, "the load did not get going before the deadline"
    assert ledger.in_flight or ledger.lost_creates, "the kill must land mid-load, with requests unanswered"
    assert _wait_until_gone(gateway.proc.pid) == [], "a worker outlived the killed gateway"

    with GatewayProcess(db, workers=2) as restarted, make_client(restarted.url, timeout=10, headers=AUTH) as client:
        for pi_id, status in ledger.acknowledged.items():
            answer = client.get(f"/v1/payment_intents/{pi_id}")
            assert answer.status_code == 200, f"acknowledged {pi_id} lost: {answer.text}"
            found = answer.json()["status"]
            if pi_id in ledger.in_flight:  # its confirm may or may not have committed before the kill
                assert found in (status, "succeeded", "requires_payment_method"), (pi_id, status, found)
            else:
                assert found == status, f"{pi_id} was acknowledged as {status}, found {found}"

        # Retried with the same keys, the requests in flight complete, and each intent is charged once.
        for path, body, key in ledger.in_flight.values():
            answer = client.post(path, content=body, headers={"Idempotency-Key": key})
            assert answer.status_code in (200, 402), answer.text
            assert client.post(path, content=body, headers={"Idempotency-Key": key}).content == answer.content
        for body, key in ledger.lost_creates:
            first = client.post("/v1/payment_intents", content=body, headers={"Idempotency-Key": key})
            assert first.status_code in (200, 402), first.text
            again = client.post("/v1/payment_intents", content=body, headers={"Idempotency-Key": key})
            assert again.content == first.content
        for pi_id in ledger.acknowledged:
            charges = client.get("/v1/charges", params={"payment_intent": pi_id, "limit": 100}).json()["data"]
            pi = client.get(f"/v1/payment_intents/{pi_id}").json()
            succeeded = [c for c in charges if c["status"] == "succeeded"]
            assert len(succeeded) == (1 if pi["status"] == "succeeded" else 0), (pi_id, pi["status"], charges)
            if succeeded:
                assert pi["latest_charge"] == succeeded[0]["id"] and pi["amount_received"] == pi["amount"]


def test_workers_die_with_a_killed_supervisor(tmp_path):
    """Only the supervisor is killed (as the OOM killer might): its workers must not keep serving."""
    with GatewayProcess(tmp_path / "ledger.sqlite3", workers=2) as gateway:
        pgid = gateway.proc.pid
        assert len(_live_members(pgid)) >= 3, "expected a supervisor and two workers"
        os.kill(gateway.proc.pid, signal.SIGKILL)
        gateway.proc.wait(10)
        assert _wait_until_gone(pgid) == [], "workers outlived their supervisor"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{gateway.url}/v1/customers", headers=AUTH, timeout=2)
