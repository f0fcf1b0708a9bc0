"""What answering in an older API version costs: render() of the objects the checkout answers most
(a confirmed PaymentIntent, a subscription, an invoice with its lines) at the newest version, where
nothing is walked, and at older ones, where api/versions.py transforms them. CPU microseconds per
call (best of five rounds), printed, never asserted.

    python bench/version_shaping.py [--repeat 20000]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_gateway.api import versions
from mock_gateway.api.expand import render
from mock_gateway.app import create_app
from mock_gateway.store.db import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _objects(store: Store) -> dict[str, dict[str, Any]]:
    with TestClient(create_app(store)) as c:
        h = {"Authorization": "Bearer sk_test_bench", "Stripe-Version": versions.LATEST}

        def post(path: str, data: dict[str, Any]) -> dict[str, Any]:
            return c.post(path, data=data, headers=h).json()

        pi = post("/v1/payment_intents", {"amount": 1980, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": "true"})
        clk = post("/v1/test_helpers/test_clocks", {"frozen_time": 1_767_225_600})
        price = post("/v1/prices", {"currency": "jpy", "unit_amount": 1980, "recurring[interval]": "month",
                                    "product_data[name]": "bench"})
        cus = post("/v1/customers", {"email": "b@example.jp", "test_clock": clk["id"], "payment_method": "pm_card_visa"})
        pm = c.get("/v1/payment_methods", params={"customer": cus["id"], "type": "card"}, headers=h).json()["data"][0]
        post(f"/v1/customers/{cus['id']}", {"invoice_settings[default_payment_method]": pm["id"]})
        sub = post("/v1/subscriptions", {"customer": cus["id"], "items[0][price]": price["id"]})
    return {"payment_intent": store.get(pi["id"]) or {}, "subscription": store.get(sub["id"]) or {},
            "invoice": store.get(sub["latest_invoice"]) or {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4000)
    args = parser.parse_args()
    store = Store(":memory:")
    objects = _objects(store)
    print(f"{'object':<16}{'version':<22}{'us/render':>10}")
    for name, obj in objects.items():
        raw = orjson.dumps(obj)  # each render gets a fresh object, as Store.get gives (loading it is counted)
        for version in (versions.LATEST, "2025-03-31.basil", "2024-06-20"):
            rounds = []
            for _ in range(5):  # the best of five rounds of CPU time: the cores are shared
                start = time.process_time()
                for _ in range(args.repeat):
                    render(store, orjson.loads(raw), [], version)
                rounds.append(time.process_time() - start)
            per = min(rounds) / args.repeat * 1e6
            print(f"{name:<16}{version:<22}{per:>10.2f}")


if __name__ == "__main__":
    main()
