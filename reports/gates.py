"""Gates: SLOs from the scenario, and regression against a baseline run, evaluated on summaries."""

from __future__ import annotations

import operator
from typing import Any

from .stats import conversion_significantly_lower, percent_worse

_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt}
_LATENCY = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms")


def metric_value(summary: dict[str, Any], metric: str, key: str | None) -> Any:
    """The value a gate compares, or None when the run did not measure it."""
    load = summary.get("load") or {}
    journeys = summary.get("journeys") or {}
    if metric in _LATENCY:
        endpoints = load.get("endpoints") or {}
        if key in (None, "*"):
            values = [e.get(metric) for e in endpoints.values() if e.get(metric) is not None]
            return max(values) if values else None
        return (endpoints.get(key) or {}).get(metric)
    if metric in ("error_rate", "achieved_rate", "not_started"):
        return load.get(metric)
    if metric in ("conversion", "completion_median_s"):
        variants = journeys.get("variants") or {}
        if key in (None, "*"):
            values = [v.get(metric) for v in variants.values() if v.get(metric) is not None]
            if not values:
                return None
            return min(values) if metric == "conversion" else max(values)
        return (variants.get(key) or {}).get(metric)
    if metric == "failed_journeys":
        return journeys.get("failed") if journeys else None
    if metric == "integrity":
        integrity = summary.get("integrity")
        return None if integrity is None else bool(integrity.get("ok"))
    if metric in ("webhook_p95_ms", "webhook_failed"):
        hooks = summary.get("webhooks") or {}
        return hooks.get("latency_ms", {}).get("p95") if metric == "webhook_p95_ms" else hooks.get("failed")
    if metric == "receipt_p95_s":
        return (summary.get("mail") or {}).get("receipt_p95_s")
    if metric in ("involuntary_churn_rate", "churn_reconciled"):
        churn = summary.get("churn")
        if not churn:
            return None
        if metric == "churn_reconciled":
            return bool(churn.get("ok"))
        rates = {k: p.get("involuntary_churn_rate") for k, p in churn["policies"].items() if p.get("involuntary_churn_rate") is not None}
        return (max(rates.values()) if rates else None) if key in (None, "*") else rates.get(key)
    return None


def evaluate_gates(gates: list[dict[str, Any]], summary: dict[str, Any]) -> list[dict[str, Any]]:
    results = []
    for gate in gates:
        value = metric_value(summary, gate["metric"], gate.get("key"))
        if value is None:
            passed, message = False, f"{gate['expression']}: not measured in this run"
        else:
            passed = bool(_OPS[gate["op"]](value, gate["threshold"]))
            shown = f"{value:.4g}" if isinstance(value, float) else str(value).lower() if isinstance(value, bool) else str(value)
            message = f"{gate['expression']}: measured {shown}" + ("" if passed else " -- FAILED")
        results.append({**gate, "name": gate["expression"], "value": value, "passed": passed, "message": message})
    return results


def evaluate_regression(summary: dict[str, Any], baseline: dict[str, Any], policy: dict[str, Any], baseline_id: str) -> dict[str, Any]:
    """Compare with a baseline run: latency not more than N% worse, conversion not significantly lower."""
    checks: list[dict[str, Any]] = []
    metric = policy.get("latency_metric", "p95_ms")
    worse_pct = policy.get("latency_worse_pct")
    now_eps = (summary.get("load") or {}).get("endpoints") or {}
    base_eps = (baseline.get("load") or {}).get("endpoints") or {}
    if worse_pct is not None:
        for endpoint in sorted(set(now_eps) & set(base_eps)):
            b, v = base_eps[endpoint].get(metric), now_eps[endpoint].get(metric)
            if b is None or v is None:
                continue
            pct = percent_worse(b, v)
            passed = pct <= worse_pct
            checks.append({
                "name": f"{metric}[{endpoint}] not more than {worse_pct:g}% worse",
                "baseline": b, "value": v, "passed": passed,
                "message": f"{metric} {endpoint}: {b:.1f} -> {v:.1f} ms ({pct:+.1f}%)" + ("" if passed else " -- REGRESSION"),
            })
    if policy.get("conversion_significantly_lower", True):
        now_vs = (summary.get("journeys") or {}).get("variants") or {}
        base_vs = (baseline.get("journeys") or {}).get("variants") or {}
        for variant in sorted(set(now_vs) & set(base_vs)):
            b, v = base_vs[variant], now_vs[variant]
            lower = conversion_significantly_lower(b["conversions"], b["journeys"], v["conversions"], v["journeys"], alpha=policy.get("alpha", 0.05))
            checks.append({
                "name": f"conversion[{variant}] not significantly lower",
                "baseline": b.get("conversion"), "value": v.get("conversion"), "passed": not lower,
                "message": f"conversion {variant}: {_pct(b.get('conversion'))} -> {_pct(v.get('conversion'))}"
                           + (" -- significantly lower" if lower else ""),
            })
    return {"baseline": baseline_id, "checks": checks, "passed": all(c["passed"] for c in checks)}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"
