"""A full card number is never stored or logged: not in the database files, not in the server's output.

A gateway with debug logging takes card numbers through every way in (a PaymentMethod, inline
payment_method_data, declines, 3-D Secure, numbers with spaces, invalid numbers, malformed requests),
then its log output and the raw bytes of its database, WAL and shared-memory files are searched.
"""

from __future__ import annotations

import httpx
import pytest

from harness.servers import GatewayProcess

pytestmark = pytest.mark.timeout(120)

AUTH = ("sk_test_privacy", "")
NUMBERS = ["4242424242424242", "4000000000009995", "4000000000003220", "5555555555554444", "378282246310005",
           "4242424242424241", "6011111111111117"]


def test_card_numbers_appear_nowhere(tmp_path):
    db = tmp_path / "ledger.sqlite3"
    with GatewayProcess(db, extra_args=["--log-level", "debug"]) as gateway:
        client = httpx.Client(base_url=gateway.url, auth=AUTH, timeout=10)
        statuses = []
        for i, number in enumerate(NUMBERS):
            spaced = " ".join(number[j:j + 4] for j in range(0, len(number), 4))
            card = {"card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}
            for shown in (number, spaced):
                statuses.append(client.post("/v1/payment_methods", data={"type": "card", "card[number]": shown, **card}).status_code)
            inline = {f"payment_method_data[{k}]": v for k, v in {"type": "card", "card[number]": number, **card}.items()}
            statuses.append(client.post("/v1/payment_intents", data={"amount": "1000", "currency": "jpy", "confirm": "true", **inline},
                                        headers={"Idempotency-Key": f"privacy-{i}"}).status_code)
            # malformed requests that carry a number: an unknown parameter, a wrong type, a bad expiry
            statuses.append(client.post("/v1/payment_methods", data={"type": "card", "card[numbr]": number, **card}).status_code)
            statuses.append(client.post("/v1/payment_methods", data={"type": "card", f"card[number][{number}]": "1", **card}).status_code)
            statuses.append(client.post("/v1/payment_methods", data={"type": "card", "card[number]": number,
                                                                      "card[exp_month]": "13", "card[exp_year]": "2034"}).status_code)
            statuses.append(client.get("/v1/payment_methods", params={"card[number]": number}).status_code)
        client.close()
        output = "".join(gateway.lines)
    assert {200, 400, 402} <= set(statuses) and 500 not in statuses, statuses
    assert "listening on" in output  # the output was captured
    files = [p for p in tmp_path.iterdir() if p.name.startswith(db.name)]
    assert any(p.name.endswith("-wal") for p in files) or db.stat().st_size > 0
    for number in NUMBERS:
        assert number not in output, f"{number} in the server's log output"
        for path in files:
            assert number.encode() not in path.read_bytes(), f"{number} in {path.name}"
            assert number.encode("utf-16-le") not in path.read_bytes()
