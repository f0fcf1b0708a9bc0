"""HDR histograms for the load: one geometry for all, and percentiles computed with numpy.

The hdrhistogram package records and encodes fast, but its percentile and mean queries walk the
counts array in Python (tens of ms per histogram), which would stall the gevent loop that also
starts arrivals. Here the same answers (the package's definitions: the highest equivalent value
of the first bucket whose cumulative count reaches the target, the mean of median equivalent
values) come from a vectorised pass over the counts.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hdrh.histogram import HdrHistogram

HIGHEST_US = 3_600_000_000  # one hour: anything longer is recorded as an hour
DIGITS = 3
PERCENTILES = (("p50_ms", 50.0), ("p90_ms", 90.0), ("p95_ms", 95.0), ("p99_ms", 99.0), ("p999_ms", 99.9))


def new_histogram() -> HdrHistogram:
    return HdrHistogram(1, HIGHEST_US, DIGITS)


def record(hist: HdrHistogram, microseconds: float) -> None:
    hist.record_value(min(HIGHEST_US, max(1, int(microseconds))))


@lru_cache(maxsize=4)
def _geometry(lowest: int, highest: int, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per counts index: the highest equivalent value and the median equivalent value."""
    h = HdrHistogram(lowest, highest, digits)
    lows = [h.get_value_from_index(i) for i in range(h.counts_len)]
    highs = np.array([h.get_highest_equivalent_value(v) for v in lows], dtype=np.float64)
    medians = np.array([h._hdr_median_equiv_value(v) for v in lows], dtype=np.float64)
    return highs, medians


def warm() -> None:
    """Build the geometry and warm numpy once, before the run starts (it takes ~0.1 s)."""
    hist = new_histogram()
    record(hist, 1000)
    stats(hist)


def stats(hist: HdrHistogram) -> dict[str, float | None]:
    """p50..p99.9, max and mean in milliseconds (None when empty), for a histogram of microseconds."""
    total = hist.get_total_count()
    if total == 0:
        return {**{name: None for name, _ in PERCENTILES}, "max_ms": None, "mean_ms": None}
    highs, medians = _geometry(hist.lowest_trackable_value, hist.highest_trackable_value, hist.significant_figures)
    counts = np.frombuffer(hist.counts, dtype=np.uint64)[: hist.counts_len].astype(np.float64)
    cumulative = np.cumsum(counts)
    out: dict[str, float | None] = {}
    for name, p in PERCENTILES:
        target = max(int(p * total / 100 + 0.5), 1)
        index = int(np.searchsorted(cumulative, target))
        out[name] = round(float(highs[min(index, len(highs) - 1)]) / 1000.0, 3)
    out["max_ms"] = round(hist.get_max_value() / 1000.0, 3)
    out["mean_ms"] = round(float(np.multiply(counts, medians[: len(counts)]).sum()) / total / 1000.0, 3)  # no BLAS: its threads would spin
    return out
