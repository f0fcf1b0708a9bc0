"""A policy's cohort split into parts, each billed by a gateway of its own, and the parts' results added up.

Why: one gateway is one process, and a cohort's billing is one long chain of clock advances in it.
Split in parts, the cohort's sign-up runs on both cores at once, and the parts of every policy keep
both cores busy to the end instead of one policy finishing alone. A subscriber's behaviour is drawn
by its index, so the parts together simulate exactly the cohort a single gateway would.
"""

from __future__ import annotations

from typing import Any


def split(subscribers: int, shards: int) -> list[range]:
    """`shards` contiguous parts of range(subscribers), sizes differing by at most one; none empty."""
    shards = max(1, min(shards, subscribers))
    return [range(k * subscribers // shards, (k + 1) * subscribers // shards) for k in range(shards)]


def add_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One month of the whole cohort from the same month of each part (every field but `month` is a count or amount)."""
    out: dict[str, Any] = {}
    for key, value in rows[0].items():
        out[key] = value if key == "month" else sum(row[key] for row in rows)
    out["mrr_end"] = round(out["mrr_end"], 2)
    return out


def add_summaries(parts: list[Any], cap: int = 200) -> Any:
    """The billing summary of the whole cohort from the parts' summaries: counts and amounts added, flags
    (reconciliation ok) true only if true in every part, lists (problems) joined, labels kept when the
    parts agree (else None)."""
    first = parts[0]
    if isinstance(first, bool):
        return all(parts)
    if isinstance(first, (int, float)) and all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in parts):
        total = sum(parts)
        return round(total, 2) if isinstance(total, float) else total
    if isinstance(first, dict):
        keys = list(dict.fromkeys(k for p in parts for k in p))
        return {k: add_summaries([p[k] for p in parts if k in p], cap) for k in keys}
    if isinstance(first, list):
        return [item for p in parts for item in p][:cap]
    return first if all(p == first for p in parts) else None
