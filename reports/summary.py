"""summary.json: the run's figures in stable, documented keys (docs/run-directory.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .churn import summarise_churn
from .gates import evaluate_gates, evaluate_regression
from .journeys import summarise_journeys
from .payments import summarise_payments
from .rundir import read_json, read_jsonl

SCHEMA = "checkout-harness/summary/1"


def build_summary(run_dir: Path, baseline_dir: Path | None = None) -> dict[str, Any]:
    run = read_json(run_dir / "run.json", {}) or {}
    plan = run.get("plan") or {}
    # While the reports are built run.json says "not complete yet"; what the measuring ended with
    # is in `measured` (run.json gets `complete` only once the reports are written).
    measured = run.get("measured") or run
    summary: dict[str, Any] = {
        "schema": SCHEMA,
        "run": {
            "id": run_dir.name,
            "name": run.get("name"),
            "scenario_file": run.get("scenario_file"),
            "seed": run.get("seed"),
            "started_at": run.get("started_at"),
            "ended_at": run.get("ended_at"),
            "duration_s": run.get("duration_s"),
            "complete": bool(measured.get("complete")),
            "incomplete_reason": measured.get("incomplete_reason"),
            "failure": run.get("failure"),
            "failures": run.get("failures") or [],
            "target": run.get("target"),
        },
        "load": _load(run_dir),
        "journeys": summarise_journeys(
            read_jsonl(run_dir / "journeys.jsonl"), (plan.get("journeys") or {}).get("variants"), seed=run.get("seed") or 0
        ),
        "payments": summarise_payments(run_dir),
        "integrity": read_json(run_dir / "reconciliation.json"),
        "webhooks": read_json(run_dir / "webhooks" / "stats.json"),
        "mail": read_json(run_dir / "mail" / "stats.json"),
        "churn": summarise_churn(run_dir),
    }
    summary["gates"] = evaluate_gates(plan.get("gates") or [], summary)
    summary["regression"] = None
    if baseline_dir is not None:
        baseline = read_json(baseline_dir / "summary.json")
        if baseline is None:
            baseline = build_summary(baseline_dir)
        summary["regression"] = evaluate_regression(summary, baseline, plan.get("regression") or {}, baseline_dir.name)
    summary["passed"] = (
        summary["run"]["complete"]
        and all(g["passed"] for g in summary["gates"])
        and (summary["regression"] is None or summary["regression"]["passed"])
    )
    return summary


def _load(run_dir: Path) -> dict[str, Any] | None:
    load = read_json(run_dir / "load" / "summary.json")
    if load is None:
        return None
    load = dict(load)
    if load.get("incomplete") and not load.get("requests"):
        load.update(_counts_from_timeseries(run_dir / "load" / "timeseries.jsonl") or _counts_from_progress(run_dir / "load"))
    requests = load.get("requests") or 0
    load.setdefault("error_rate", (load.get("failures") or 0) / requests if requests else 0.0)
    shape = load.get("shape")
    load["shape_name"] = (shape.get("kind") or shape.get("name")) if isinstance(shape, dict) else shape
    return load


_PERCENTILE_KEYS = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "mean_ms")


def _counts_from_timeseries(path: Path) -> dict[str, Any]:
    """When the load process died before its summary (a full disk, a crash): the counts it wrote
    second by second. Percentiles are left out (they would need every second's histogram)."""
    endpoints: dict[str, dict[str, Any]] = {}
    requests = failures = 0
    for line in read_jsonl(path):
        name, count, errors = line.get("endpoint"), int(line.get("count") or 0), int(line.get("errors") or 0)
        if name == "ALL":
            requests += count
            failures += errors
        elif name:
            e = endpoints.setdefault(name, {"count": 0, "errors": 0, **{k: None for k in _PERCENTILE_KEYS}, "max_ms": None})
            e["count"] += count
            e["errors"] += errors
            if line.get("max_ms") is not None:
                e["max_ms"] = max(e["max_ms"] or 0.0, float(line["max_ms"]))
    if not requests:
        return {}
    return {"requests": requests, "failures": failures, "endpoints": endpoints, "recovered_from": "load/timeseries.jsonl"}


def _counts_from_progress(load_dir: Path) -> dict[str, Any]:
    """Failing the timeseries, the load's last progress.json (written every second, atomically)."""
    progress = read_json(load_dir / "progress.json") or {}
    if not progress.get("requests"):
        return {}
    return {"requests": int(progress["requests"]), "failures": int(progress.get("failures") or 0),
            "recovered_from": "load/progress.json"}
