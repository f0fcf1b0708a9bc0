"""Concurrent requests against a gateway of two worker processes sharing one SQLite file.

One Idempotency-Key sent twenty times at once creates one object and gets one answer; one intent
confirmed twenty times at once (different keys) is charged once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from harness.servers import GatewayProcess
from harness.stripe_api import make_client

pytestmark = pytest.mark.timeout(120)

AUTH = {"Authorization": "Bearer sk_test_concurrency"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CONCURRENCY = 20


@pytest.fixture(scope="module")
def gateway2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    db = Path(tmp_path_factory.mktemp("gateway2")) / "gateway.sqlite3"
    with GatewayProcess(db, workers=2) as proc:
        yield proc


@pytest.fixture(scope="module")
def clients(gateway2: GatewayProcess) -> Iterator[list[httpx.Client]]:
    """One keep-alive connection per concurrent request, connected before the race starts."""
    made = [make_client(gateway2.url, timeout=30, headers={**AUTH, **FORM}) for _ in range(CONCURRENCY)]
    yield made
    for client in made:
        client.close()


def _at_once(clients: list[httpx.Client], requests: list[tuple[str, str, dict[str, str]]]) -> list[httpx.Response]:
    """Send the requests from as many threads, each on its own connection, released together."""
    barrier = threading.Barrier(len(requests))

    def send(client: httpx.Client, request: tuple[str, str, dict[str, str]]) -> httpx.Response:
        path, body, headers = request
        client.get("/v1/customers", params={"limit": 1})  # connect first, so that the POSTs race
        barrier.wait()
        return client.post(path, content=body, headers=headers)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, clients, requests))


def _customer(url: str) -> str:
    answer = httpx.post(f"{url}/v1/customers", headers={**AUTH, **FORM}, content="name=Concurrent")
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def _list(url: str, path: str, **params: str) -> list[dict]:
    answer = httpx.get(f"{url}{path}", headers=AUTH, params={"limit": 100, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


@pytest.mark.parametrize("confirm", [False, True], ids=["create", "create_and_confirm"])
def test_one_key_sent_twenty_times_at_once_creates_one_object(gateway2, clients, confirm):
    customer = _customer(gateway2.url)
    key = str(uuid.uuid4())
    body = f"amount=1980&currency=jpy&customer={customer}&payment_method=pm_card_visa" + ("&confirm=true" if confirm else "")
    answers = _at_once(clients, [("/v1/payment_intents", body, {"Idempotency-Key": key})] * CONCURRENCY)

    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1, "every answer must be the first answer, byte for byte"
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == CONCURRENCY - 1
    intents = _list(gateway2.url, "/v1/payment_intents", customer=customer)
    assert [pi["id"] for pi in intents] == [answers[0].json()["id"]]
    charges = _list(gateway2.url, "/v1/charges", customer=customer)
    assert len(charges) == (1 if confirm else 0)


def test_one_key_with_different_parameters_at_once_is_one_object_and_idempotency_errors(gateway2, clients):
    customer = _customer(gateway2.url)
    key = str(uuid.uuid4())
    requests = [("/v1/payment_intents", f"amount={1000 + i}&currency=jpy&customer={customer}", {"Idempotency-Key": key})
                for i in range(CONCURRENCY)]
    answers = _at_once(clients, requests)

    created = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 400]
    assert len(created) == 1 and len(refused) == CONCURRENCY - 1
    assert {a.json()["error"]["type"] for a in refused} == {"idempotency_error"}
    assert [pi["id"] for pi in _list(gateway2.url, "/v1/payment_intents", customer=customer)] == [created[0].json()["id"]]


def test_one_intent_confirmed_twenty_times_at_once_is_charged_once(gateway2, clients):
    customer = _customer(gateway2.url)
    created = httpx.post(f"{gateway2.url}/v1/payment_intents", headers={**AUTH, **FORM},
                         content=f"amount=5000&currency=jpy&customer={customer}&payment_method=pm_card_visa")
    pi = created.json()["id"]
    requests = [(f"/v1/payment_intents/{pi}/confirm", "", {"Idempotency-Key": str(uuid.uuid4())}) for _ in range(CONCURRENCY)]
    answers = _at_once(clients, requests)

    succeeded = [a for a in answers if a.status_code == 200]
    assert len(succeeded) == 1 and succeeded[0].json()["status"] == "succeeded"
    others = [a.json()["error"] for a in answers if a.status_code != 200]
    assert len(others) == CONCURRENCY - 1
    assert {e["code"] for e in others} == {"payment_intent_unexpected_state"}
    charges = _list(gateway2.url, "/v1/charges", payment_intent=pi)
    assert len(charges) == 1 and charges[0]["amount_captured"] == 5000
