"""`checkout-harness compare RUN_A RUN_B`: the same figures side by side, B checked against A."""

from __future__ import annotations

from pathlib import Path

from .gates import evaluate_regression
from .rundir import read_json
from .summary import build_summary


def _summary(run_dir: Path) -> dict:
    return read_json(run_dir / "summary.json") or build_summary(run_dir)


def compare_runs(a_dir: Path, b_dir: Path) -> tuple[str, bool]:
    a, b = _summary(a_dir), _summary(b_dir)
    plan = (read_json(b_dir / "run.json", {}) or {}).get("plan") or {}
    regression = evaluate_regression(b, a, plan.get("regression") or {}, a_dir.name)
    lines = [f"# {a_dir.name} (A) vs {b_dir.name} (B)", ""]
    a_eps = (a.get("load") or {}).get("endpoints") or {}
    b_eps = (b.get("load") or {}).get("endpoints") or {}
    if a_eps or b_eps:
        lines += ["| endpoint | A p50 | B p50 | A p95 | B p95 | A p99 | B p99 |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name in sorted(set(a_eps) | set(b_eps)):
            cells = []
            for key in ("p50_ms", "p95_ms", "p99_ms"):
                for eps in (a_eps, b_eps):
                    value = (eps.get(name) or {}).get(key)
                    cells.append("-" if value is None else f"{value:.1f}")
            lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
        lines.append("")
    a_vs = (a.get("journeys") or {}).get("variants") or {}
    b_vs = (b.get("journeys") or {}).get("variants") or {}
    if a_vs or b_vs:
        lines += ["| variant | A conversion | B conversion | A median s | B median s |", "|---|---:|---:|---:|---:|"]
        for name in sorted(set(a_vs) | set(b_vs)):
            row = [name]
            for key, scale, fmt in (("conversion", 100, "{:.1f}%"), ("completion_median_s", 1, "{:.1f}")):
                for vs in (a_vs, b_vs):
                    value = (vs.get(name) or {}).get(key)
                    row.append("-" if value is None else fmt.format(value * scale))
            lines.append("| " + " | ".join([row[0], row[1], row[2], row[3], row[4]]) + " |")
        lines.append("")
    lines.append("## B against A")
    for check in regression["checks"]:
        lines.append(f"- {'pass' if check['passed'] else 'FAIL'}: {check['message']}")
    if not regression["checks"]:
        lines.append("- nothing comparable in both runs")
    return "\n".join(lines) + "\n", regression["passed"]
