"""Charts as inline SVG (matplotlib), so report.html needs no network and no script to show them."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "svg.fonttype": "none",  # text stays text: smaller files, selectable labels
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
})
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#db2777"]


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _shade_faults(ax: plt.Axes, faults: list[dict[str, Any]], end: float) -> None:
    """Fault windows from load/faults.jsonl: each change lasts until the next one."""
    changes = sorted(faults, key=lambda f: f.get("t", 0))
    for i, change in enumerate(changes):
        start = change.get("t", 0)
        stop = changes[i + 1].get("t", end) if i + 1 < len(changes) else end
        name = change.get("profile") or change.get("name") or "fault"
        if name in ("none", None):
            continue
        ax.axvspan(start, stop, color="#f59e0b", alpha=0.15, lw=0)
        ax.text(start, 1.0, f" {name}", transform=ax.get_xaxis_transform(), va="top", fontsize=8, color="#92400e")


def latency_over_time(timeseries: list[dict[str, Any]], faults: list[dict[str, Any]]) -> str | None:
    if not timeseries:
        return None
    by_endpoint: dict[str, list[dict]] = defaultdict(list)
    for row in timeseries:
        by_endpoint[row["endpoint"]].append(row)
    endpoints = sorted(by_endpoint, key=lambda e: -sum(r.get("count", 0) for r in by_endpoint[e]))[:6]
    fig, axes = plt.subplots(len(endpoints), 1, figsize=(9, 2.1 * len(endpoints)), sharex=True, squeeze=False)
    end = max(r["t"] for r in timeseries) + 1
    for ax, endpoint in zip(axes[:, 0], endpoints):
        rows = sorted(by_endpoint[endpoint], key=lambda r: r["t"])
        t = [r["t"] for r in rows]
        for key, color, label in (("p50_ms", PALETTE[0], "p50"), ("p95_ms", PALETTE[4], "p95"), ("p99_ms", PALETTE[1], "p99"), ("max_ms", "#9ca3af", "max")):
            ax.plot(t, [r.get(key) for r in rows], color=color, lw=1.3 if key != "max_ms" else 0.8, label=label)
        ax.set_title(endpoint, loc="left", fontsize=9)
        ax.set_ylabel("ms")
        _shade_faults(ax, faults, end)
    axes[0, 0].legend(loc="upper right", ncols=4, fontsize=8, frameon=False)
    axes[-1, 0].set_xlabel("seconds since start")
    return _svg(fig)


def throughput_over_time(timeseries: list[dict[str, Any]], faults: list[dict[str, Any]]) -> str | None:
    if not timeseries:
        return None
    count: dict[int, int] = defaultdict(int)
    errors: dict[int, int] = defaultdict(int)
    offered: dict[int, float] = defaultdict(float)
    for row in timeseries:
        count[row["t"]] += row.get("count", 0)
        errors[row["t"]] += row.get("errors", 0)
        if row.get("offered") is not None:
            offered[row["t"]] = max(offered[row["t"]], row["offered"])
    t = sorted(count)
    fig, ax = plt.subplots(figsize=(9, 2.8))
    ax.plot(t, [count[s] for s in t], color=PALETTE[0], label="requests/s")
    ax.plot(t, [errors[s] for s in t], color=PALETTE[1], label="errors/s")
    if offered:
        ax.plot(t, [offered.get(s, float("nan")) for s in t], color="#6b7280", ls="--", lw=1, label="arrivals offered/s")
    ax.set_xlabel("seconds since start")
    ax.legend(loc="upper right", ncols=3, fontsize=8, frameon=False)
    _shade_faults(ax, faults, max(t) + 1)
    return _svg(fig)


def conversion_by_variant(variants: dict[str, dict[str, Any]]) -> str | None:
    names = [n for n, v in variants.items() if v.get("conversion") is not None]
    if not names:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.55 * len(names)))
    for i, name in enumerate(names):
        v = variants[name]
        low, high = v["conversion_ci"]
        ax.errorbar(v["conversion"] * 100, i, xerr=[[v["conversion"] * 100 - low * 100], [high * 100 - v["conversion"] * 100]],
                    fmt="o", color=PALETTE[i % len(PALETTE)], capsize=4)
        ax.text(high * 100 + 1, i, f"{v['conversion'] * 100:.1f}%  (n={v['journeys']})", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, 110)
    ax.invert_yaxis()
    ax.set_xlabel("conversion, % (95% Wilson interval)")
    return _svg(fig)


def completion_by_variant(records_by_variant: dict[str, list[float]]) -> str | None:
    names = [n for n, times in records_by_variant.items() if times]
    if not names:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.6 * len(names)))
    ax.boxplot([records_by_variant[n] for n in names], orientation="horizontal", widths=0.5, showfliers=True,
               medianprops={"color": PALETTE[1]}, flierprops={"markersize": 3})
    ax.set_yticks(range(1, len(names) + 1), names)
    ax.invert_yaxis()
    ax.set_xlabel("completion time of converted journeys, s (human + system)")
    return _svg(fig)


def funnel(variants: dict[str, dict[str, Any]]) -> str | None:
    places = sorted({p for v in variants.values() for p in (v.get("abandoned") or {})})
    if not places:
        return None
    names = list(variants)
    fig, ax = plt.subplots(figsize=(9, 0.8 + 0.35 * len(places) * len(names) / max(1, len(names)) + 0.3 * len(places)))
    height = 0.8 / len(names)
    for i, name in enumerate(names):
        counts = [(variants[name].get("abandoned") or {}).get(p, 0) / max(1, variants[name]["journeys"]) * 100 for p in places]
        ax.barh([k + i * height for k in range(len(places))], counts, height=height, label=name, color=PALETTE[i % len(PALETTE)])
    ax.set_yticks([k + height * (len(names) - 1) / 2 for k in range(len(places))], places)
    ax.invert_yaxis()
    ax.set_xlabel("% of journeys that ended there without paying (step / field)")
    ax.legend(fontsize=8, frameon=False)
    return _svg(fig)


def error_recovery(variants: dict[str, dict[str, Any]]) -> str | None:
    names = list(variants)
    if not any(variants[n].get("errors_made") for n in names):
        return None
    kinds = [("errors_made", "made"), ("errors_shown", "shown by the page"), ("errors_noticed", "noticed"), ("errors_unnoticed", "never noticed")]
    fig, ax = plt.subplots(figsize=(9, 2.8))
    width = 0.8 / len(kinds)
    for k, (key, label) in enumerate(kinds):
        ax.bar([i + k * width for i in range(len(names))],
               [variants[n].get(key, 0) / max(1, variants[n]["journeys"]) for n in names], width=width, label=label,
               color=PALETTE[k])
    ax.set_xticks([i + width * (len(kinds) - 1) / 2 for i in range(len(names))], names)
    ax.set_ylabel("per journey")
    ax.legend(fontsize=8, frameon=False, ncols=4)
    return _svg(fig)


def conversion_against_latency(journeys: list[dict[str, Any]]) -> str | None:
    """Journeys bucketed by the system time they met (page loads and gateway calls)."""
    counted = [j for j in journeys if j.get("outcome") != "failed" and j.get("system_ms") is not None]
    if len(counted) < 8:
        return None
    counted.sort(key=lambda j: j["system_ms"])
    buckets = min(6, max(2, len(counted) // 8))
    size = len(counted) / buckets
    xs, ys, ns = [], [], []
    for b in range(buckets):
        chunk = counted[int(b * size): int((b + 1) * size)]
        if not chunk:
            continue
        xs.append(sum(j["system_ms"] for j in chunk) / len(chunk) / 1000)
        ys.append(sum(1 for j in chunk if j.get("outcome") == "success") / len(chunk) * 100)
        ns.append(len(chunk))
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    ax.plot(xs, ys, "o-", color=PALETTE[0])
    for x, y, n in zip(xs, ys, ns):
        ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    ax.set_xlabel("mean system time per journey, s (page loads + gateway)")
    ax.set_ylabel("conversion, %")
    ax.set_ylim(0, 105)
    return _svg(fig)


def lines_per_policy(series: dict[str, list[dict[str, Any]]], key: str, ylabel: str) -> str | None:
    """One line per policy over the simulated months (the churn report)."""
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(9, 2.8))
    for i, (name, rows) in enumerate(series.items()):
        ax.plot([r["month"] for r in rows], [r.get(key) or 0 for r in rows], marker="o", ms=3, lw=1.5,
                color=PALETTE[i % len(PALETTE)], label=name)
    ax.set_xlabel("month")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize=8, frameon=False)
    return _svg(fig)


def payments_by_group(groups: dict[str, dict[str, Any]], label: str) -> str | None:
    """One bar per payment method (or channel): paid, still waiting, unpaid, canceled or expired."""
    names = [n for n, g in groups.items() if g.get("attempts")]
    if not names:
        return None
    parts = [("succeeded", "paid", "#16a34a"), ("waiting", "waiting (slip, transfer, QR, 3-D Secure)", "#eab308"),
             ("unpaid", "declined / unpaid", "#dc2626"), ("canceled", "canceled or expired", "#6b7280")]
    fig, ax = plt.subplots(figsize=(6.5, 0.8 + 0.45 * len(names)))
    left = [0.0] * len(names)
    for key, legend, colour in parts:
        values = [float(groups[n].get(key) or 0) for n in names]
        ax.barh(range(len(names)), values, left=left, color=colour, label=legend)
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(f"payments per {label}")
    ax.legend(fontsize=7, loc="lower right")
    return _svg(fig)
