"""Statistics for comparing checkout variants and for CI regression gates.

Pure functions on counts and samples (numpy/scipy only, no I/O), so that every figure a report
shows can be recomputed from a run directory and tested against published values.

Conventions:
- Proportions are fractions in [0, 1]; sentences turn them into percentage points elsewhere
  (see ``reports.abtest``).
- Differences are always *second minus first*: ``p2 - p1``, ``median(b) - median(a)``, so that
  "candidate minus baseline" reads as the gain of the candidate.
- Bootstrap functions take a ``seed`` and are deterministic: the same run gives the same report.

The variant comparison built on these (``VariantOutcome``, ``Comparison``, ``compare_variants``)
lives in ``reports.abtest``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from scipy import stats as _sps

__all__ = [
    "wilson_interval",
    "newcombe_diff_interval",
    "newcombe_paired_diff_interval",
    "two_proportion_p_value",
    "required_sample_size",
    "power_two_proportions",
    "bootstrap_median_interval",
    "bootstrap_median_diff_interval",
    "bootstrap_mean_interval",
    "bootstrap_mean_diff_interval",
    "conversion_significantly_lower",
    "percent_worse",
]

Alternative = Literal["two-sided", "less", "greater"]

# Upper bound on the number of floats one bootstrap batch may hold (about 16 MB), so that a run
# with many thousands of journeys does not need gigabytes for 9,999 resamples at once.
_BOOTSTRAP_BATCH_FLOATS = 2_000_000


# --------------------------------------------------------------------------- validation helpers
def _check_confidence(confidence: float) -> float:
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return float(confidence)


def _check_count(successes: int, n: int, what: str = "") -> None:
    label = f" ({what})" if what else ""
    if int(n) != n or int(successes) != successes:
        raise ValueError(f"counts must be whole numbers{label}: successes={successes!r}, n={n!r}")
    if n < 0:
        raise ValueError(f"n must be >= 0{label}, got {n!r}")
    if not (0 <= successes <= n):
        raise ValueError(f"successes must be between 0 and n{label}: {successes!r} of {n!r}")


@functools.lru_cache(maxsize=64)
def _z_two_sided(confidence: float) -> float:
    """Normal quantile z with P(|Z| <= z) = confidence (cached: reports call this per variant)."""
    return float(_sps.norm.isf((1.0 - confidence) / 2.0))


# --------------------------------------------------------------------------- proportions
def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (no continuity correction).

    Why Wilson: unlike the textbook Wald interval (p +- z*sqrt(p(1-p)/n)) it keeps close to its
    nominal coverage for small n and for rates near 0 or 1 (Brown, Cai & DasGupta 2001), and it
    never leaves [0, 1]. It is also the building block of Newcombe's difference interval.

    With ``n == 0`` there is no information, so the interval is the whole range ``(0.0, 1.0)``
    (the point estimate is undefined; callers should show "no journeys" rather than a rate).
    """
    _check_count(successes, n)
    confidence = _check_confidence(confidence)
    if n == 0:
        return (0.0, 1.0)
    z = _z_two_sided(confidence)
    p = successes / n
    z2n = z * z / n
    denom = 1.0 + z2n
    centre = (p + z2n / 2.0) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    # At 0 and n successes the bound equals the estimate exactly; set it so rounding cannot put
    # the estimate outside its own interval.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def newcombe_diff_interval(
    s1: int, n1: int, s2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference ``p2 - p1`` with Newcombe's hybrid score interval (method 10, 1998).

    Why: the Wald interval for a difference misbehaves at small n and extreme rates; method 10
    combines the two Wilson intervals ("square and add") and keeps near-nominal coverage while
    staying in [-1, 1] and needing no iteration (Newcombe, Stat Med 17:873-890, 1998).

    Returns ``(diff, low, high)``. Both groups need at least one trial (``ValueError`` otherwise),
    because the difference is undefined without them.
    """
    _check_count(s1, n1, "group 1")
    _check_count(s2, n2, "group 2")
    if n1 == 0 or n2 == 0:
        raise ValueError("both groups need at least one trial for a difference (n1, n2 > 0)")
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson_interval(s1, n1, confidence)
    l2, u2 = wilson_interval(s2, n2, confidence)
    diff = p2 - p1
    low = diff - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = diff + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return (diff, max(-1.0, low), min(1.0, high))


def newcombe_paired_diff_interval(
    both: int, first_only: int, second_only: int, neither: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference ``p2 - p1`` of two proportions measured on the same subjects, with Newcombe's
    square-and-add interval for paired data (method 10 of Newcombe, Stat Med 17:2635-2650, 1998).

    Why: when the same shoppers go through both variants, most of them convert (or leave) in
    both, and only the discordant ones carry information. A percentile bootstrap of per-person
    differences then claims too much with few discordant people (4 of 150 all one way come out
    "conclusive", where McNemar's exact test gives p = 0.125); this interval combines the two
    Wilson intervals with the estimated correlation between the margins and keeps near-nominal
    coverage (Newcombe 1998; Fagerland, Lydersen & Laake 2017, ch. 8).

    The paired table: ``both`` succeeded in both, ``first_only`` in the first only,
    ``second_only`` in the second only, ``neither`` in neither. Returns ``(diff, low, high)``.
    """
    for count, name in ((both, "both"), (first_only, "first_only"), (second_only, "second_only"), (neither, "neither")):
        if int(count) != count or count < 0:
            raise ValueError(f"{name} must be a whole number >= 0, got {count!r}")
    n = both + first_only + second_only + neither
    if n == 0:
        raise ValueError("a paired difference needs at least one pair")
    s1, s2 = both + first_only, both + second_only
    p1, p2 = s1 / n, s2 / n
    l1, u1 = wilson_interval(s1, n, confidence)
    l2, u2 = wilson_interval(s2, n, confidence)
    # psi: the correlation between the two margins' estimates, with Newcombe's correction
    # towards 0 for positive values (by n/2 in the cross-product).
    psi = 0.0
    if 0 < s1 < n and 0 < s2 < n:
        cross = both * neither - first_only * second_only
        scale = math.sqrt(s1 * (n - s1) * s2 * (n - s2))
        if cross > n / 2:
            psi = (cross - n / 2) / scale
        elif cross < 0:
            psi = cross / scale
    # Newcombe's theta = p1 - p2; the difference reported here is its negative.
    theta = p1 - p2
    down = math.sqrt(max(0.0, (p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * psi * (p1 - l1) * (u2 - p2)))
    up = math.sqrt(max(0.0, (p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * psi * (p2 - l2) * (u1 - p1)))
    low, high = -(theta + up), -(theta - down)
    diff = p2 - p1
    return (diff, max(-1.0, min(low, diff)), min(1.0, max(high, diff)))


def two_proportion_p_value(
    s1: int, n1: int, s2: int, n2: int, alternative: Alternative = "two-sided"
) -> float:
    """P-value of the pooled two-proportion z-test of H0: p1 == p2.

    ``alternative`` is about ``p2`` relative to ``p1``: "less" tests p2 < p1, "greater" p2 > p1.
    The two-sided value equals Pearson's chi-square test on the 2x2 table without Yates'
    correction. Returns ``nan`` when a group has no trials (no evidence either way), and 1.0
    (two-sided) when both groups are all-success or all-failure (the rates are identical).
    """
    _check_count(s1, n1, "group 1")
    _check_count(s2, n2, "group 2")
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"alternative must be 'two-sided', 'less' or 'greater', got {alternative!r}")
    if n1 == 0 or n2 == 0:
        return float("nan")
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = 0.0 if se == 0.0 else (s2 / n2 - s1 / n1) / se
    if alternative == "two-sided":
        return float(min(1.0, 2.0 * _sps.norm.sf(abs(z))))
    if alternative == "less":
        return float(_sps.norm.cdf(z))
    return float(_sps.norm.sf(z))


def power_two_proportions(p1: float, p2: float, n: float, alpha: float = 0.05) -> float:
    """Approximate power of the two-sided pooled z-test with ``n`` per group.

    power = Phi((|p1 - p2| * sqrt(n) - z_{1-alpha/2} * sqrt(2 pbar qbar)) / sqrt(p1 q1 + p2 q2)),
    ignoring the (negligible) chance of rejecting in the wrong direction. This is the function
    that ``required_sample_size`` inverts.
    """
    _check_rate(p1, "p1")
    _check_rate(p2, "p2")
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    d = abs(p1 - p2)
    if d == 0.0:
        return alpha  # no difference: the test rejects at its nominal rate
    if n <= 0:
        return 0.0
    pbar = (p1 + p2) / 2.0
    z_a = float(_sps.norm.isf(alpha / 2.0))
    sd_null = math.sqrt(2.0 * pbar * (1.0 - pbar))
    sd_alt = math.sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2))
    if sd_alt == 0.0:  # p1, p2 in {0, 1} and different: any sample shows the difference
        return 1.0
    return float(_sps.norm.cdf((d * math.sqrt(n) - z_a * sd_null) / sd_alt))


def _check_rate(p: float, name: str) -> None:
    if not (0.0 <= p <= 1.0) or math.isnan(p):
        raise ValueError(f"{name} must be a proportion in [0, 1], got {p!r}")


def required_sample_size(
    p1: float, p2: float, power: float = 0.8, alpha: float = 0.05
) -> int | None:
    """Journeys needed *per group* for a two-sided two-proportion test to detect p1 vs p2.

    Why: an inconclusive comparison should say how many journeys a conclusive answer would need.

    Formula (normal approximation, pooled variance under H0, no continuity correction; Fleiss,
    Levin & Paik, *Statistical Methods for Rates and Proportions*, 3rd ed., section 4.2)::

        n = [ z_{1-alpha/2} * sqrt(2 pbar qbar) + z_{power} * sqrt(p1 q1 + p2 q2) ]^2 / (p1 - p2)^2

    with pbar = (p1 + p2) / 2, q = 1 - p, rounded up. Example: p1 = 0.5, p2 = 0.6, power 0.8,
    alpha 0.05 gives 388 per group (the unpooled shortcut (z_a + z_b)^2 (p1q1 + p2q2) / d^2 gives
    385, and Fleiss' continuity-corrected version 408).

    Returns ``None`` when ``p1 == p2``: no sample size detects a zero difference.
    """
    _check_rate(p1, "p1")
    _check_rate(p2, "p2")
    if not (0.0 < power < 1.0):
        raise ValueError(f"power must be strictly between 0 and 1, got {power!r}")
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    d = abs(p1 - p2)
    if d == 0.0:
        return None
    pbar = (p1 + p2) / 2.0
    z_a = float(_sps.norm.isf(alpha / 2.0))
    z_b = float(_sps.norm.ppf(power))
    numerator = z_a * math.sqrt(2.0 * pbar * (1.0 - pbar)) + z_b * math.sqrt(
        p1 * (1.0 - p1) + p2 * (1.0 - p2)
    )
    n = numerator * numerator / (d * d)
    # Guard against 387.0000000001 -> 388 caused by floating point.
    return max(1, math.ceil(n - 1e-9))


# --------------------------------------------------------------------------- medians (bootstrap)
def _as_sample(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite numbers (no NaN or infinity)")
    return arr


def _median_stat(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(samples[0], axis=axis)


def _median_diff_stat(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(b, axis=axis) - np.median(a, axis=axis)


def _bootstrap(
    samples: tuple[np.ndarray, ...],
    statistic: Any,
    confidence: float,
    n_resamples: int,
    seed: int | None,
    method: str,
) -> tuple[float, float]:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples!r}")
    batch = max(1, _BOOTSTRAP_BATCH_FLOATS // max(len(s) for s in samples))
    res = _sps.bootstrap(
        samples,
        statistic,
        vectorized=True,
        paired=False,
        confidence_level=confidence,
        n_resamples=n_resamples,
        batch=batch,
        method=method,
        rng=np.random.default_rng(seed),
    )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if method == "percentile":
        # quantiles of the resampled statistics lie within them; scipy's interpolation can land one
        # rounding step outside (an interval of a median 1e-13 below the smallest value)
        spread = res.bootstrap_distribution
        low, high = max(low, float(np.min(spread))), min(high, float(np.max(spread)))
    return low, high


def bootstrap_median_interval(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = 0,
    method: Literal["percentile", "basic", "BCa"] = "percentile",
) -> tuple[float, float, float] | None:
    """Median with a bootstrap interval: ``(median, low, high)``.

    Why the median and the bootstrap: completion times are skewed (a few shoppers who stall
    dominate a mean), and their distribution has no convenient form, so the interval is taken
    from resampling (``scipy.stats.bootstrap``). The percentile method is the default: for the
    median it keeps near-nominal coverage on skewed data (see tests) and, unlike BCa, does not
    break down when many values tie. Deterministic for a given ``seed``.

    Returns ``None`` for fewer than two values (one journey gives no interval); all-equal values
    give a zero-width interval.
    """
    confidence = _check_confidence(confidence)
    x = _as_sample(values, "values")
    if x.size < 2:
        return None
    med = float(np.median(x))
    if np.ptp(x) == 0.0:
        return (med, med, med)
    low, high = _bootstrap((x,), _median_stat, confidence, n_resamples, seed, method)
    return (med, low, high)


def bootstrap_median_diff_interval(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = 0,
    method: Literal["percentile", "basic", "BCa"] = "percentile",
) -> tuple[float, float, float] | None:
    """Difference of medians ``median(b) - median(a)`` with a bootstrap interval.

    The two samples are independent (different shoppers), so each is resampled on its own.
    Negative means ``b`` is lower (for times: faster). Returns ``None`` when either sample has
    fewer than two values. Deterministic for a given ``seed``.
    """
    confidence = _check_confidence(confidence)
    xa = _as_sample(a, "a")
    xb = _as_sample(b, "b")
    if xa.size < 2 or xb.size < 2:
        return None
    diff = float(np.median(xb) - np.median(xa))
    if np.ptp(xa) == 0.0 and np.ptp(xb) == 0.0:
        return (diff, diff, diff)
    low, high = _bootstrap((xa, xb), _median_diff_stat, confidence, n_resamples, seed, method)
    return (diff, low, high)


# --------------------------------------------------------------------------- means (bootstrap)
def _mean_stat(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(samples[0], axis=axis)


def _mean_diff_stat(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(b, axis=axis) - np.mean(a, axis=axis)


def _around(estimate: float, low: float, high: float) -> tuple[float, float, float]:
    # A percentile interval of a mean practically always holds the mean; on very lumpy samples
    # (a handful of non-zero values) it can miss it by a resampling quantum, so widen to it.
    return (estimate, min(low, estimate), max(high, estimate))


def bootstrap_mean_interval(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = 0,
) -> tuple[float, float, float] | None:
    """Mean with a percentile bootstrap interval: ``(mean, low, high)``.

    Why the mean here, when completion times use the median: the mechanism breakdown splits a
    difference into parts that add up (time by kind, who left by reason), and only means add.
    Applied to paired differences (candidate minus baseline, one per shopper) it is the paired
    analysis: the same person's other traits cancel. Returns ``None`` for fewer than two values;
    all-equal values give a zero-width interval. Deterministic for a given ``seed``: calls with
    samples of the same size draw the same resamples, so the parts' intervals come from the same
    resampled shoppers as the total's.
    """
    confidence = _check_confidence(confidence)
    x = _as_sample(values, "values")
    if x.size < 2:
        return None
    est = float(np.mean(x))
    if np.ptp(x) == 0.0:
        return (est, est, est)
    low, high = _bootstrap((x,), _mean_stat, confidence, n_resamples, seed, "percentile")
    return _around(est, low, high)


def bootstrap_mean_diff_interval(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = 0,
) -> tuple[float, float, float] | None:
    """Difference of means ``mean(b) - mean(a)`` of two independent samples, with a percentile
    bootstrap interval (each sample resampled on its own). For unpaired shoppers; ``None`` when
    either sample has fewer than two values."""
    confidence = _check_confidence(confidence)
    xa = _as_sample(a, "a")
    xb = _as_sample(b, "b")
    if xa.size < 2 or xb.size < 2:
        return None
    est = float(np.mean(xb) - np.mean(xa))
    if np.ptp(xa) == 0.0 and np.ptp(xb) == 0.0:
        return (est, est, est)
    low, high = _bootstrap((xa, xb), _mean_diff_stat, confidence, n_resamples, seed, "percentile")
    return _around(est, low, high)


# --------------------------------------------------------------------------- CI gate helpers
def conversion_significantly_lower(
    base_s: int, base_n: int, new_s: int, new_n: int, alpha: float = 0.05
) -> bool:
    """True when the new run converts significantly *lower* than the baseline.

    One-sided pooled z-test (H1: p_new < p_base) at level ``alpha``; one-sided because a CI gate
    only fails on a regression, never on an improvement. An empty run (n == 0) is never
    "significantly lower": there is no evidence, and an empty run should be caught by its own gate.
    """
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    p = two_proportion_p_value(base_s, base_n, new_s, new_n, alternative="less")
    return bool(p < alpha)  # nan < alpha is False


def percent_worse(base: float, new: float, higher_is_better: bool = False) -> float:
    """How much worse ``new`` is than ``base``, in percent of ``base`` (negative = better).

    By default lower is better (latency, completion time, error rate): ``(new - base) / base``.
    With ``higher_is_better=True`` (conversion, throughput): ``(base - new) / base``.
    A zero baseline gives 0.0 if unchanged, otherwise +inf (worse) or -inf (better).
    """
    if math.isnan(base) or math.isnan(new):
        raise ValueError("base and new must be numbers, not NaN")
    change = (base - new) if higher_is_better else (new - base)
    if base == 0:
        if change == 0:
            return 0.0
        return math.inf if change > 0 else -math.inf
    return 100.0 * change / abs(base)
