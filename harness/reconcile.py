"""Reconciliation: what clients were told against what the ledger holds at the end.

Finds payments that were acknowledged but are missing or in another state (lost), intents
created twice for one Idempotency-Key, intents charged more than once, payments stuck in a
transient state, and amounts that do not add up (captured minus refunded).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.personas import PAID_LATER

from .runfiles import read_jsonl

TRANSIENT = ("processing",)
# A told status is still right if the ledger moved on along these edges (a later step the
# client did not hear about, e.g. a capture whose answer timed out).
_MAY_MOVE_ON = {
    "requires_capture": ("succeeded", "canceled"),
    "requires_action": ("succeeded", "requires_payment_method", "requires_capture", "canceled"),
    "requires_confirmation": ("succeeded", "requires_payment_method", "requires_action", "requires_capture", "canceled"),
    "requires_payment_method": ("succeeded", "requires_action", "requires_capture", "requires_confirmation", "canceled"),
}


@dataclass
class Reconciliation:
    checked_intents: int = 0
    acknowledged: int = 0
    unknown_outcomes: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, kind: str, intent: str | None, detail: str) -> None:
        self.problems.append({"kind": kind, "intent": intent, "detail": detail})

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked_intents": self.checked_intents,
            "acknowledged": self.acknowledged,
            "unknown_outcomes": self.unknown_outcomes,
            "problems": self.problems,
            "totals": self.totals,
        }


def reconcile(run_dir: Path) -> Reconciliation:
    ledger = run_dir / "ledger"
    intents = {pi["id"]: pi for pi in read_jsonl(ledger / "payment_intents.jsonl")}
    charges = list(read_jsonl(ledger / "charges.jsonl"))
    refunds = list(read_jsonl(ledger / "refunds.jsonl"))
    events = list(read_jsonl(ledger / "events.jsonl"))
    result = Reconciliation(checked_intents=len(intents))

    _check_told(result, intents, list(read_jsonl(run_dir / "load" / "acks.jsonl")), list(read_jsonl(run_dir / "journeys.jsonl")))
    _check_duplicates(result, events)
    _check_charges(result, intents, charges, refunds)
    for pi in intents.values():
        if pi["status"] in TRANSIENT:
            result.problem("stuck", pi["id"], f"still {pi['status']} at the end of the run")
    return result


def _check_told(result: Reconciliation, intents: dict[str, dict], acks: list[dict], journeys: list[dict]) -> None:
    last_told: dict[str, dict] = {}
    for ack in sorted(acks, key=lambda a: a.get("t") or 0):
        intent = ack.get("intent_id") or (ack.get("object_id") if str(ack.get("object_id", "")).startswith("pi_") else None)
        if ack.get("http_status") is None:
            result.unknown_outcomes += 1
            continue
        if not intent or not (200 <= int(ack["http_status"]) < 300 or ack["http_status"] == 402):
            continue
        result.acknowledged += 1
        if ack.get("status"):
            last_told[intent] = ack
    for j in journeys:
        if j.get("outcome") == "success" and j.get("payment_intent"):
            result.acknowledged += 1
            # A shopper paying later (a konbini slip, a bank transfer, a QR code) was told the order is
            # placed and waits for the payment: requires_action, which may move on to paid or expired.
            status = "requires_action" if j.get("payment_method") in PAID_LATER else "succeeded"
            last_told.setdefault(j["payment_intent"], {"status": status, "op": "journey", "journey": j.get("journey_id")})
    for intent, told in last_told.items():
        pi = intents.get(intent)
        if pi is None:
            result.problem("lost", intent, f"told {told['status']} ({told.get('op')}) but the ledger has no such intent")
            continue
        if pi["status"] == told["status"]:
            continue
        if told["status"] == "succeeded" or pi["status"] not in _MAY_MOVE_ON.get(told["status"], ()):
            result.problem("mismatch", intent, f"told {told['status']} ({told.get('op')}) but the ledger holds {pi['status']}")


def _check_duplicates(result: Reconciliation, events: list[dict]) -> None:
    by_key: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.get("type") != "payment_intent.created":
            continue
        key = (event.get("request") or {}).get("idempotency_key")
        if key:
            by_key[key].add(event["data"]["object"]["id"])
    for key, ids in by_key.items():
        if len(ids) > 1:
            result.problem("duplicate", sorted(ids)[0], f"Idempotency-Key {key} created {len(ids)} intents: {', '.join(sorted(ids))}")


def _check_charges(result: Reconciliation, intents: dict[str, dict], charges: list[dict], refunds: list[dict]) -> None:
    paid_by_intent: dict[str, list[dict]] = defaultdict(list)
    for ch in charges:
        if ch.get("status") == "succeeded" and ch.get("payment_intent"):
            paid_by_intent[ch["payment_intent"]].append(ch)
    refunded_by_charge: dict[str, int] = defaultdict(int)
    for re in refunds:
        if re.get("status") == "succeeded":
            refunded_by_charge[re["charge"]] += re["amount"]
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"captured": 0, "refunded": 0, "net": 0})
    for intent, paid in paid_by_intent.items():
        captured = [ch for ch in paid if ch.get("captured")]
        if len(captured) > 1:
            result.problem("double_charge", intent, f"{len(captured)} captured charges: {', '.join(c['id'] for c in captured)}")
        pi = intents.get(intent)
        amount_captured = sum(ch.get("amount_captured", 0) for ch in captured)
        if pi is not None and pi.get("amount_received", 0) != amount_captured:
            result.problem("amounts", intent, f"amount_received {pi.get('amount_received')} but charges captured {amount_captured}")
        for ch in captured:
            refunded = refunded_by_charge.get(ch["id"], 0)
            if refunded != ch.get("amount_refunded", 0):
                result.problem("amounts", intent, f"charge {ch['id']} says {ch.get('amount_refunded')} refunded, refunds add up to {refunded}")
            if refunded > ch.get("amount_captured", 0):
                result.problem("amounts", intent, f"charge {ch['id']} refunded {refunded} of {ch.get('amount_captured')} captured")
            t = totals[ch["currency"]]
            t["captured"] += ch.get("amount_captured", 0)
            t["refunded"] += refunded
            t["net"] = t["captured"] - t["refunded"]
    result.totals = dict(totals)
