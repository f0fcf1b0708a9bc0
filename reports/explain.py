"""Why one checkout design differs from another: the difference broken down by mechanism.

For a pair of variants (candidate minus baseline), from journeys.jsonl alone:

- time: the mean completion time (human + system) of shoppers who completed in both variants,
  split into the human time of each kind the clock recorded (noticing, finding, reading and
  fixing errors, hesitating, typing, reading the page, ...) plus system time. Means add, so the
  parts add up to the total difference exactly.
- errors: per shopper, errors made (typing slips, format errors), shown, shown while still typing
  the field, noticed, never seen, needless corrections and wrong fixes.
- leaving: the share of shoppers who did not convert, split by the reason their journey ended;
  the parts add up to the difference in shoppers lost. Also the effort met at the end.

Every figure comes with a 95% interval: a percentile bootstrap for means, Newcombe's interval for
shares of shoppers. Shoppers are paired when both variants have the same people (the journey plan
gives person i of every variant the same persona and seed): then each interval is that of the
per-person differences (for shares, Newcombe's paired interval). Otherwise the two samples are
compared as independent ones.

Older journeys.jsonl files lack some of these fields: a measure no journey of the pair records is
reported as not recorded (value ``None``), never as a confident zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .stats import (
    bootstrap_mean_diff_interval,
    bootstrap_mean_interval,
    newcombe_diff_interval,
    newcombe_paired_diff_interval,
)

__all__ = ["explain_pair", "pair_people", "overview_row", "TIME_LABELS", "COUNT_MEASURES", "REASON_LABELS"]

Journey = dict[str, Any]

# Human-time kinds the shopper's clock records (docs/shopper-model.md), as a designer reads them.
TIME_LABELS: dict[str, str] = {
    "error_making": "making errors",
    "error_noticing": "noticing errors",
    "noticing": "noticing errors",
    "error_finding": "finding the field an error names",
    "error_reading": "reading error messages",
    "error_fixing": "fixing errors",
    "hesitating": "hesitating over messages shown while typing",
    "typing": "typing",
    "thinking": "thinking",
    "mental": "thinking",
    "pointing": "pointing and tapping",
    "reading": "reading the page",
    "orienting": "orienting on each new page",
    "homing": "moving hands to the keyboard",
    "scrolling": "scrolling",
    "waiting": "waiting",
    "_unattributed": "other human time",
    "_system": "waiting for the page and the gateway",
}
_ERROR_KINDS = frozenset({"noticing", "hesitating", "correcting"})
GROUP_LABELS = {"errors": "all time spent on errors", "filling": "filling in the form", "system": "system time"}

# Per-shopper counts: (key in a field record, label). "Made" first, then what the page did with
# them, then what the person did about them.
COUNT_MEASURES: tuple[tuple[str, str], ...] = (
    ("errors_made", "typing slips made"),
    ("intent_errors", "format errors made (typed as meant)"),
    ("typos_corrected", "slips corrected before leaving the field"),
    ("errors_shown", "errors shown"),
    ("shown_while_typing", "errors shown while still typing the field"),
    ("errors_noticed", "errors noticed"),
    ("errors_unnoticed", "errors shown and not noticed"),
    ("never_seen", "errors never seen"),
    ("needless_corrections", "needless corrections"),
    ("wrong_fixes", "wrong fixes"),
)

# Kinds of effort the give-up model adds up (harness/shopper/giveup.py, docs/shopper-model.md).
EFFORT_LABELS: dict[str, str] = {
    "field": "fields filled",
    "step": "pages and steps",
    "error": "errors met",
    "wrong_fix": "errors that came back after a fix",
    "minute": "minutes spent",
    "forced_account": "a forced account",
    "method_missing": "a missing payment method",
    "_unattributed": "no recorded kind",
}

REASON_LABELS: dict[str, str] = {
    "too_many_errors": "too many errors",
    "unrecoverable_error": "an error they could not get past",
    "effort": "accumulated effort",
    "too_long": "the checkout was too long",
    "forced_account": "a forced account",
    "preferred_method_missing": "their payment method was missing",
    "nothing_accepted": "nothing they had was accepted",
    "slow_response": "slow responses",
    "declined": "a declined payment",
    "stuck": "being stuck",
    "unknown": "no recorded reason",
}


# --------------------------------------------------------------------------- pairing
def _person_key(j: Journey) -> tuple[str, Any] | None:
    """The person behind a journey: the plan names journeys ``<person>-<variant>`` with a seed
    shared by every variant. None when the id does not follow that pattern."""
    jid, variant = str(j.get("journey_id") or ""), str(j.get("variant") or "")
    suffix = "-" + variant
    if not variant or not jid.endswith(suffix) or len(jid) == len(suffix):
        return None
    return (jid[: -len(suffix)], j.get("seed"))


def pair_people(a: list[Journey], b: list[Journey]) -> list[tuple[Journey, Journey]] | None:
    """Journeys of the same person in both variants, or None when they cannot be paired (ids
    without a person part, duplicate people, or fewer than half of the smaller side matched)."""
    def index(journeys: list[Journey]) -> dict[tuple[str, Any], Journey] | None:
        out: dict[tuple[str, Any], Journey] = {}
        for j in journeys:
            key = _person_key(j)
            if key is None or key in out:
                return None
            out[key] = j
        return out

    ia, ib = index(a), index(b)
    if ia is None or ib is None:
        return None
    pairs = [(ia[k], ib[k]) for k in ia if k in ib]
    if len(pairs) < 2 or len(pairs) * 2 < min(len(a), len(b)):
        return None
    return pairs


# --------------------------------------------------------------------------- per-journey values
def _field_sum(j: Journey, key: str) -> float | None:
    """Sum of a field-record key over the journey's fields; None when the journey's fields do not
    record it (an older record). A journey that reached no field has nothing to count: 0."""
    fields = j.get("fields") or {}
    if not fields:
        return 0.0
    values = [f.get(key) for f in fields.values() if isinstance(f, dict)]
    present = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not present:
        return None
    return float(sum(present))


def _completion_s(j: Journey) -> float:
    return ((j.get("human_ms") or 0) + (j.get("system_ms") or 0)) / 1000.0


def _time_parts(j: Journey, kinds: list[str]) -> dict[str, float] | None:
    """Seconds per kind, other human time and system time, adding up to the completion time;
    None without ``human_ms_by_kind``."""
    by_kind = j.get("human_ms_by_kind")
    if not isinstance(by_kind, dict):
        return None
    parts = {k: float(by_kind.get(k) or 0.0) / 1000.0 for k in kinds}
    parts["_unattributed"] = (j.get("human_ms") or 0) / 1000.0 - sum(float(v or 0) for v in by_kind.values()) / 1000.0
    parts["_system"] = (j.get("system_ms") or 0) / 1000.0
    return parts


def _group(kind: str) -> str:
    if kind == "_system":
        return "system"
    if kind.startswith("error_") or kind in _ERROR_KINDS:
        return "errors"
    return "filling"


def _label(kind: str) -> str:
    return TIME_LABELS.get(kind) or kind.replace("_", " ")


def _reason(j: Journey) -> str | None:
    """Why a journey that did not convert ended (None for a conversion)."""
    if j.get("outcome") == "success":
        return None
    reason = j.get("reason")
    return str(reason) if reason else "unknown"


# --------------------------------------------------------------------------- estimation
class _Estimator:
    """Differences (candidate minus baseline) with intervals, paired or not, same resamples."""

    def __init__(self, paired: bool, confidence: float, n_resamples: int, seed: int) -> None:
        self.paired, self.confidence, self.n_resamples, self.seed = paired, confidence, n_resamples, seed

    def row(self, values_a: list[float | None], values_b: list[float | None]) -> dict[str, Any]:
        """Means per variant and their difference; values are per journey (paired lists are
        aligned by person). None values are left out (with their partner when paired)."""
        if self.paired:
            both = [(x, y) for x, y in zip(values_a, values_b) if x is not None and y is not None]
            xa = [x for x, _ in both]
            xb = [y for _, y in both]
        else:
            xa = [x for x in values_a if x is not None]
            xb = [y for y in values_b if y is not None]
        out: dict[str, Any] = {
            "baseline": _mean(xa), "candidate": _mean(xb), "difference": None, "ci": None,
            "n": len(xa) if self.paired else [len(xa), len(xb)],
        }
        if xa and xb:
            out["difference"] = _mean(xb) - _mean(xa)  # type: ignore[operator]
        if self.paired:
            # how many people differ at all: an interval resting on a handful is approximate
            out["differing"] = sum(1 for x, y in zip(xa, xb) if x != y)
            est = bootstrap_mean_interval([y - x for x, y in zip(xa, xb)], self.confidence, self.n_resamples, self.seed)
        else:
            est = bootstrap_mean_diff_interval(xa, xb, self.confidence, self.n_resamples, self.seed)
        if est is not None:
            out["difference"], low, high = est
            out["ci"] = [low, high]
        out["conclusive"] = bool(out["ci"] and (out["ci"][0] > 0 or out["ci"][1] < 0))
        return out

    def share_row(self, flags_a: list[bool], flags_b: list[bool]) -> dict[str, Any]:
        """Shares of journeys with a yes/no property and their difference, with Newcombe's
        interval: for paired people the paired one (only discordant people inform it), else the
        one for independent samples. A bootstrap would claim too much with few discordant
        people."""
        na, nb = len(flags_a), len(flags_b)
        out: dict[str, Any] = {"baseline": sum(flags_a) / na if na else None, "candidate": sum(flags_b) / nb if nb else None,
                               "difference": None, "ci": None, "n": na if self.paired else [na, nb]}
        if na and nb:
            if self.paired:
                table = [0, 0, 0, 0]  # both, baseline only, candidate only, neither
                for x, y in zip(flags_a, flags_b):
                    table[0 if x and y else 1 if x else 2 if y else 3] += 1
                out["differing"] = table[1] + table[2]
                diff, low, high = newcombe_paired_diff_interval(table[0], table[1], table[2], table[3], confidence=self.confidence)
            else:
                diff, low, high = newcombe_diff_interval(sum(flags_a), na, sum(flags_b), nb, self.confidence)
            out["difference"], out["ci"] = diff, [low, high]
        out["conclusive"] = bool(out["ci"] and (out["ci"][0] > 0 or out["ci"][1] < 0))
        return out


def _mean(xs: list[float]) -> float | None:
    return math.fsum(xs) / len(xs) if xs else None


# --------------------------------------------------------------------------- the breakdown
def explain_pair(
    baseline: str,
    candidate: str,
    journeys_a: Iterable[Journey],
    journeys_b: Iterable[Journey],
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """The mechanism breakdown of ``candidate`` against ``baseline`` (JSON-ready dict).

    Technical failures are left out (with their partner when paired), as in the rates.
    """
    a = [j for j in journeys_a if j.get("outcome") != "failed"]
    b = [j for j in journeys_b if j.get("outcome") != "failed"]
    pairs = pair_people(a, b)
    paired = pairs is not None
    if pairs is not None:
        a = [x for x, _ in pairs]
        b = [y for _, y in pairs]
    est = _Estimator(paired, confidence, n_resamples, seed)

    time = _time_breakdown(a, b, est, paired)
    errors = _error_breakdown(a, b, est)
    leaving = _leaving_breakdown(a, b, est)
    out = {
        "baseline": baseline,
        "candidate": candidate,
        "conversion": _conversion(leaving["left"]),
        "paired": paired,
        "people": len(a) if paired else None,
        "journeys": [len(a), len(b)],
        "confidence": confidence,
        "time": time,
        "errors": errors,
        "leaving": leaving,
    }
    out["sentences"] = [s for s in (
        _time_sentence(baseline, candidate, time, paired),
        _errors_sentence(baseline, candidate, errors),
        _leaving_sentence(baseline, candidate, leaving),
    ) if s]
    return out


def _conversion(left: dict[str, Any]) -> dict[str, Any]:
    """Conversion (share who converted) as a row: the mirror image of the share who left; with
    paired people its interval is the paired one, narrower than the headline's unpaired one."""
    def flip(x: float | None) -> float | None:
        return None if x is None else 1.0 - x
    return {**left, "baseline": flip(left["baseline"]), "candidate": flip(left["candidate"]),
            "difference": None if left["difference"] is None else -left["difference"],
            "ci": None if left["ci"] is None else [-left["ci"][1], -left["ci"][0]]}


def _time_breakdown(a: list[Journey], b: list[Journey], est: _Estimator, paired: bool) -> dict[str, Any]:
    if paired:
        done = [(x, y) for x, y in zip(a, b) if x.get("outcome") == "success" and y.get("outcome") == "success"]
        ta, tb = [x for x, _ in done], [y for _, y in done]
    else:
        ta = [x for x in a if x.get("outcome") == "success"]
        tb = [y for y in b if y.get("outcome") == "success"]
    kinds = sorted({k for j in ta + tb for k in (j.get("human_ms_by_kind") or {})})
    parts_a = [_time_parts(j, kinds) for j in ta]
    parts_b = [_time_parts(j, kinds) for j in tb]
    # The breakdown needs every journey split by kind (so that the parts add up); journeys
    # without the split (older records) are left out of it, and of the total shown with it.
    if paired:
        keep = [i for i, (x, y) in enumerate(zip(parts_a, parts_b)) if x is not None and y is not None]
        ta, tb = [ta[i] for i in keep], [tb[i] for i in keep]
        parts_a, parts_b = [parts_a[i] for i in keep], [parts_b[i] for i in keep]
    else:
        ta = [j for j, p in zip(ta, parts_a) if p is not None]
        tb = [j for j, p in zip(tb, parts_b) if p is not None]
    known_a = [p for p in parts_a if p is not None]
    known_b = [p for p in parts_b if p is not None]
    total = est.row([_completion_s(j) for j in ta], [_completion_s(j) for j in tb])
    components = []
    for kind in kinds + ["_unattributed", "_system"]:
        row = est.row([p[kind] for p in known_a], [p[kind] for p in known_b])
        components.append({"key": kind, "label": _label(kind), "group": _group(kind), **row})
    components.sort(key=lambda r: -abs(r["difference"] or 0.0))
    groups = []
    for group in ("errors", "filling", "system"):
        members = [k for k in kinds + ["_unattributed", "_system"] if _group(k) == group]
        if not members:
            continue
        row = est.row([sum(p[k] for k in members) for p in known_a], [sum(p[k] for k in members) for p in known_b])
        groups.append({"key": group, "label": GROUP_LABELS[group], "kinds": members, **row})
    return {
        "scope": "shoppers who completed in both variants" if paired else "completed journeys",
        "recorded": bool(ta or tb),
        "total": total,
        "components": components,
        "groups": groups,
    }


def _error_breakdown(a: list[Journey], b: list[Journey], est: _Estimator) -> dict[str, Any]:
    measures = []
    for key, label in COUNT_MEASURES:
        va, vb = [_field_sum(j, key) for j in a], [_field_sum(j, key) for j in b]
        recorded = any(v is not None for v in va) and any(v is not None for v in vb)
        row: dict[str, Any] = {"key": key, "label": label, "recorded": recorded}
        if recorded:
            row.update(est.row(va, vb))
        else:
            row.update({"baseline": None, "candidate": None, "difference": None, "ci": None, "conclusive": False, "n": 0})
        measures.append(row)
    return {"scope": "per shopper, all journeys", "measures": measures}


def _leaving_breakdown(a: list[Journey], b: list[Journey], est: _Estimator) -> dict[str, Any]:
    def flags(pred: Callable[[Journey], bool], js: list[Journey]) -> list[bool]:
        return [pred(j) for j in js]

    def left_for(reason: str) -> Callable[[Journey], bool]:
        return lambda j: _reason(j) == reason

    left = est.share_row(flags(lambda j: _reason(j) is not None, a), flags(lambda j: _reason(j) is not None, b))
    reasons = sorted({r for j in a + b if (r := _reason(j)) is not None})
    rows = []
    for reason in reasons:
        row = est.share_row(flags(left_for(reason), a), flags(left_for(reason), b))
        rows.append({"reason": reason, "label": REASON_LABELS.get(reason, reason.replace("_", " ")), **row})
    rows.sort(key=lambda r: (-abs(r["difference"] or 0.0), r["reason"]))
    return {"scope": "share of shoppers, all journeys", "left": left, "reasons": rows, "effort": _effort_breakdown(a, b, est)}


def _effort_breakdown(a: list[Journey], b: list[Journey], est: _Estimator) -> dict[str, Any]:
    """Effort met by the end of the journey (mean), and its parts by kind where recorded; the
    parts (with any effort of no recorded kind) add up to the total."""
    ea, eb = [_number(j.get("effort")) for j in a], [_number(j.get("effort")) for j in b]
    if not (any(v is not None for v in ea) and any(v is not None for v in eb)):
        return {"recorded": False, "baseline": None, "candidate": None, "difference": None, "ci": None,
                "conclusive": False, "n": 0, "components": []}
    out: dict[str, Any] = {"recorded": True, **est.row(ea, eb), "components": []}
    kinds = sorted({k for j in a + b for k in (j.get("effort_by_kind") or {}) if isinstance(j.get("effort_by_kind"), dict)})
    if kinds:
        def parts(j: Journey) -> dict[str, float] | None:
            total, by_kind = _number(j.get("effort")), j.get("effort_by_kind")
            if total is None or not isinstance(by_kind, dict):
                return None
            p = {k: _number(by_kind.get(k)) or 0.0 for k in kinds}
            p["_unattributed"] = total - math.fsum(_number(v) or 0.0 for v in by_kind.values())
            return p
        pa, pb = [parts(j) for j in a], [parts(j) for j in b]
        for kind in kinds + ["_unattributed"]:
            row = est.row([p[kind] if p else None for p in pa], [p[kind] if p else None for p in pb])
            out["components"].append({"key": kind, "label": EFFORT_LABELS.get(kind, kind.replace("_", " ")), **row})
        out["components"].sort(key=lambda r: -abs(r["difference"] or 0.0))
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# --------------------------------------------------------------------------- sentences
def _iv(ci: list[float] | None, scale: float = 1.0, digits: int = 1, flip: bool = False) -> str:
    if not ci:
        return ""
    low, high = ci[0] * scale, ci[1] * scale
    if flip:
        low, high = -high, -low
    return f" [{round(low, digits) + 0.0:.{digits}f}, {round(high, digits) + 0.0:.{digits}f}]"  # no "-0.0"


def _part(row: dict[str, Any], unit: str, scale: float = 1.0, digits: int = 1, label: str | None = None) -> str:
    d = row["difference"] * scale
    word = "more" if d > 0 else "less"
    return f"{abs(d):.{digits}f}{unit} {word} {label or row['label']}{_iv(row['ci'], scale, digits)}"


def _time_sentence(base: str, cand: str, time: dict[str, Any], paired: bool) -> str | None:
    total = time["total"]
    if total["difference"] is None:
        return None
    d = total["difference"]
    who = f"over {total['n']} shoppers who completed both" if paired else "over completed journeys"
    if round(d, 1) > 0:
        head = f"{cand} is {d:.1f} s slower{_iv(total['ci'])} than {base} on average ({who})"
    elif round(d, 1) < 0:
        head = f"{cand} is {-d:.1f} s faster{_iv(total['ci'], flip=True)} than {base} on average ({who})"
    else:
        head = f"{cand} takes as long as {base} on average, difference {abs(d):.1f} s{_iv(total['ci'])} ({who})"
    parts = [r for r in time["components"] if r["difference"] is not None and round(abs(r["difference"]), 1) > 0][:3]
    if not parts:
        return head + "."
    return head + ": " + ", ".join(_part(r, " s", label="time " + r["label"] if r["key"] == "_system" else r["label"]) for r in parts) + "."


def _errors_sentence(base: str, cand: str, errors: dict[str, Any]) -> str | None:
    rows = {r["key"]: r for r in errors["measures"] if r["recorded"] and r["difference"] is not None}
    shown = rows.get("errors_shown")
    if shown is None:
        return None
    d = shown["difference"]
    if round(d, 2) == 0:
        head = f"Per shopper, {cand} shows as many errors as {base} ({shown['candidate']:.2f} vs {shown['baseline']:.2f})"
    else:
        head = (f"Per shopper, {cand} shows {abs(d):.2f} {'more' if d > 0 else 'fewer'} errors{_iv(shown['ci'], digits=2)} "
                f"than {base} ({shown['candidate']:.2f} vs {shown['baseline']:.2f})")
    others = [r for k, r in rows.items() if k != "errors_shown" and round(abs(r["difference"]), 2) > 0]
    others.sort(key=lambda r: (not r["conclusive"], -abs(r["difference"])))
    if not others:
        return head + "."
    return head + "; " + ", ".join(
        f"{r['label']} {r['difference']:+.2f}{_iv(r['ci'], digits=2)}" for r in others[:3]) + "."


def _leaving_sentence(base: str, cand: str, leaving: dict[str, Any]) -> str | None:
    left = leaving["left"]
    if left["difference"] is None:
        return None
    if not leaving["reasons"]:
        return f"Nobody left in either {base} or {cand}."
    pts = 100.0 * left["difference"]
    if round(pts, 1) > 0:
        head = f"{cand} loses {pts:.1f} points more shoppers{_iv(left['ci'], 100.0)} than {base}"
    elif round(pts, 1) < 0:
        head = f"{cand} loses {-pts:.1f} points fewer shoppers{_iv(left['ci'], 100.0, flip=True)} than {base}"
    else:
        head = f"{cand} loses as many shoppers as {base} ({100.0 * (left['candidate'] or 0):.1f}%)"
    parts = [r for r in leaving["reasons"] if round(abs(100.0 * r["difference"]), 1) > 0][:3]
    if parts:
        head += ": " + ", ".join(
            f"{100.0 * r['difference']:+.1f} points left over {r['label']}{_iv(r['ci'], 100.0)}" for r in parts)
    effort = leaving.get("effort") or {}
    if effort.get("recorded") and effort.get("difference") is not None and round(effort["difference"], 2) != 0:
        head += f"; effort met {effort['difference']:+.2f}{_iv(effort['ci'], digits=2)}"
        top = [r for r in effort.get("components", []) if r["difference"] is not None and round(abs(r["difference"]), 2) > 0][:2]
        if top:
            head += " (" + ", ".join(f"{r['label']} {r['difference']:+.2f}" for r in top) + ")"
    return head + "."


def overview_row(e: dict[str, Any], parts: int = 2) -> dict[str, Any]:
    """One line per pair for the at-a-glance table: the paired conversion and time differences,
    errors shown, and the biggest parts of the time difference and of the shoppers lost."""
    time = e["time"]
    shown = next((r for r in e["errors"]["measures"] if r["key"] == "errors_shown" and r["recorded"]), None)
    top_time = [r for r in time["components"] if r["difference"] is not None and round(abs(r["difference"]), 1) > 0][:parts]
    top_left = [r for r in e["leaving"]["reasons"] if r["difference"] is not None and round(abs(100 * r["difference"]), 1) > 0][:parts]
    return {
        "pair": f"{e['candidate']} vs {e['baseline']}",
        "conversion": e["conversion"],
        "time": time["total"] if time["recorded"] else None,
        "errors_shown": shown,
        "time_parts": ", ".join(f"{r['label']} {r['difference']:+.1f} s" for r in top_time) or "—",
        "left_parts": ", ".join(f"{r['label']} {100 * r['difference']:+.1f} pts" for r in top_left) or "—",
    }


def format_difference(row: dict[str, Any] | None, unit: str = "", scale: float = 1.0, digits: int = 1) -> str:
    """A difference with its interval, "+6.0 s [5.1, 6.9]"; "not recorded" without a figure (for
    report.html and summary.md alike)."""
    if not row or row.get("difference") is None:
        return "not recorded"
    text = f"{_rounded(row['difference'] * scale, digits):+.{digits}f}{unit}"
    if row.get("ci"):
        text += f" [{_rounded(row['ci'][0] * scale, digits):.{digits}f}, {_rounded(row['ci'][1] * scale, digits):.{digits}f}]"
    return text


def _rounded(x: float, digits: int) -> float:
    """Rounded, without a negative zero ("-0.0" reads as a difference)."""
    return round(x, digits) + 0.0
