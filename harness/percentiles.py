"""Nearest-rank percentiles for the small latency samples the sinks keep (no interpolation,
so every figure reported is a latency that was actually observed)."""

from __future__ import annotations

import math
from collections.abc import Iterable


def summary_ms(values: Iterable[float]) -> dict[str, float | int | None]:
    """{count, p50, p95, max} in milliseconds, rounded to 0.1 ms; None when there is no sample."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50": None, "p95": None, "max": None}

    def rank(q: float) -> float:
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)

    return {"count": len(ordered), "p50": rank(0.50), "p95": rank(0.95), "max": round(ordered[-1], 1)}
