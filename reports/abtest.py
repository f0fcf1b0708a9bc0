"""Comparing two checkout variants, the way a UX designer reads the result.

Per variant: conversion with a Wilson interval, and the median completion time of the journeys
that converted, with a bootstrap interval. Between variants: the difference (candidate minus
baseline) with its interval, whether it is conclusive (the interval excludes 0), and one plain
sentence each for conversion and completion time. When conversion is not conclusive, the sentence
says how many journeys per variant a conclusive answer would need.

Everything is plain data (frozen dataclasses; ``dataclasses.asdict`` gives JSON-ready dicts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from reports.stats import (
    bootstrap_median_diff_interval,
    bootstrap_median_interval,
    newcombe_diff_interval,
    required_sample_size,
    two_proportion_p_value,
    wilson_interval,
)

__all__ = ["VariantOutcome", "VariantSummary", "Comparison", "compare_variants", "round_up_3sig"]


@dataclass(frozen=True)
class VariantOutcome:
    """What one variant produced: journeys, conversions, and completion times.

    ``completion_times_s`` holds the total completion time (human + system, seconds) of the
    journeys that *converted* only: an abandoned journey has no completion time, and mixing in
    the time to give up would reward variants that make people quit sooner.
    """

    name: str
    journeys: int
    conversions: int
    completion_times_s: tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a variant needs a name")
        if int(self.journeys) != self.journeys or self.journeys < 0:
            raise ValueError(f"{self.name}: journeys must be a whole number >= 0, got {self.journeys!r}")
        if int(self.conversions) != self.conversions or not (0 <= self.conversions <= self.journeys):
            raise ValueError(
                f"{self.name}: conversions must be between 0 and journeys ({self.journeys}), "
                f"got {self.conversions!r}"
            )
        times = tuple(float(t) for t in self.completion_times_s)
        if any(not math.isfinite(t) or t < 0 for t in times):
            raise ValueError(f"{self.name}: completion times must be finite and >= 0 seconds")
        if len(times) > self.conversions:
            raise ValueError(
                f"{self.name}: {len(times)} completion times for {self.conversions} conversions; "
                "only converted journeys have a completion time"
            )
        object.__setattr__(self, "completion_times_s", times)

    @classmethod
    def from_journeys(
        cls, name: str, journeys: Iterable[tuple[bool, float | None]]
    ) -> VariantOutcome:
        """Build from ``(converted, completion_time_s)`` pairs, one per journey.

        The time of a journey that did not convert is ignored; a converted journey without a
        time (``None``) counts as a conversion but adds no time.
        """
        n = conversions = 0
        times: list[float] = []
        for converted, seconds in journeys:
            n += 1
            if converted:
                conversions += 1
                if seconds is not None:
                    times.append(float(seconds))
        return cls(name=name, journeys=n, conversions=conversions, completion_times_s=tuple(times))


@dataclass(frozen=True)
class VariantSummary:
    """One variant's figures: conversion and median completion time, each with its interval."""

    name: str
    journeys: int
    conversions: int
    conversion_rate: float | None  # None without journeys
    conversion_interval: tuple[float, float]  # Wilson; (0, 1) without journeys
    completed_with_time: int
    median_time_s: float | None  # None without any timed conversion
    median_time_interval: tuple[float, float] | None  # None with fewer than 2 times


@dataclass(frozen=True)
class Comparison:
    """Candidate against baseline. Differences are candidate minus baseline.

    ``conversion_diff`` is in proportion units (0.041 = +4.1 points); ``time_diff_s`` in seconds
    (negative = candidate faster). ``*_conclusive`` means the interval excludes 0.
    """

    baseline: VariantSummary
    candidate: VariantSummary
    confidence: float
    power: float
    conversion_diff: float | None
    conversion_diff_interval: tuple[float, float] | None
    conversion_p_value: float | None
    conversion_conclusive: bool
    journeys_needed_per_variant: int | None
    time_diff_s: float | None
    time_diff_interval: tuple[float, float] | None
    time_conclusive: bool
    conversion_sentence: str
    time_sentence: str


def round_up_3sig(n: int) -> int:
    """Round a count *up* to three significant figures (1,847 -> 1,850), for "about N" wording."""
    if n < 1000:
        return int(n)
    step = 10 ** (len(str(int(n))) - 3)
    return int(math.ceil(n / step) * step)


def _pct_label(confidence: float) -> str:
    return f"{confidence * 100:.10g}%"


def _summarise(v: VariantOutcome, confidence: float, n_resamples: int, seed: int) -> VariantSummary:
    times = v.completion_times_s
    boot = bootstrap_median_interval(times, confidence, n_resamples=n_resamples, seed=seed)
    return VariantSummary(
        name=v.name,
        journeys=v.journeys,
        conversions=v.conversions,
        conversion_rate=(v.conversions / v.journeys) if v.journeys else None,
        conversion_interval=wilson_interval(v.conversions, v.journeys, confidence),
        completed_with_time=len(times),
        median_time_s=float(np.median(times)) if times else None,
        median_time_interval=(boot[1], boot[2]) if boot is not None else None,
    )


def _sample_sizes(a: VariantSummary, b: VariantSummary) -> str:
    if a.journeys == b.journeys:
        return f"n={a.journeys:,} each"
    return f"n={a.journeys:,} {a.name}, {b.journeys:,} {b.name}"


def _conversion_sentence(
    a: VariantSummary,
    b: VariantSummary,
    diff: float,
    low: float,
    high: float,
    conclusive: bool,
    needed: int | None,
    confidence: float,
    power: float,
) -> str:
    pts, lo, hi = 100.0 * diff, 100.0 * low, 100.0 * high
    # Figures are stated in the direction of the word: "better" shows b - a, "worse" shows a - b.
    if round(pts, 1) > 0:
        head = f"{b.name} converts {pts:+.1f} points [{lo:.1f}, {hi:.1f}] better than {a.name}"
    elif round(pts, 1) < 0:
        head = f"{b.name} converts {-pts:.1f} points [{-hi:.1f}, {-lo:.1f}] worse than {a.name}"
    else:
        head = (
            f"{b.name} converts at the same rate as {a.name}, "
            f"difference {abs(pts):.1f} points [{lo:.1f}, {hi:.1f}]"
        )
    head += f" ({_sample_sizes(a, b)}); "
    if conclusive:
        return head + f"conclusive at {_pct_label(confidence)}."
    if needed is None:
        return head + (
            f"not conclusive at {_pct_label(confidence)}: both converted at the same rate, "
            "so no sample size can be estimated for this difference."
        )
    return head + (
        f"not conclusive: about {round_up_3sig(needed):,} journeys per variant would be needed "
        f"to detect a difference this size with {_pct_label(power)} power."
    )


def _time_sentence(
    a: VariantSummary, b: VariantSummary, diff: float, low: float, high: float, conclusive: bool,
    confidence: float,
) -> str:
    medians = f"(medians {b.median_time_s:.1f} s vs {a.median_time_s:.1f} s)"
    if round(diff, 1) < 0:
        head = f"{b.name} is {-diff:.1f} s faster at the median [{-high:.1f}, {-low:.1f}] than {a.name}"
    elif round(diff, 1) > 0:
        head = f"{b.name} is {diff:.1f} s slower at the median [{low:.1f}, {high:.1f}] than {a.name}"
    else:
        head = (
            f"{b.name} has the same median completion time as {a.name}, "
            f"difference {abs(diff):.1f} s [{low:.1f}, {high:.1f}]"
        )
    tail = "conclusive" if conclusive else "not conclusive"
    return f"{head} {medians}; {tail} at {_pct_label(confidence)}."


def compare_variants(
    a: VariantOutcome,
    b: VariantOutcome,
    confidence: float = 0.95,
    power: float = 0.8,
    n_resamples: int = 9999,
    seed: int = 0,
) -> Comparison:
    """Compare candidate ``b`` against baseline ``a`` (differences are ``b - a``).

    Conversion: Wilson intervals per variant, Newcombe (method 10) interval for the difference,
    conclusive when that interval excludes 0; otherwise the journeys per variant needed to detect
    the observed difference with ``power`` at level ``1 - confidence``. Completion time: median of
    converted journeys, percentile bootstrap intervals (deterministic for ``seed``).
    """
    sa = _summarise(a, confidence, n_resamples, seed)
    sb = _summarise(b, confidence, n_resamples, seed)

    conv_diff: float | None = None
    conv_iv: tuple[float, float] | None = None
    p_value: float | None = None
    conv_conclusive = False
    needed: int | None = None
    if a.journeys == 0 or b.journeys == 0:
        empty = " and ".join(v.name for v in (a, b) if v.journeys == 0)
        conv_sentence = f"Conversion cannot be compared: no journeys for {empty}."
    else:
        conv_diff, low, high = newcombe_diff_interval(
            a.conversions, a.journeys, b.conversions, b.journeys, confidence
        )
        conv_iv = (low, high)
        p_value = two_proportion_p_value(a.conversions, a.journeys, b.conversions, b.journeys)
        conv_conclusive = low > 0.0 or high < 0.0
        if not conv_conclusive:
            needed = required_sample_size(
                a.conversions / a.journeys, b.conversions / b.journeys, power=power,
                alpha=1.0 - confidence,
            )
        conv_sentence = _conversion_sentence(
            sa, sb, conv_diff, low, high, conv_conclusive, needed, confidence, power
        )

    time_diff: float | None = None
    time_iv: tuple[float, float] | None = None
    time_conclusive = False
    boot = bootstrap_median_diff_interval(
        a.completion_times_s, b.completion_times_s, confidence, n_resamples=n_resamples, seed=seed
    )
    if boot is None:
        few = " and ".join(v.name for v in (a, b) if len(v.completion_times_s) < 2)
        time_sentence = (
            f"Completion time cannot be compared: fewer than 2 completed journeys for {few}."
        )
    else:
        time_diff, tlow, thigh = boot
        time_iv = (tlow, thigh)
        time_conclusive = tlow > 0.0 or thigh < 0.0
        time_sentence = _time_sentence(sa, sb, time_diff, tlow, thigh, time_conclusive, confidence)

    return Comparison(
        baseline=sa,
        candidate=sb,
        confidence=confidence,
        power=power,
        conversion_diff=conv_diff,
        conversion_diff_interval=conv_iv,
        conversion_p_value=p_value,
        conversion_conclusive=conv_conclusive,
        journeys_needed_per_variant=needed,
        time_diff_s=time_diff,
        time_diff_interval=time_iv,
        time_conclusive=time_conclusive,
        conversion_sentence=conv_sentence,
        time_sentence=time_sentence,
    )
