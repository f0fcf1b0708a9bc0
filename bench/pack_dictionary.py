"""The zstd dictionary the gateway packs stored JSON with (mock_gateway/store/packing.py): how well and how fast
each known dictionary packs what a gateway stores, and (`--write`) a new one trained on it.

What a gateway stores is collected from real gateways over HTTP: create+confirm pairs (the payment path) and a
small churn cohort (sign-up, renewals, declines, retries, card updates: the billing path), every packed value
read back from their ledgers (objects of packing.PACKED_TYPES and the answers kept for Idempotency-Keys).

    .venv/bin/python bench/pack_dictionary.py                 # figures for every dictionary the gateway knows
    .venv/bin/python bench/pack_dictionary.py --write         # and mock_gateway/store/pack_dictionary_<next>.py

A dictionary, once rows are packed with it, never changes: a better one is a new module with the next id
(packing.py reads every id it knows, packs with the newest).
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import random
import sqlite3
import tempfile
import textwrap
import time
from pathlib import Path

import zstandard

from harness.churn.cohort import run_cohort
from harness.servers import GatewayProcess
from harness.stripe_api import PooledStripeApi
from mock_gateway.store import packing
from scenarios.scenario import load_scenario

SIZE = 16384  # bytes of dictionary: 32 KiB packed no smaller here, and a larger one costs more to prepare per process
STORE = Path(__file__).resolve().parent.parent / "mock_gateway" / "store"


def _stored_values(db: Path) -> list[bytes]:
    conn = sqlite3.connect(db)
    try:
        types = sorted(packing.PACKED_TYPES)
        rows = conn.execute(f"SELECT data FROM objects WHERE type IN ({','.join('?' * len(types))})", types).fetchall()
        rows += conn.execute("SELECT body FROM idempotency").fetchall()
    finally:
        conn.close()
    return [packing.unpack(data) for (data,) in rows]


def collect(directory: Path, pairs: int, subscribers: int, months: int) -> list[bytes]:
    """The JSON a gateway stores packed: `pairs` create+confirm pairs, and a churn cohort of every shipped policy."""
    db = directory / "pairs.sqlite3"
    with GatewayProcess(db, log_path=directory / "pairs.log") as gateway:
        api = PooledStripeApi(gateway.url, "sk_test_dictionary")
        try:
            for i in range(pairs):
                created = api.post("/v1/payment_intents", {"amount": 1980 + i % 7 * 100, "currency": "jpy"})
                api.post(f"/v1/payment_intents/{created.body['id']}/confirm", {"payment_method": "pm_card_visa"})
        finally:
            api.close()
    values = _stored_values(db)
    scenario = load_scenario("subscription-churn")
    plan = dataclasses.replace(scenario.churn, subscribers=subscribers, months=months, shards=1, processes=1)
    run_cohort(plan, directory / "churn", scenario.seed, keep_ledgers=True)
    for ledger in sorted((directory / "churn").glob("*/gateway.sqlite3")):
        values += _stored_values(ledger)
    return values


def measure(name: str, pack: zstandard.ZstdCompressor, values: list[bytes]) -> None:
    for value in values[:200]:
        pack.compress(value)
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        packed = [pack.compress(value) for value in values]
        best = min(best, time.thread_time() - started)
    size = sum(map(len, packed)) / len(packed)
    print(f"  {name:<28} {size:7.1f} bytes a value (of {sum(map(len, values)) / len(values):,.0f} as JSON), "
          f"{1e6 * best / len(values):5.2f} us to pack")


def write_module(dictionary: bytes, dictionary_id: int, samples: int) -> Path:
    text = base64.b64encode(dictionary).decode()
    lines = "\n".join(f'    "{line}"' for line in textwrap.wrap(text, 100))
    path = STORE / f"pack_dictionary_{dictionary_id}.py"
    path.write_text(
        f'"""Preset dictionary {dictionary_id} of store/packing.py: a zstd dictionary ({len(dictionary):,} bytes, with its entropy\n'
        f"tables) trained by bench/pack_dictionary.py on {samples:,} values a gateway stored packed: create+confirm pairs and\n"
        "a churn cohort (events of the payment and billing paths, PaymentIntents, Charges, card PaymentMethods and the\n"
        f"answers kept for Idempotency-Keys). A row packed with it starts with the byte {dictionary_id}: these bytes must never\n"
        'change, or those rows can no longer be read. A better dictionary is a new module with a new id.\n"""\n\n'
        "import base64\n\n"
        f"DICTIONARY_ID = {dictionary_id}\n\n"
        f"DICTIONARY = base64.b64decode(\n{lines}\n)\n",
        encoding="utf-8")
    return path


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", type=int, default=400)
    p.add_argument("--subscribers", type=int, default=300)
    p.add_argument("--months", type=int, default=3)
    p.add_argument("--write", action="store_true", help="train a new dictionary and write it as the next module")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pack-dictionary-") as directory:
        values = collect(Path(directory), args.pairs, args.subscribers, args.months)
    random.Random(7).shuffle(values)
    train, held_out = values[: len(values) // 2], values[len(values) // 2:]
    print(f"{len(values):,} stored values collected; figures on the {len(held_out):,} not trained on")
    for dictionary_id in sorted(packing.DICTIONARIES):
        measure(f"dictionary {dictionary_id} (in use: {packing.CURRENT})", packing.compressor(dictionary_id), held_out)
    if args.write:
        dictionary_id = max(packing.DICTIONARIES) + 1
        trained = zstandard.train_dictionary(SIZE, train, level=packing.LEVEL, dict_id=dictionary_id)
        prepared = zstandard.ZstdCompressionDict(trained.as_bytes(), dict_type=zstandard.DICT_TYPE_FULLDICT)
        measure(f"dictionary {dictionary_id} (trained now)", zstandard.ZstdCompressor(
            level=packing.LEVEL, dict_data=prepared, write_checksum=False, write_dict_id=False), held_out)
        print(f"written {write_module(trained.as_bytes(), dictionary_id, len(train))}")


if __name__ == "__main__":
    main()
