"""Payments by method and channel (reports/payments.py), from a ledger export."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.build import build_reports
from reports.payments import summarise_payments


def _write(run_dir: Path, name: str, rows: list[dict]) -> None:
    (run_dir / "ledger").mkdir(parents=True, exist_ok=True)
    (run_dir / "ledger" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _pi(i: int, method: str, status: str, *, channel: str | None = None, amount: int = 1000, created: int = 100) -> dict:
    return {"id": f"pi_{i}", "object": "payment_intent", "amount": amount, "amount_received": amount if status == "succeeded" else 0,
            "currency": "jpy", "status": status, "payment_method_types": [method], "created": created,
            "latest_charge": None, "metadata": {"channel": channel} if channel else {}}


def test_split_by_method_and_channel_with_declines_refunds_and_settlement(tmp_path: Path) -> None:
    intents = [
        _pi(1, "card", "succeeded", channel="web"),
        _pi(2, "card", "requires_payment_method", channel="mobile_web"),
        _pi(3, "konbini", "succeeded", created=100),
        _pi(4, "konbini", "canceled"),
        _pi(5, "konbini", "requires_action"),
        _pi(6, "card", "succeeded"),
    ]
    intents[0]["latest_charge"] = "ch_1"
    _write(tmp_path, "payment_intents", intents)
    _write(tmp_path, "charges", [
        {"id": "ch_0", "payment_intent": "pi_1", "status": "failed", "failure_code": "card_declined",
         "outcome": {"reason": "insufficient_funds"}, "payment_method_details": {"type": "card"}},
        {"id": "ch_1", "payment_intent": "pi_1", "status": "succeeded", "payment_method_details": {"type": "card"}},
        {"id": "ch_2", "payment_intent": "pi_2", "status": "failed", "failure_code": "expired_card", "outcome": {},
         "payment_method_details": {"type": "card"}},
    ])
    _write(tmp_path, "refunds", [{"id": "re_1", "payment_intent": "pi_1", "amount": 400, "currency": "jpy", "status": "succeeded"}])
    _write(tmp_path, "checkout_sessions", [{"id": "cs_1", "payment_intent": "pi_6", "metadata": {"channel": "mobile_web"}}])
    _write(tmp_path, "events", [
        {"type": "payment_intent.succeeded", "created": 460, "data": {"object": {"id": "pi_3"}}},
        {"type": "payment_intent.succeeded", "created": 900, "data": {"object": {"id": "pi_3"}}},  # a repeat: the first counts
    ])
    p = summarise_payments(tmp_path)
    card, konbini = p["by_method"]["card"], p["by_method"]["konbini"]
    assert (card["attempts"], card["succeeded"], card["unpaid"]) == (3, 2, 1)
    assert card["declines"] == {"insufficient_funds": 1, "expired_card": 1}
    assert (card["declined_payments"], card["recovered_after_decline"]) == (2, 1)
    assert card["refunds"] == 1 and card["amounts"]["jpy"] == {"succeeded": 2000, "refunded": 400}
    assert "settlement" not in card
    assert konbini["settlement"] == {"settled": 1, "expired": 1, "pending": 1, "median_time_to_settle_s": 360.0,
                                     "max_time_to_settle_s": 360.0}
    assert {c: g["attempts"] for c, g in p["by_channel"].items()} == {"web": 1, "mobile_web": 2, "not recorded": 3}


def test_no_ledger_no_payments_section(tmp_path: Path) -> None:
    assert summarise_payments(tmp_path) is None


_STATUSES = ("succeeded", "requires_action", "requires_payment_method", "canceled", "processing", "requires_capture")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("card", "konbini", "paypal", "customer_balance")), st.sampled_from(_STATUSES),
                          st.sampled_from((None, "web", "app")), st.integers(1, 10**6)), min_size=1, max_size=40))
def test_groups_add_up_to_the_ledger(tmp_path_factory, rows) -> None:
    run_dir = tmp_path_factory.mktemp("ledger")
    _write(run_dir, "payment_intents", [_pi(i, m, s, channel=c, amount=a) for i, (m, s, c, a) in enumerate(rows)])
    p = summarise_payments(run_dir)
    for split in ("by_method", "by_channel"):
        groups = p[split].values()
        assert sum(g["attempts"] for g in groups) == len(rows)
        assert sum(g["succeeded"] for g in groups) == sum(1 for r in rows if r[1] == "succeeded")
        assert sum(g["amounts"].get("jpy", {}).get("succeeded", 0) for g in groups) == sum(r[3] for r in rows if r[1] == "succeeded")
        for g in groups:
            assert g["succeeded"] + g["waiting"] + g["unpaid"] + g["canceled"] + g["requires_capture"] == g["attempts"]
            low, high = g["conversion_ci"]
            assert low <= g["conversion"] <= high


def test_reports_show_the_split(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"name": "p", "complete": True, "plan": {}}))
    _write(tmp_path, "payment_intents", [_pi(1, "konbini", "requires_action", channel="app"), _pi(2, "card", "succeeded")])
    build_reports(tmp_path)
    html = (tmp_path / "report.html").read_text()
    md = (tmp_path / "summary.md").read_text()
    assert "Payments by method and channel" in html and "Methods that settle later" in html
    assert "| konbini | 1 | 0 | 0.0% | 1 |" in md and "| app | 1 |" in md
    assert json.loads((tmp_path / "summary.json").read_text())["payments"]["by_method"]["card"]["succeeded"] == 1
