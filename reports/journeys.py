"""Per-variant figures from journeys.jsonl: conversion, completion time, error recovery, funnels."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from statistics import median
from typing import Any

from .abtest import VariantOutcome, compare_variants
from .explain import explain_pair
from .stats import wilson_interval


def completion_s(j: dict[str, Any]) -> float:
    return ((j.get("human_ms") or 0) + (j.get("system_ms") or 0)) / 1000.0


def summarise_journeys(records: Iterable[dict[str, Any]], variant_order: list[str] | None = None, seed: int = 0) -> dict[str, Any] | None:
    records = list(records)
    if not records:
        return None
    by_variant: dict[str, list[dict]] = defaultdict(list)
    for j in records:
        by_variant[j.get("variant", "?")].append(j)
    order = [v for v in (variant_order or []) if v in by_variant] + sorted(v for v in by_variant if v not in (variant_order or []))
    variants = {v: _variant(by_variant[v], seed) for v in order}
    outcomes = {v: _outcome(v, by_variant[v]) for v in order}
    comparisons = []
    if order:
        base = order[0]
        for other in order[1:]:
            c = compare_variants(outcomes[base], outcomes[other], n_resamples=2000, seed=seed)
            comparisons.append({
                "baseline": base,
                "candidate": other,
                "difference": c.conversion_diff,
                "difference_ci": list(c.conversion_diff_interval) if c.conversion_diff_interval else None,
                "p_value": c.conversion_p_value,
                "conclusive": c.conversion_conclusive,
                "needed_per_variant": c.journeys_needed_per_variant,
                "time_difference_s": c.time_diff_s,
                "time_difference_ci": list(c.time_diff_interval) if c.time_diff_interval else None,
                "time_conclusive": c.time_conclusive,
                "sentence": c.conversion_sentence,
                "time_sentence": c.time_sentence,
                "explanation": explain_pair(base, other, by_variant[base], by_variant[other], seed=seed),
            })
    return {
        "total": len(records),
        "failed": sum(1 for j in records if j.get("outcome") == "failed"),
        "variants": variants,
        "comparisons": comparisons,
    }


def _counted(journeys: list[dict]) -> list[dict]:
    """Technical failures of the journey itself are not a shopper's decision: left out of rates."""
    return [j for j in journeys if j.get("outcome") != "failed"]


def _outcome(name: str, journeys: list[dict]) -> VariantOutcome:
    counted = _counted(journeys)
    times = tuple(completion_s(j) for j in counted if j.get("outcome") == "success")
    return VariantOutcome(name, len(counted), sum(1 for j in counted if j.get("outcome") == "success"), times)


def _variant(journeys: list[dict], seed: int) -> dict[str, Any]:
    counted = _counted(journeys)
    n = len(counted)
    wins = [j for j in counted if j.get("outcome") == "success"]
    times = sorted(completion_s(j) for j in wins)
    from .stats import bootstrap_median_interval

    ci = bootstrap_median_interval(times, n_resamples=2000, seed=seed) if len(times) >= 2 else None
    shown = noticed = unnoticed = made = 0
    fix_times: list[float] = []
    errors_by_field: Counter[str] = Counter()
    for j in counted:
        for name, f in (j.get("fields") or {}).items():
            made += f.get("errors_made", 0)
            shown += f.get("errors_shown", 0)
            noticed += f.get("errors_noticed", 0)
            unnoticed += f.get("errors_unnoticed", 0)
            fix_times.extend(t / 1000 for t in f.get("time_to_fix_ms", []) or [])
            if f.get("errors_shown"):
                errors_by_field[name] += f["errors_shown"]
    abandoned = Counter(
        f"{j.get('ended_step') or '?'} / {j.get('ended_field') or '-'}" for j in counted if j.get("outcome") in ("abandoned", "error")
    )
    reasons = Counter(j.get("reason") or "unknown" for j in counted if j.get("outcome") in ("abandoned", "error"))
    declined = [j for j in counted if j.get("declines")]
    low, high = wilson_interval(len(wins), n) if n else (0.0, 1.0)
    return {
        "journeys": n,
        "failed": len(journeys) - n,
        "conversions": len(wins),
        "conversion": len(wins) / n if n else None,
        "conversion_ci": [low, high],
        "completion_median_s": median(times) if times else None,
        "completion_ci": [ci[1], ci[2]] if ci else None,
        "human_median_s": median(j.get("human_ms", 0) / 1000 for j in wins) if wins else None,
        "system_median_s": median(j.get("system_ms", 0) / 1000 for j in wins) if wins else None,
        "errors_made": made,
        "errors_shown": shown,
        "errors_shown_per_journey": shown / n if n else None,
        "errors_noticed": noticed,
        "errors_unnoticed": unnoticed,
        "time_to_fix_median_s": median(fix_times) if fix_times else None,
        "errors_by_field": dict(errors_by_field.most_common()),
        "abandoned": dict(abandoned.most_common()),
        "abandon_reasons": dict(reasons.most_common()),
        "declines": sum(len(j["declines"]) for j in declined),
        "declined_journeys": len(declined),
        "declines_recovered": sum(1 for j in declined if j.get("outcome") == "success"),
        "personas": dict(Counter(j.get("persona", "?") for j in counted)),
    }
