"""summary.md: the run in a few lines, for a CI comment or a chat message."""

from __future__ import annotations

from typing import Any

from .explain import format_difference, overview_row
from .money import money


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None, unit: str = "") -> str:
    return "n/a" if x is None else f"{x:,.1f}{unit}"


def _diff(row: dict[str, Any] | None, unit: str = "", scale: float = 1.0, digits: int = 1) -> str:
    """format_difference, in bold when the interval excludes no difference."""
    text = format_difference(row, unit, scale, digits)
    return f"**{text}**" if row and row.get("conclusive") and row.get("difference") is not None else text


def _v(x: float | None, scale: float = 1.0, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x * scale:,.{digits}f}"


def overview_markdown(explained: list[dict[str, Any]]) -> list[str]:
    """Every design against the baseline on one line each: paired differences and biggest parts."""
    if not explained:
        return []
    lines = [f"#### Each design against {explained[0]['baseline']}, at a glance", "",
             "| design | conversion, points | completion time, s (mean) | errors shown / shopper | biggest parts of the time difference | who left more (or fewer) |",
             "|---|---|---|---|---|---|"]
    for e in explained:
        o = overview_row(e)
        lines.append(f"| {o['pair']} | {_diff(o['conversion'], '', 100)} | {_diff(o['time'], ' s')} | "
                     f"{_diff(o['errors_shown'], digits=2)} | {o['time_parts']} | {o['left_parts']} |")
    lines += ["", "Paired by shopper where the same people went through both; bold: the 95% interval excludes 0.", ""]
    return lines


def explanation_markdown(e: dict[str, Any]) -> list[str]:
    """One pair's mechanism breakdown: its sentences, then one table, biggest parts first."""
    base, cand = e["baseline"], e["candidate"]
    lines = [f"#### Why {cand} differs from {base}", ""]
    lines += [f"- {s}" for s in e["sentences"]]
    how = (f"paired: the same {e['people']} shoppers in both" if e["paired"]
           else f"not paired: {e['journeys'][0]} and {e['journeys'][1]} journeys compared as independent samples")
    lines += ["", f"Differences are {cand} minus {base} with 95% intervals ({how}); bold: the interval excludes 0.", "",
              f"| mechanism | {base} | {cand} | difference [95% CI] |", "|---|---:|---:|---|"]
    time = e["time"]
    if time["recorded"]:
        t = time["total"]
        lines.append(f"| **completion time, s** ({time['scope']}) | {_v(t['baseline'])} | {_v(t['candidate'])} | {_diff(t, ' s')} |")
        for g in time["groups"]:
            if g["key"] == "errors":
                lines.append(f"| {g['label']} | {_v(g['baseline'])} | {_v(g['candidate'])} | {_diff(g, ' s')} |")
        for r in time["components"]:
            if max(abs(r["difference"] or 0), abs(r["baseline"] or 0), abs(r["candidate"] or 0)) >= 0.05:
                lines.append(f"| &nbsp;&nbsp;{r['label']} | {_v(r['baseline'])} | {_v(r['candidate'])} | {_diff(r, ' s')} |")
    lines.append("| **errors per shopper** | | | |")
    for r in e["errors"]["measures"]:
        if r["recorded"]:
            lines.append(f"| &nbsp;&nbsp;{r['label']} | {_v(r['baseline'], digits=2)} | {_v(r['candidate'], digits=2)} | {_diff(r, digits=2)} |")
        else:
            lines.append(f"| &nbsp;&nbsp;{r['label']} | | | not recorded |")
    leaving = e["leaving"]
    left = leaving["left"]
    lines.append(f"| **did not convert, %** | {_v(left['baseline'], 100)} | {_v(left['candidate'], 100)} | {_diff(left, ' pts', 100)} |")
    for r in leaving["reasons"]:
        lines.append(f"| &nbsp;&nbsp;left over {r['label']} | {_v(r['baseline'], 100)} | {_v(r['candidate'], 100)} | {_diff(r, ' pts', 100)} |")
    effort = leaving["effort"]
    if effort.get("recorded"):
        lines.append(f"| effort met by the end | {_v(effort['baseline'], digits=2)} | {_v(effort['candidate'], digits=2)} | {_diff(effort, digits=2)} |")
        for r in effort.get("components", []):
            if max(abs(r["baseline"] or 0), abs(r["candidate"] or 0), abs(r["difference"] or 0)) >= 0.005:
                lines.append(f"| &nbsp;&nbsp;effort from {r['label']} | {_v(r['baseline'], digits=2)} | {_v(r['candidate'], digits=2)} | {_diff(r, digits=2)} |")
    lines.append("")
    return lines


def summary_markdown(summary: dict[str, Any]) -> str:
    run = summary["run"]
    verdict = "PASSED" if summary["passed"] else "FAILED"
    lines = [f"## checkout-harness: {run.get('name')} — {verdict}", ""]
    if not run["complete"]:
        lines += [f"> **Incomplete run**: {run.get('incomplete_reason')}. Figures cover what was measured before it stopped.", ""]
    lines.append(f"Run `{run['id']}`, seed {run.get('seed')}, {_num(run.get('duration_s'), ' s')}.")
    lines.append("")
    load = summary.get("load")
    if load:
        lines += [
            f"### Load ({load.get('model')} model, shape {load.get('shape_name')})",
            "",
            f"Offered {_num(load.get('offered_rate'))} req/s, achieved {_num(load.get('achieved_rate'))} req/s, "
            f"{load.get('requests', 0):,} requests, error rate {_pct(load.get('error_rate'))}, "
            f"{load.get('not_started', 0)} arrivals not started.",
            "",
            "| endpoint | count | errors | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, e in sorted((load.get("endpoints") or {}).items()):
            lines.append(f"| `{name}` | {e.get('count', 0):,} | {e.get('errors', 0):,} | {_num(e.get('p50_ms'))} | "
                         f"{_num(e.get('p95_ms'))} | {_num(e.get('p99_ms'))} | {_num(e.get('max_ms'))} |")
        lines.append("")
    journeys = summary.get("journeys")
    if journeys:
        lines += [
            f"### Journeys ({journeys['total']} simulated shoppers, {journeys['failed']} failed technically)",
            "",
            "| variant | journeys | conversion [95% CI] | median completion [95% CI] | errors shown / journey | never noticed |",
            "|---|---:|---|---|---:|---:|",
        ]
        for name, v in journeys["variants"].items():
            ci = v.get("conversion_ci") or [None, None]
            tci = v.get("completion_ci")
            lines.append(
                f"| {name} | {v['journeys']} | {_pct(v['conversion'])} [{_pct(ci[0])}, {_pct(ci[1])}] | "
                f"{_num(v.get('completion_median_s'), ' s')}" + (f" [{_num(tci[0])}, {_num(tci[1])}]" if tci else "")
                + f" | {_num(v.get('errors_shown_per_journey'))} | {v.get('errors_unnoticed', 0)} |"
            )
        lines.append("")
        for c in journeys.get("comparisons", []):
            lines.append(f"- {c['sentence']}")
            if c.get("time_sentence"):
                lines.append(f"- {c['time_sentence']}")
        lines.append("")
        lines += overview_markdown([c["explanation"] for c in journeys.get("comparisons", []) if c.get("explanation")])
        for c in journeys.get("comparisons", []):
            if c.get("explanation"):
                lines += explanation_markdown(c["explanation"])
    churn = summary.get("churn")
    if churn:
        lines += [
            f"### Subscriptions ({churn['subscribers']:,} subscribers, {churn['months']} months, per dunning policy)",
            "",
            "| policy | involuntary churn | voluntary churn | recovered invoices | recovered revenue | MRR at end | ledger |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for name, p in churn["policies"].items():
            if "error" in p:
                lines.append(f"| {name} | failed: {p['error']} | | | | | |")
                continue
            lines.append(f"| {name} | {p['involuntary_churn']:,} ({_pct(p['involuntary_churn_rate'])}) | {p['voluntary_churn']:,} | "
                         f"{p['recovered_invoices']:,} / {p['failed_invoices']:,} | {p['recovered_revenue']:,} | "
                         f"{_num(p['mrr_end'])} | {'reconciled' if p['reconciliation_ok'] else str(p['reconciliation_problems']) + ' problems'} |")
        lines.append("")
    lines += _payments(summary.get("payments"))
    integrity = summary.get("integrity")
    if integrity is not None:
        if integrity["ok"]:
            lines.append(f"**Integrity**: {integrity['acknowledged']} acknowledged payments all in the ledger as told; "
                         "nothing lost, duplicated or stuck.")
        else:
            lines.append(f"**Integrity**: {len(integrity['problems'])} problem(s):")
            for p in integrity["problems"][:20]:
                lines.append(f"- {p['kind']}: `{p.get('intent')}` {p['detail']}")
        lines.append("")
    if summary.get("gates"):
        lines += ["### Gates", ""]
        for g in summary["gates"]:
            lines.append(f"- {'✅' if g['passed'] else '❌'} {g['message']}")
        lines.append("")
    regression = summary.get("regression")
    if regression:
        lines += [f"### Against baseline `{regression['baseline']}`", ""]
        for c in regression["checks"]:
            lines.append(f"- {'✅' if c['passed'] else '❌'} {c['message']}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _payments(payments: dict[str, Any] | None) -> list[str]:
    """Payments by method and by channel, from the ledger."""
    if not payments:
        return []
    lines: list[str] = []
    for title, groups in (("method", payments["by_method"]), ("channel", payments["by_channel"])):
        lines += [f"### Payments by {title}", "",
                  f"| {title} | attempts | paid | conversion | waiting | declined (recovered) | refunds | paid amount |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for name, g in groups.items():
            amounts = ", ".join(money(a["succeeded"], c) for c, a in g["amounts"].items()) or "-"
            lines.append(f"| {name} | {g['attempts']:,} | {g['succeeded']:,} | {_pct(g['conversion'])} | {g['waiting']:,} | "
                         f"{g['declined_payments']:,} ({g['recovered_after_decline']:,}) | {g['refunds']:,} | {amounts} |")
        lines.append("")
    delayed = {m: g["settlement"] for m, g in payments["by_method"].items() if g.get("settlement")}
    if delayed:
        lines.append("Methods that settle later: " + "; ".join(
            f"{m} {s['settled']} settled, {s['expired']} expired, {s['pending']} pending"
            + (f", median {s['median_time_to_settle_s']:,.0f} s to settle" if s["median_time_to_settle_s"] is not None else "")
            for m, s in delayed.items()) + ".")
        lines.append("")
    return lines
