"""The cohort simulation's results (run_dir/churn/) for reports: per policy, churn and revenue
month by month, totals, reconciliation, and charts of MRR and churn over time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .rundir import read_json


def summarise_churn(run_dir: Path) -> dict[str, Any] | None:
    results = read_json(run_dir / "churn" / "results.json")
    if results is None:
        return None
    policies: dict[str, Any] = {}
    for p in results.get("policies", []):
        if "error" in p:
            policies[p["policy"]] = {"error": p["error"]}
            continue
        months = p.get("months") or []
        cohort = months[0]["cohort"] if months else 0
        final = p.get("final") or {}
        reconciliation = final.get("reconciliation") or {}
        policies[p["policy"]] = {
            "retry_days": p.get("retry_days"),
            "after_retries": p.get("after_retries"),
            "notices": p.get("notices"),
            "involuntary_churn": sum(m["involuntary_churn"] for m in months),
            "voluntary_churn": sum(m["voluntary_churn"] for m in months),
            "involuntary_churn_rate": sum(m["involuntary_churn"] for m in months) / cohort if cohort else None,
            "revenue": sum(m["revenue"] for m in months),
            "recovered_revenue": sum(m["recovered_revenue"] for m in months),
            "recovered_invoices": sum(m["recovered_invoices"] for m in months),
            "failed_invoices": sum(m["failed_invoices"] for m in months),
            "active_end": months[-1]["active_end"] if months else None,
            "mrr_end": months[-1]["mrr_end"] if months else None,
            "reconciliation_ok": reconciliation.get("ok"),
            "reconciliation_problems": reconciliation.get("problem_count"),
            "invoices_checked": reconciliation.get("invoices"),
            "driver": p.get("driver"),
            "seconds": p.get("seconds"),
            "months": months,
        }
    return {
        "subscribers": results.get("subscribers"),
        "months": results.get("months"),
        "seconds": results.get("seconds"),
        "subscriber_months_per_s": results.get("subscriber_months_per_s"),
        "policies": policies,
        "ok": all(v.get("reconciliation_ok") for v in policies.values()),
    }


def churn_charts(churn: dict[str, Any]) -> list[tuple[str, str | None]]:
    from . import charts

    series = {name: p["months"] for name, p in churn["policies"].items() if "months" in p}
    if not series:
        return []
    return [
        ("MRR at the end of each month, per policy", charts.lines_per_policy(series, "mrr_end", "MRR")),
        ("Involuntary churn per month (failed payments not recovered)", charts.lines_per_policy(series, "involuntary_churn", "subscribers")),
        ("Voluntary churn per month", charts.lines_per_policy(series, "voluntary_churn", "subscribers")),
        ("Recovered revenue per month (invoices paid after a failed attempt)", charts.lines_per_policy(series, "recovered_revenue", "amount")),
    ]
