"""Card data cannot be recovered from what the gateway keeps: not from the database, its WAL or its logs.

A crafted set of requests puts a card number in values and in parameter names (known and unknown,
top level and nested), with Idempotency-Keys so that errors are recorded; then the raw bytes of the
database files and every line the gateway logged (debug level) are searched for the number, with or
without spaces. Card fingerprints are keyed by a secret of each database (never one in the source):
the same card has one fingerprint within a ledger and different ones in two ledgers, and the
idempotency record keeps nothing a guess of the number can be checked against without that secret.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import httpx
import orjson
import pytest

from harness.servers import GatewayProcess

pytestmark = pytest.mark.timeout(120)

AUTH = ("sk_test_card_privacy", "")
NUMBER = "4000000000009995"  # a test card that declines: the decline is recorded too
SPACED = "4000 0000 0000 9995"
CARD = {"card[exp_month]": "12", "card[exp_year]": "2040", "card[cvc]": "123"}


def _crafted(client: httpx.Client) -> list[int]:
    statuses = []

    def post(path: str, data: dict[str, str], key: str) -> None:
        statuses.append(client.post(path, data=data, headers={"Idempotency-Key": key}).status_code)

    post("/v1/payment_methods", {"type": "card", "card[number]": NUMBER, **CARD}, "k-pm")
    post("/v1/payment_methods", {"type": "card", "card[number]": SPACED, **CARD}, "k-pm-spaced")
    post("/v1/payment_intents", {"amount": "1200", "currency": "jpy", "confirm": "true",
                                 "payment_method_data[type]": "card", "payment_method_data[card][number]": NUMBER,
                                 **{f"payment_method_data[{k}]": v for k, v in CARD.items()}}, "k-pi")
    post("/v1/payment_methods", {"type": "card", f"card[{NUMBER}]": "1", **CARD}, "k-name-nested")
    post("/v1/payment_methods", {"type": "card", NUMBER: "x", "card[number]": NUMBER, **CARD}, "k-name-top")
    post("/v1/payment_methods", {"type": "card", f"card[number][{SPACED}]": NUMBER, **CARD}, "k-name-mixed")
    post("/v1/payment_methods", {"type": "card", "card[number]": NUMBER, "card[exp_month]": NUMBER, "card[exp_year]": "2040"}, "k-month")
    post("/v1/payment_intents", {"amount": NUMBER, "currency": "jpy"}, "k-amount")
    statuses.append(client.post("/v1/payment_methods", content=f"type=card&card[number]={NUMBER}&{NUMBER}[=1".encode(),
                                headers={"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "k-bad"}).status_code)
    statuses.append(client.get("/v1/payment_methods", params={f"card[{NUMBER}]": NUMBER}).status_code)
    # the hosted pages: a number in a parameter name of a malformed or repeated form field
    paypal = client.post("/v1/payment_intents", data={"amount": "1200", "currency": "jpy", "confirm": "true",
                                                      "payment_method_types[]": "paypal", "payment_method_data[type]": "paypal",
                                                      "return_url": "https://merchant.example/back"}).json()
    for body in (f"{NUMBER}[=1", f"{NUMBER}=1&{NUMBER}=2", f"card[{SPACED}]=1&card[{SPACED}]=2&action=approve"):
        statuses.append(client.post(f"/paypal/{paypal['id']}", content=body.encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code)
    statuses.append(client.get(f"/v1/payment_methods/{NUMBER}").status_code)
    return statuses


def _fingerprint(client: httpx.Client) -> str:
    pm = client.post("/v1/payment_methods", data={"type": "card", "card[number]": "4242424242424242", **CARD}).json()
    return pm["card"]["fingerprint"]


def test_a_crafted_card_number_is_in_no_file_and_no_log_line(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    with GatewayProcess(db, extra_args=["--log-level", "debug"]) as gateway:
        with httpx.Client(base_url=gateway.url, auth=AUTH, timeout=10, trust_env=False) as client:
            statuses = _crafted(client)
        output = "".join(gateway.lines)
    assert 500 not in statuses and {200, 400, 402} <= set(statuses), statuses
    files = [p for p in tmp_path.iterdir() if p.name.startswith(db.name)]
    assert db in files
    for shown in (NUMBER, SPACED):
        assert shown not in output, f"{shown} in the gateway's log output"
        for path in files:
            assert shown.encode() not in path.read_bytes(), f"{shown} in {path.name}"


def test_fingerprints_are_keyed_by_each_databases_own_secret(tmp_path: Path) -> None:
    prints = []
    for name in ("a", "b"):
        with GatewayProcess(tmp_path / f"{name}.sqlite3") as gateway:
            with httpx.Client(base_url=gateway.url, auth=AUTH, timeout=10, trust_env=False) as client:
                prints.append((_fingerprint(client), _fingerprint(client)))
    (a1, a2), (b1, b2) = prints
    assert a1 == a2 and b1 == b2, "the same card must keep one fingerprint within a ledger"
    assert a1 != b1, "two ledgers share a fingerprint key: it is not per database"
    assert len(a1) == 16


def test_the_idempotency_record_lets_no_guess_of_the_number_be_checked(tmp_path: Path) -> None:
    """With every other parameter known, hashing a guessed number the way the record was made (the old
    unkeyed SHA-256 of the parameters) must not match the record."""
    db = tmp_path / "ledger.sqlite3"
    params = {"type": "card", "card": {"number": NUMBER, "exp_month": "12", "exp_year": "2040", "cvc": "123"}}
    with GatewayProcess(db) as gateway:
        with httpx.Client(base_url=gateway.url, auth=AUTH, timeout=10, trust_env=False) as client:
            first = client.post("/v1/payment_methods", data={"type": "card", "card[number]": NUMBER, **CARD},
                                headers={"Idempotency-Key": "guess-me"})
            replay = client.post("/v1/payment_methods", data={"type": "card", "card[number]": NUMBER, **CARD},
                                 headers={"Idempotency-Key": "guess-me"})
            other = client.post("/v1/payment_methods", data={"type": "card", "card[number]": "4242424242424242", **CARD},
                                headers={"Idempotency-Key": "guess-me"})
    assert first.status_code == 200 and replay.content == first.content and replay.headers["idempotent-replayed"] == "true"
    assert other.status_code == 400 and other.json()["error"]["type"] == "idempotency_error"
    conn = sqlite3.connect(db)
    (stored,) = conn.execute("SELECT fingerprint FROM idempotency WHERE key = 'guess-me'").fetchone()
    conn.close()
    guess = hashlib.sha256(orjson.dumps(params, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert stored != guess, "the record is an unkeyed hash of the parameters: the number can be brute-forced from it"
