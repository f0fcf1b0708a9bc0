"""Reconciliation of what shoppers were told against the ledger (harness/reconcile.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.reconcile import reconcile


def _run(tmp_path: Path, intents: list[dict], journeys: list[dict]) -> Path:
    (tmp_path / "ledger").mkdir()
    (tmp_path / "ledger" / "payment_intents.jsonl").write_text("".join(json.dumps(i) + "\n" for i in intents))
    (tmp_path / "journeys.jsonl").write_text("".join(json.dumps(j) + "\n" for j in journeys))
    return tmp_path


@pytest.mark.parametrize("method, ledger, ok", [
    ("card", "succeeded", True),
    ("card", "requires_action", False),          # told paid, the ledger waits: a mismatch
    ("konbini", "requires_action", True),         # told "pay at the store": waiting is what they were told
    ("konbini", "succeeded", True),               # and paid since
    ("konbini", "canceled", True),                # or expired unpaid
    ("customer_balance", "requires_action", True),
    ("paypay", "requires_action", True),
])
def test_a_shopper_told_the_order_is_placed(tmp_path: Path, method: str, ledger: str, ok: bool) -> None:
    run = _run(tmp_path, [{"id": "pi_1", "status": ledger, "currency": "jpy", "amount": 100}],
               [{"journey_id": "j1", "outcome": "success", "payment_intent": "pi_1", "payment_method": method}])
    result = reconcile(run)
    assert result.acknowledged == 1 and result.ok is ok, result.problems


def test_a_journey_whose_payment_is_not_in_the_ledger_is_lost(tmp_path: Path) -> None:
    result = reconcile(_run(tmp_path, [], [{"journey_id": "j1", "outcome": "success", "payment_intent": "pi_9",
                                           "payment_method": "konbini"}]))
    assert [p["kind"] for p in result.problems] == ["lost"]
