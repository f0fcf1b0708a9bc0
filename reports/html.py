"""report.html: one self-contained file (inline CSS and SVG charts, no network) people like to read."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, Undefined, select_autoescape

from . import charts
from .explain import format_difference, overview_row
from .journeys import completion_s
from .money import money
from .rundir import read_jsonl

_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape())


def _fmt(x: Any, digits: int = 1) -> str:
    """A figure, or a dash when it was not measured (None, or a key a cut-short run never wrote)."""
    return "—" if x is None or isinstance(x, Undefined) else f"{x:,.{digits}f}"


def _pct(x: Any) -> str:
    return "—" if x is None or isinstance(x, Undefined) else f"{x * 100:.1f}%"


def _show(x: Any) -> str:
    if x is None:
        return "not measured"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return f"{x:,.4g}"
    return str(x)


def _val(x: Any, unit: str = "", scale: float = 1.0, digits: int = 1) -> str:
    return "—" if x is None else f"{x * scale:,.{digits}f}{unit}"


def report_html(run_dir: Path, summary: dict[str, Any]) -> str:
    journeys = list(read_jsonl(run_dir / "journeys.jsonl"))
    timeseries = list(read_jsonl(run_dir / "load" / "timeseries.jsonl"))
    faults = list(read_jsonl(run_dir / "load" / "faults.jsonl"))
    journey_charts: list[tuple[str, str | None]] = []
    if summary.get("journeys"):
        variants = summary["journeys"]["variants"]
        times: dict[str, list[float]] = defaultdict(list)
        for j in journeys:
            if j.get("outcome") == "success":
                times[j.get("variant", "?")].append(completion_s(j))
        journey_charts = [
            ("Conversion per variant", charts.conversion_by_variant(variants)),
            ("Completion time per variant", charts.completion_by_variant({v: times.get(v, []) for v in variants})),
            ("Where shoppers gave up", charts.funnel(variants)),
            ("Input errors: made, shown, noticed", charts.error_recovery(variants)),
            ("Conversion against the latency shoppers met", charts.conversion_against_latency(journeys)),
        ]
    load_charts: list[tuple[str, str | None]] = []
    if summary.get("load"):
        load_charts = [
            ("Latency percentiles over time (shaded: injected faults)", charts.latency_over_time(timeseries, faults)),
            ("Throughput and errors over time", charts.throughput_over_time(timeseries, faults)),
        ]
    payment_charts: list[tuple[str, str | None]] = []
    if summary.get("payments"):
        payment_charts = [
            ("Payments by method", charts.payments_by_group(summary["payments"]["by_method"], "method")),
            ("Payments by channel", charts.payments_by_group(summary["payments"]["by_channel"], "channel")),
        ]
    from .churn import churn_charts

    return _env.get_template("report.html").render(
        s=summary, journey_charts=journey_charts, load_charts=load_charts, payment_charts=payment_charts,
        fmt=_fmt, pct=_pct, money=money, show=_show, diff=format_difference, val=_val, overview_row=overview_row,
        churn_charts=churn_charts(summary["churn"]) if summary.get("churn") else [],
    )
