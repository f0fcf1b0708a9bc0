"""Synthetic run directories for testing reports without running anything."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def make_run_dir(
    root: Path,
    name: str = "synthetic",
    *,
    conversions: dict[str, tuple[int, int]] | None = None,
    p99_confirm_ms: float = 120.0,
    gates: list[dict[str, Any]] | None = None,
    complete: bool = True,
    seed: int = 3,
) -> Path:
    rng = random.Random(seed)
    run_dir = root / name
    run_dir.mkdir(parents=True)
    conversions = conversions or {"baseline": (30, 50), "inline-best": (40, 50)}
    (run_dir / "run.json").write_text(json.dumps({
        "name": name, "seed": seed, "scenario_file": "synthetic.toml", "started_at": 0, "ended_at": 20, "duration_s": 20.0,
        "complete": complete, "incomplete_reason": None if complete else "interrupted (SIGINT)",
        "plan": {"journeys": {"variants": list(conversions)}, "gates": gates or [], "regression": {"latency_worse_pct": 10}},
    }))
    journeys = []
    for variant, (wins, n) in conversions.items():
        for i in range(n):
            ok = i < wins
            journeys.append({
                "journey_id": f"{variant}-{i}", "variant": variant, "persona": "desktop-typical",
                "outcome": "success" if ok else "abandoned", "ended_step": None if ok else "payment",
                "ended_field": None if ok else "card_number", "reason": None if ok else "too_many_errors",
                "human_ms": rng.uniform(30_000, 90_000), "system_ms": rng.uniform(800, 4000),
                "fields": {"card_number": {"keystrokes": 20, "errors_made": 1, "errors_shown": 1, "errors_noticed": 1 if ok else 0,
                                           "errors_unnoticed": 0 if ok else 1, "time_to_fix_ms": [4000] if ok else []}},
                "declines": [], "payment_intent": f"pi_{variant}_{i}" if ok else None,
            })
    _jsonl(run_dir / "journeys.jsonl", journeys)
    endpoints = {"POST /v1/payment_intents": 60.0, "POST /v1/payment_intents/{id}/confirm": p99_confirm_ms}
    rows = []
    for t in range(20):
        for endpoint, p99 in endpoints.items():
            rows.append({"t": t, "endpoint": endpoint, "count": 10, "errors": 1 if t == 12 else 0, "offered": 10,
                         "p50_ms": p99 / 3, "p90_ms": p99 / 2, "p95_ms": p99 * 0.8, "p99_ms": p99, "p999_ms": p99 * 1.2, "max_ms": p99 * 1.5})
    _jsonl(run_dir / "load" / "timeseries.jsonl", rows)
    _jsonl(run_dir / "load" / "faults.jsonl", [{"t": 10, "profile": "slow-confirm"}, {"t": 15, "profile": "none"}])
    (run_dir / "load" / "summary.json").write_text(json.dumps({
        "model": "open", "shape": {"kind": "ramp"}, "duration_s": 20, "offered_rate": 20.0, "achieved_rate": 19.8,
        "not_started": 0, "requests": 400, "failures": 2,
        "endpoints": {e: {"count": 200, "errors": 1, "p50_ms": p / 3, "p90_ms": p / 2, "p95_ms": p * 0.8, "p99_ms": p,
                          "p999_ms": p * 1.2, "max_ms": p * 1.5, "mean_ms": p / 3} for e, p in endpoints.items()},
        "errors_by_kind": {"http_503": 2, "card_declined": 7},
    }))
    (run_dir / "reconciliation.json").write_text(json.dumps({
        "ok": True, "checked_intents": 70, "acknowledged": 70, "unknown_outcomes": 0, "problems": [],
        "totals": {"jpy": {"captured": 100, "refunded": 0, "net": 100}}}))
    return run_dir
