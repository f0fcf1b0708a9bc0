"""What happened to the payments, split by payment method and by channel, from the ledger export.

Why from the ledger (ledger/*.jsonl) and not from the load's configured mix: the mix says what was
offered; the ledger says what the gateway did with it (paid, declined, still waiting for a konbini
slip to be paid, expired, refunded), for the API load and the shoppers' checkouts alike.

A payment's method is the type its latest charge was paid with, else its only
`payment_method_types` entry. Its channel is `metadata[channel]` of the PaymentIntent, else of the
Checkout Session that made it; without either it is "not recorded".
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scenarios.personas import PAID_LATER

from .rundir import read_jsonl
from .stats import wilson_interval

# Methods whose payment completes later, outside the checkout: for these the report says how many
# settled and how fast. A charge may name a bank transfer by Stripe's `bank_transfer` type.
DELAYED_METHODS = (*PAID_LATER, "bank_transfer")
NOT_RECORDED = "not recorded"
_WAITING = ("requires_action", "processing")
_UNPAID = ("requires_payment_method", "requires_confirmation")


def summarise_payments(run_dir: Path) -> dict[str, Any] | None:
    """`payments` in summary.json: {by_method: {...}, by_channel: {...}}, or None without a ledger."""
    ledger = run_dir / "ledger"
    intents = list(read_jsonl(ledger / "payment_intents.jsonl"))
    if not intents:
        return None
    charges = {c["id"]: c for c in read_jsonl(ledger / "charges.jsonl") if c.get("id")}
    failed_charges: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in charges.values():
        if c.get("status") == "failed" and c.get("payment_intent"):
            failed_charges[c["payment_intent"]].append(c)
    refunds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in read_jsonl(ledger / "refunds.jsonl"):
        if r.get("payment_intent") and r.get("status") != "failed":
            refunds[r["payment_intent"]].append(r)
    session_channel = {s["payment_intent"]: (s.get("metadata") or {}).get("channel")
                       for s in read_jsonl(ledger / "checkout_sessions.jsonl") if isinstance(s.get("payment_intent"), str)}
    succeeded_at = _event_times(read_jsonl(ledger / "events.jsonl"), "payment_intent.succeeded")

    by_method: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pi in intents:
        row = {
            "pi": pi,
            "failed": failed_charges.get(pi["id"], []),
            "refunds": refunds.get(pi["id"], []),
            "settle_s": _settle_seconds(pi, succeeded_at),
        }
        by_method[_method(pi, charges)].append(row)
        by_channel[(pi.get("metadata") or {}).get("channel") or session_channel.get(pi["id"]) or NOT_RECORDED].append(row)
    return {
        "by_method": {m: _group(rows, m in DELAYED_METHODS) for m, rows in sorted(by_method.items())},
        "by_channel": {c: _group(rows, False) for c, rows in sorted(by_channel.items())},
    }


def _method(pi: dict[str, Any], charges: dict[str, dict[str, Any]]) -> str:
    charge = charges.get(pi.get("latest_charge") or "")
    paid_with = ((charge or {}).get("payment_method_details") or {}).get("type")
    if paid_with:
        return str(paid_with)
    types = pi.get("payment_method_types") or []
    return str(types[0]) if len(types) == 1 else "unknown"


def _event_times(events: Iterable[dict[str, Any]], kind: str) -> dict[str, int]:
    """The first time each object had an event of `kind`."""
    out: dict[str, int] = {}
    for e in events:
        if e.get("type") != kind:
            continue
        obj_id = ((e.get("data") or {}).get("object") or {}).get("id")
        if obj_id and isinstance(e.get("created"), int):
            out[obj_id] = min(out.get(obj_id, e["created"]), e["created"])
    return out


def _settle_seconds(pi: dict[str, Any], succeeded_at: dict[str, int]) -> float | None:
    at = succeeded_at.get(pi["id"])
    created = pi.get("created")
    if at is None or not isinstance(created, int) or pi.get("status") != "succeeded":
        return None
    return float(max(0, at - created))


def _group(rows: list[dict[str, Any]], delayed: bool) -> dict[str, Any]:
    attempts = len(rows)
    status = Counter(r["pi"].get("status") for r in rows)
    succeeded = status.get("succeeded", 0)
    low, high = wilson_interval(succeeded, attempts)
    amounts: dict[str, dict[str, int]] = defaultdict(lambda: {"succeeded": 0, "refunded": 0})
    declines: Counter[str] = Counter()
    refund_count = 0
    for r in rows:
        pi = r["pi"]
        currency = str(pi.get("currency") or "?")
        if pi.get("status") == "succeeded":
            amounts[currency]["succeeded"] += int(pi.get("amount_received") or pi.get("amount") or 0)
        for c in r["failed"]:
            declines[(c.get("outcome") or {}).get("reason") or c.get("failure_code") or "unknown"] += 1
        for refund in r["refunds"]:
            refund_count += 1
            amounts[str(refund.get("currency") or currency)]["refunded"] += int(refund.get("amount") or 0)
    out: dict[str, Any] = {
        "attempts": attempts,
        "succeeded": succeeded,
        "conversion": succeeded / attempts if attempts else None,
        "conversion_ci": [low, high] if attempts else None,
        "waiting": sum(status.get(s, 0) for s in _WAITING),
        "unpaid": sum(status.get(s, 0) for s in _UNPAID),
        "canceled": status.get("canceled", 0),
        "requires_capture": status.get("requires_capture", 0),
        "amounts": {c: dict(v) for c, v in sorted(amounts.items())},
        "declines": dict(declines.most_common()),
        "declined_payments": sum(1 for r in rows if r["failed"]),
        "recovered_after_decline": sum(1 for r in rows if r["failed"] and r["pi"].get("status") == "succeeded"),
        "refunds": refund_count,
    }
    if delayed:
        times = [r["settle_s"] for r in rows if r["settle_s"] is not None]
        out["settlement"] = {
            "settled": succeeded,
            "expired": sum(1 for r in rows if r["pi"].get("status") == "canceled"),
            "pending": out["waiting"],
            "median_time_to_settle_s": statistics.median(times) if times else None,
            "max_time_to_settle_s": max(times) if times else None,
        }
    return out
