"""Tests for reports.stats and reports.abtest.

Three kinds: published values (Wilson, Newcombe 1998 table II, Fleiss' sample size), properties
(Hypothesis), and coverage measured on simulated data with fixed seeds. Each coverage test also
checks that its own harness would notice a miscalibrated interval, so it can fail.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from reports import stats as S
from reports.abtest import VariantOutcome, compare_variants, round_up_3sig


# =========================================================================== Wilson
class TestWilsonKnownValues:
    def test_81_of_263(self) -> None:
        low, high = S.wilson_interval(81, 263)
        assert low == pytest.approx(0.2553, abs=1e-4)
        assert high == pytest.approx(0.3662, abs=1e-4)

    def test_7_of_10(self) -> None:
        low, high = S.wilson_interval(7, 10)
        assert (round(low, 4), round(high, 4)) == (0.3968, 0.8922)

    @pytest.mark.parametrize(
        "k,n,conf", [(0, 1, 0.95), (1, 1, 0.95), (3, 17, 0.9), (81, 263, 0.99), (500, 1000, 0.95)]
    )
    def test_matches_scipy_binomtest_wilson(self, k: int, n: int, conf: float) -> None:
        ref = sps.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
        low, high = S.wilson_interval(k, n, conf)
        assert low == pytest.approx(ref.low, abs=1e-12)
        assert high == pytest.approx(ref.high, abs=1e-12)

    def test_no_trials_is_the_whole_range(self) -> None:
        assert S.wilson_interval(0, 0) == (0.0, 1.0)

    def test_edges_are_exact(self) -> None:
        assert S.wilson_interval(0, 10)[0] == 0.0
        assert S.wilson_interval(10, 10)[1] == 1.0

    @pytest.mark.parametrize("k,n,conf", [(-1, 5, 0.95), (6, 5, 0.95), (1, -1, 0.95), (1, 5, 1.0),
                                          (1, 5, 0.0), (1.5, 5, 0.95)])
    def test_bad_input_raises(self, k: float, n: int, conf: float) -> None:
        with pytest.raises(ValueError):
            S.wilson_interval(k, n, conf)  # type: ignore[arg-type]


counts = st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
confidences = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@given(counts, confidences)
def test_wilson_contains_estimate_and_stays_in_unit_interval(kn: tuple[int, int], conf: float) -> None:
    k, n = kn
    low, high = S.wilson_interval(k, n, conf)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(counts, st.integers(min_value=2, max_value=20))
def test_wilson_narrower_with_more_trials_at_the_same_rate(kn: tuple[int, int], m: int) -> None:
    k, n = kn
    lo1, hi1 = S.wilson_interval(k, n)
    lo2, hi2 = S.wilson_interval(m * k, m * n)
    assert hi2 - lo2 < hi1 - lo1


@given(counts)
def test_wilson_is_symmetric_in_success_and_failure(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = S.wilson_interval(k, n)
    flo, fhi = S.wilson_interval(n - k, n)
    assert low == pytest.approx(1.0 - fhi, abs=1e-12)
    assert high == pytest.approx(1.0 - flo, abs=1e-12)


@given(counts)
def test_wilson_wider_at_higher_confidence(kn: tuple[int, int]) -> None:
    k, n = kn
    lo90, hi90 = S.wilson_interval(k, n, 0.90)
    lo99, hi99 = S.wilson_interval(k, n, 0.99)
    assert lo99 <= lo90 and hi99 >= hi90 and (hi99 - lo99) > (hi90 - lo90)


# =========================================================================== Newcombe
# Newcombe (1998), Stat Med 17:873-890, table II, method 10, reported as p1 - p2 for
# "x1/n1 vs x2/n2"; our function returns p2 - p1, so the groups are passed the other way round.
# (Example (a) is 56/70 vs 48/80: difference 0.2000, interval 0.0524 to 0.3339.)
NEWCOMBE_TABLE_II = [
    # (x1, n1, x2, n2, diff, low, high) with diff = x1/n1 - x2/n2
    (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
    (10, 10, 0, 20, 1.0000, 0.6791, 1.0000),
    (84, 101, 89, 105, -0.0159, -0.1177, 0.0851),
]


@pytest.mark.parametrize("x1,n1,x2,n2,diff,low,high", NEWCOMBE_TABLE_II)
def test_newcombe_matches_newcombe_1998_table_ii(
    x1: int, n1: int, x2: int, n2: int, diff: float, low: float, high: float
) -> None:
    d, lo, hi = S.newcombe_diff_interval(x2, n2, x1, n1)
    assert d == pytest.approx(diff, abs=1e-4)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_newcombe_orientation_is_second_minus_first() -> None:
    d, lo, hi = S.newcombe_diff_interval(56, 70, 48, 80)
    assert d == pytest.approx(-0.2)
    assert (lo, hi) == (pytest.approx(-0.3339, abs=1e-4), pytest.approx(-0.0524, abs=1e-4))


def test_newcombe_needs_trials_in_both_groups() -> None:
    with pytest.raises(ValueError):
        S.newcombe_diff_interval(0, 0, 1, 2)


@given(counts, counts, confidences)
def test_newcombe_contains_difference_and_stays_in_range(
    a: tuple[int, int], b: tuple[int, int], conf: float
) -> None:
    d, lo, hi = S.newcombe_diff_interval(a[0], a[1], b[0], b[1], conf)
    assert d == pytest.approx(b[0] / b[1] - a[0] / a[1])
    assert -1.0 <= lo <= d <= hi <= 1.0


@given(counts, counts)
def test_newcombe_is_antisymmetric_under_swap(a: tuple[int, int], b: tuple[int, int]) -> None:
    d, lo, hi = S.newcombe_diff_interval(a[0], a[1], b[0], b[1])
    d2, lo2, hi2 = S.newcombe_diff_interval(b[0], b[1], a[0], a[1])
    assert d == pytest.approx(-d2, abs=1e-12)
    assert lo == pytest.approx(-hi2, abs=1e-12)
    assert hi == pytest.approx(-lo2, abs=1e-12)


# =========================================================================== coverage (simulated)
N_DRAWS = 20_000  # Monte Carlo SE of a coverage near 0.95 is about 0.0015


def wilson_coverage(p: float, n: int, seed: int, confidence: float = 0.95) -> float:
    """Share of simulated samples whose Wilson interval contains the true p."""
    rng = np.random.default_rng(seed)
    k = rng.binomial(n, p, size=N_DRAWS)
    table = np.array([S.wilson_interval(i, n, confidence) for i in range(n + 1)])
    low, high = table[k, 0], table[k, 1]
    return float(np.mean((low <= p) & (p <= high)))


def wilson_exact_coverage(p: float, n: int, confidence: float = 0.95) -> float:
    """Coverage computed exactly by summing binomial probabilities (no simulation noise)."""
    table = np.array([S.wilson_interval(i, n, confidence) for i in range(n + 1)])
    inside = (table[:, 0] <= p) & (p <= table[:, 1])
    return float(sps.binom.pmf(np.arange(n + 1), n, p)[inside].sum())


COVERAGE_CELLS = [(0.1, 50), (0.5, 50), (0.8, 50), (0.1, 400), (0.5, 400), (0.8, 400)]


@pytest.mark.parametrize("p,n", COVERAGE_CELLS)
def test_wilson_simulated_coverage_is_near_95(p: float, n: int) -> None:
    # Wilson's coverage oscillates with n and p because k is discrete: exactly 0.9351 at
    # (p=0.5, n=50) and 0.9703 at (p=0.1, n=50). Hence a band of +-2.5 points at n=50,
    # +-1.5 at n=400 where the oscillation is smaller.
    cov = wilson_coverage(p, n, seed=1000 + n + int(100 * p))
    band = (0.925, 0.975) if n < 100 else (0.935, 0.965)
    assert band[0] <= cov <= band[1], f"Wilson coverage {cov:.4f} at p={p}, n={n}"


@pytest.mark.parametrize("p,n", COVERAGE_CELLS)
def test_wilson_exact_coverage_is_near_95(p: float, n: int) -> None:
    cov = wilson_exact_coverage(p, n)
    band = (0.93, 0.975) if n < 100 else (0.94, 0.96)
    assert band[0] <= cov <= band[1], f"Wilson exact coverage {cov:.4f} at p={p}, n={n}"


def test_coverage_harness_detects_a_miscalibrated_interval() -> None:
    # A 90% interval must show ~0.90, i.e. fail the 95% band: the harness can fail.
    cov90 = wilson_coverage(0.5, 400, seed=7, confidence=0.90)
    assert 0.88 <= cov90 <= 0.92
    assert not (0.935 <= cov90 <= 0.965)


NEWCOMBE_CELLS = [
    (0.1, 0.15, 50, 50),
    (0.5, 0.6, 50, 50),
    (0.8, 0.7, 50, 50),
    (0.1, 0.15, 400, 400),
    (0.5, 0.5, 400, 400),
    (0.8, 0.7, 400, 400),
    (0.3, 0.4, 50, 400),
]


def newcombe_coverage(p1: float, p2: float, n1: int, n2: int, seed: int, confidence: float = 0.95) -> float:
    rng = np.random.default_rng(seed)
    k1 = rng.binomial(n1, p1, size=N_DRAWS)
    k2 = rng.binomial(n2, p2, size=N_DRAWS)
    pairs, inverse = np.unique(np.stack([k1, k2], axis=1), axis=0, return_inverse=True)
    true = p2 - p1
    hit = np.array(
        [
            lo <= true <= hi
            for _, lo, hi in (
                S.newcombe_diff_interval(int(a), n1, int(b), n2, confidence) for a, b in pairs
            )
        ]
    )
    return float(np.mean(hit[inverse.ravel()]))


@pytest.mark.parametrize("p1,p2,n1,n2", NEWCOMBE_CELLS)
def test_newcombe_simulated_coverage_is_near_95(p1: float, p2: float, n1: int, n2: int) -> None:
    cov = newcombe_coverage(p1, p2, n1, n2, seed=2000 + n1 + n2 + int(100 * p1))
    assert 0.93 <= cov <= 0.97, f"Newcombe coverage {cov:.4f} at {p1}/{n1} vs {p2}/{n2}"


def test_newcombe_coverage_harness_detects_a_miscalibrated_interval() -> None:
    cov90 = newcombe_coverage(0.5, 0.6, 400, 400, seed=11, confidence=0.90)
    assert not (0.93 <= cov90 <= 0.97)
    assert 0.87 <= cov90 <= 0.93


# =========================================================================== bootstrap
def test_bootstrap_median_is_deterministic_for_a_seed() -> None:
    x = np.random.default_rng(3).lognormal(3.0, 0.6, size=80)
    first = S.bootstrap_median_interval(x, seed=42, n_resamples=999)
    assert first == S.bootstrap_median_interval(list(x), seed=42, n_resamples=999)
    assert first is not None and first[0] == float(np.median(x))
    other = S.bootstrap_median_interval(x, seed=43, n_resamples=999)
    assert other is not None and other[1:] != first[1:]


def test_bootstrap_small_and_degenerate_samples() -> None:
    assert S.bootstrap_median_interval([]) is None
    assert S.bootstrap_median_interval([12.0]) is None
    assert S.bootstrap_median_interval([5.0, 5.0, 5.0]) == (5.0, 5.0, 5.0)
    assert S.bootstrap_median_diff_interval([1.0], [1.0, 2.0]) is None
    assert S.bootstrap_median_diff_interval([2.0, 2.0], [5.0, 5.0]) == (3.0, 3.0, 3.0)
    with pytest.raises(ValueError):
        S.bootstrap_median_interval([1.0, float("nan")])


def test_bootstrap_handles_large_samples_in_batches() -> None:
    # 50,000 journeys x 9,999 resamples would need 4 GB in one go; batching keeps it small.
    x = np.random.default_rng(5).lognormal(3.0, 0.5, size=50_000)
    res = S.bootstrap_median_interval(x, n_resamples=199)
    assert res is not None and res[1] < res[0] < res[2]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=600.0), min_size=2, max_size=60))
def test_bootstrap_median_interval_properties(values: list[float]) -> None:
    res = S.bootstrap_median_interval(values, n_resamples=199, seed=1)
    assert res is not None
    med, low, high = res
    assert min(values) <= low <= med <= high <= max(values)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=600.0), min_size=2, max_size=40),
    st.lists(st.floats(min_value=0.0, max_value=600.0), min_size=2, max_size=40),
)
def test_bootstrap_median_diff_properties(a: list[float], b: list[float]) -> None:
    res = S.bootstrap_median_diff_interval(a, b, n_resamples=199, seed=1)
    assert res is not None
    diff, low, high = res
    assert diff == pytest.approx(float(np.median(b) - np.median(a)))
    assert low <= high
    assert min(b) - max(a) <= low and high <= max(b) - min(a)


BOOT_REPS = 400
BOOT_N = 40


def test_bootstrap_median_coverage_on_lognormal_data() -> None:
    # Completion times are right-skewed; lognormal(mu=3, sigma=0.6) has median e^3 ~ 20 s.
    rng = np.random.default_rng(20240601)
    true_median = math.exp(3.0)
    hits = 0
    for i in range(BOOT_REPS):
        x = rng.lognormal(3.0, 0.6, size=BOOT_N)
        res = S.bootstrap_median_interval(x, n_resamples=999, seed=i)
        assert res is not None
        hits += res[1] <= true_median <= res[2]
    cov = hits / BOOT_REPS
    assert 0.90 <= cov <= 0.98, f"bootstrap median coverage {cov:.3f}"


def test_bootstrap_median_diff_coverage_on_lognormal_data() -> None:
    rng = np.random.default_rng(20240602)
    true_diff = math.exp(2.8) - math.exp(3.0)  # b faster than a by ~3.6 s at the median
    hits = 0
    for i in range(BOOT_REPS):
        a = rng.lognormal(3.0, 0.6, size=BOOT_N)
        b = rng.lognormal(2.8, 0.6, size=BOOT_N + 10)
        res = S.bootstrap_median_diff_interval(a, b, n_resamples=999, seed=i)
        assert res is not None
        hits += res[1] <= true_diff <= res[2]
    cov = hits / BOOT_REPS
    assert 0.90 <= cov <= 0.98, f"bootstrap median-difference coverage {cov:.3f}"


# =========================================================================== Newcombe, paired
def test_newcombe_paired_matches_the_published_example() -> None:
    # Cavo et al. 2012 in Fagerland, Lydersen & Laake (2017), ch. 8: table [[59, 6], [16, 80]],
    # difference -0.0621 (95% CI -0.1186 to -0.0046) for p1 - p2; here second minus first.
    diff, low, high = S.newcombe_paired_diff_interval(59, 6, 16, 80)
    assert (round(diff, 4), round(low, 4), round(high, 4)) == (0.0621, 0.0046, 0.1186)


def test_newcombe_paired_without_correlation_is_the_unpaired_interval() -> None:
    # both * neither == first_only * second_only: no correlation between the margins
    assert S.newcombe_paired_diff_interval(30, 10, 15, 5) == pytest.approx(S.newcombe_diff_interval(40, 60, 45, 60))


def test_newcombe_paired_few_discordant_people_are_not_conclusive() -> None:
    # 4 of 150 changed, all the same way: McNemar's exact p = 0.125
    _, low, high = S.newcombe_paired_diff_interval(146, 0, 4, 0)
    assert low < 0 < high
    _, low, _ = S.newcombe_paired_diff_interval(130, 0, 20, 0)
    assert low > 0


def test_newcombe_paired_needs_pairs() -> None:
    with pytest.raises(ValueError):
        S.newcombe_paired_diff_interval(0, 0, 0, 0)
    with pytest.raises(ValueError):
        S.newcombe_paired_diff_interval(1, -1, 0, 0)


paired_tables = st.tuples(*(st.integers(min_value=0, max_value=300) for _ in range(4))).filter(lambda t: sum(t) > 0)


@given(paired_tables, confidences)
def test_newcombe_paired_contains_estimate_and_is_antisymmetric(t: tuple[int, int, int, int], conf: float) -> None:
    both, first, second, neither = t
    diff, low, high = S.newcombe_paired_diff_interval(both, first, second, neither, conf)
    assert -1.0 <= low <= diff <= high <= 1.0
    assert diff == pytest.approx((second - first) / sum(t))
    d2, l2, h2 = S.newcombe_paired_diff_interval(both, second, first, neither, conf)
    assert (d2, l2, h2) == pytest.approx((-diff, -high, -low))


def test_newcombe_paired_coverage_on_correlated_pairs() -> None:
    # Shoppers who mostly do the same in both designs: P(both) 0.80, first only 0.03,
    # second only 0.07, neither 0.10; true difference +0.04.
    rng = np.random.default_rng(20261205)
    probs = [0.80, 0.03, 0.07, 0.10]
    hits = 0
    for _ in range(2000):
        t = rng.multinomial(150, probs)
        _, low, high = S.newcombe_paired_diff_interval(*map(int, t))
        hits += low <= 0.04 <= high
    assert 0.93 <= hits / 2000 <= 0.975, hits / 2000


# =========================================================================== bootstrap of means
def test_bootstrap_mean_small_degenerate_and_deterministic() -> None:
    assert S.bootstrap_mean_interval([3.0]) is None
    assert S.bootstrap_mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert S.bootstrap_mean_diff_interval([1.0], [1.0, 2.0]) is None
    assert S.bootstrap_mean_diff_interval([1.0, 1.0], [4.0, 4.0]) == (3.0, 3.0, 3.0)
    x = np.random.default_rng(4).exponential(5.0, size=60)
    first = S.bootstrap_mean_interval(x, n_resamples=499, seed=9)
    assert first == S.bootstrap_mean_interval(list(x), n_resamples=499, seed=9)
    assert first is not None and first[0] == pytest.approx(float(np.mean(x)))


def test_bootstrap_mean_interval_holds_a_lumpy_estimate() -> None:
    # one shopper in 200 lost 100 s: the interval must still hold the mean (0.5 s)
    mean, low, high = S.bootstrap_mean_interval([0.0] * 199 + [100.0], n_resamples=999, seed=0)
    assert mean == pytest.approx(0.5) and low <= mean <= high


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=-300.0, max_value=300.0), min_size=2, max_size=50))
def test_bootstrap_mean_interval_properties(values: list[float]) -> None:
    res = S.bootstrap_mean_interval(values, n_resamples=199, seed=2)
    assert res is not None
    mean, low, high = res
    assert mean == pytest.approx(float(np.mean(values)), abs=1e-9)
    assert min(values) - 1e-9 <= low <= mean <= high <= max(values) + 1e-9


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=600.0), min_size=2, max_size=40),
    st.lists(st.floats(min_value=0.0, max_value=600.0), min_size=2, max_size=40),
)
def test_bootstrap_mean_diff_properties(a: list[float], b: list[float]) -> None:
    res = S.bootstrap_mean_diff_interval(a, b, n_resamples=199, seed=1)
    assert res is not None
    diff, low, high = res
    assert diff == pytest.approx(float(np.mean(b) - np.mean(a)), abs=1e-9)
    assert low <= diff <= high


def test_bootstrap_mean_of_paired_differences_coverage() -> None:
    # Paired shoppers: per-person differences of a skewed time (true mean difference 2 s).
    rng = np.random.default_rng(20261205)
    hits = 0
    for i in range(BOOT_REPS):
        d = rng.exponential(2.0, size=BOOT_N * 2) * rng.choice([1.0, 1.0, 1.0, 0.0], size=BOOT_N * 2) / 0.75
        res = S.bootstrap_mean_interval(d, n_resamples=999, seed=i)
        assert res is not None
        hits += res[1] <= 2.0 <= res[2]
    cov = hits / BOOT_REPS
    assert 0.90 <= cov <= 0.98, f"bootstrap paired-mean coverage {cov:.3f}"


# =========================================================================== sample size, tests
def test_required_sample_size_textbook_value() -> None:
    # Fleiss et al. formula without continuity correction: 387.3 -> 388 per group.
    assert S.required_sample_size(0.5, 0.6) == 388
    assert S.required_sample_size(0.1, 0.2) == 199
    assert S.required_sample_size(0.6, 0.5) == 388


def test_required_sample_size_is_none_without_a_difference() -> None:
    assert S.required_sample_size(0.3, 0.3) is None


def test_required_sample_size_is_the_smallest_n_with_the_power() -> None:
    for p1, p2 in [(0.5, 0.6), (0.1, 0.12), (0.7, 0.9), (0.02, 0.03)]:
        n = S.required_sample_size(p1, p2)
        assert n is not None
        assert S.power_two_proportions(p1, p2, n) >= 0.8 > S.power_two_proportions(p1, p2, n - 1)


@given(
    st.floats(min_value=0.01, max_value=0.99),
    st.floats(min_value=0.01, max_value=0.99),
)
def test_required_sample_size_monotone_in_power_and_alpha(p1: float, p2: float) -> None:
    if abs(p1 - p2) < 1e-3:
        return
    n80 = S.required_sample_size(p1, p2, power=0.8)
    n90 = S.required_sample_size(p1, p2, power=0.9)
    n_strict = S.required_sample_size(p1, p2, alpha=0.01)
    assert n80 is not None and n90 is not None and n_strict is not None
    assert n90 >= n80 and n_strict >= n80
    assert S.required_sample_size(p2, p1) == n80


def test_required_sample_size_delivers_its_power_in_simulation() -> None:
    # 4,000 simulated A/B tests at the computed n: the z-test should reject ~80% of the time.
    n = S.required_sample_size(0.5, 0.6)
    assert n == 388
    rng = np.random.default_rng(99)
    k1 = rng.binomial(n, 0.5, size=4000)
    k2 = rng.binomial(n, 0.6, size=4000)
    rejected = np.mean([S.two_proportion_p_value(int(a), n, int(b), n) < 0.05 for a, b in zip(k1, k2)])
    assert 0.77 <= rejected <= 0.83, f"simulated power {rejected:.3f}"


@pytest.mark.parametrize("s1,n1,s2,n2", [(240, 400, 262, 400), (5, 20, 12, 25), (81, 263, 70, 180)])
def test_two_sided_p_value_equals_pearson_chi_square(s1: int, n1: int, s2: int, n2: int) -> None:
    table = [[s1, n1 - s1], [s2, n2 - s2]]
    ref = sps.chi2_contingency(table, correction=False).pvalue
    assert S.two_proportion_p_value(s1, n1, s2, n2) == pytest.approx(ref, rel=1e-10)


def test_p_value_edge_cases() -> None:
    assert math.isnan(S.two_proportion_p_value(0, 0, 3, 10))
    assert S.two_proportion_p_value(0, 10, 0, 20) == 1.0
    assert S.two_proportion_p_value(10, 10, 20, 20) == 1.0
    one = S.two_proportion_p_value(240, 400, 215, 400, alternative="less")
    two = S.two_proportion_p_value(240, 400, 215, 400)
    assert one == pytest.approx(two / 2)
    with pytest.raises(ValueError):
        S.two_proportion_p_value(1, 2, 1, 2, alternative="sideways")  # type: ignore[arg-type]


@given(counts, counts)
def test_p_value_in_unit_interval_and_symmetric(a: tuple[int, int], b: tuple[int, int]) -> None:
    p = S.two_proportion_p_value(a[0], a[1], b[0], b[1])
    assert 0.0 <= p <= 1.0
    assert p == pytest.approx(S.two_proportion_p_value(b[0], b[1], a[0], a[1]), abs=1e-12)
    less = S.two_proportion_p_value(a[0], a[1], b[0], b[1], "less")
    greater = S.two_proportion_p_value(a[0], a[1], b[0], b[1], "greater")
    assert less + greater == pytest.approx(1.0)


# =========================================================================== CI gate helpers
def test_conversion_significantly_lower_is_one_sided() -> None:
    assert S.conversion_significantly_lower(240, 400, 205, 400)  # 60% -> 51.25%
    assert not S.conversion_significantly_lower(240, 400, 235, 400)  # small dip: noise
    assert not S.conversion_significantly_lower(240, 400, 290, 400)  # improvement never fails
    assert not S.conversion_significantly_lower(240, 400, 0, 0)  # no evidence
    # 60% -> 54.5% at n=400: one-sided p ~0.06, so it depends on alpha.
    assert S.conversion_significantly_lower(240, 400, 218, 400, alpha=0.1)
    assert not S.conversion_significantly_lower(240, 400, 218, 400, alpha=0.05)


def test_conversion_gate_false_alarm_rate_is_alpha() -> None:
    rng = np.random.default_rng(123)
    base = rng.binomial(400, 0.6, size=4000)
    new = rng.binomial(400, 0.6, size=4000)
    alarms = np.mean([S.conversion_significantly_lower(int(b), 400, int(n), 400) for b, n in zip(base, new)])
    assert 0.035 <= alarms <= 0.065, f"false alarm rate {alarms:.3f}"


def test_percent_worse() -> None:
    assert S.percent_worse(200.0, 250.0) == pytest.approx(25.0)  # latency up 25%
    assert S.percent_worse(200.0, 150.0) == pytest.approx(-25.0)  # faster: negative
    assert S.percent_worse(0.60, 0.54, higher_is_better=True) == pytest.approx(10.0)
    assert S.percent_worse(0.60, 0.66, higher_is_better=True) == pytest.approx(-10.0)
    assert S.percent_worse(0.0, 0.0) == 0.0
    assert S.percent_worse(0.0, 1.0) == math.inf
    assert S.percent_worse(0.0, 1.0, higher_is_better=True) == -math.inf
    with pytest.raises(ValueError):
        S.percent_worse(float("nan"), 1.0)


# =========================================================================== compare_variants
def _times(seed: int, mu: float, n: int) -> tuple[float, ...]:
    return tuple(np.random.default_rng(seed).lognormal(mu, 0.5, size=n))


def test_conclusive_conversion_sentence() -> None:
    a = VariantOutcome("baseline", 400, 240, _times(1, 3.0, 240))
    b = VariantOutcome("inline-best", 400, 280, _times(2, 2.8, 280))
    c = compare_variants(a, b, n_resamples=999)
    d, lo, hi = S.newcombe_diff_interval(240, 400, 280, 400)
    assert c.conversion_diff == pytest.approx(d) and c.conversion_diff_interval == (lo, hi)
    assert c.conversion_conclusive and c.journeys_needed_per_variant is None
    assert c.conversion_sentence == (
        f"inline-best converts +{100 * d:.1f} points [{100 * lo:.1f}, {100 * hi:.1f}] better than "
        "baseline (n=400 each); conclusive at 95%."
    )
    assert c.baseline.conversion_rate == 0.6
    assert c.baseline.conversion_interval == S.wilson_interval(240, 400)


def test_inconclusive_sentence_gives_journeys_needed() -> None:
    a = VariantOutcome("baseline", 400, 240)
    b = VariantOutcome("inline-best", 400, 262)
    c = compare_variants(a, b, n_resamples=199)
    assert not c.conversion_conclusive
    needed = S.required_sample_size(0.6, 0.655)
    assert c.journeys_needed_per_variant == needed
    m = re.search(r"not conclusive: about ([\d,]+) journeys per variant would be needed to detect "
                  r"a difference this size with 80% power\.$", c.conversion_sentence)
    assert m, c.conversion_sentence
    assert int(m.group(1).replace(",", "")) == round_up_3sig(needed) >= needed
    assert c.conversion_sentence.startswith("inline-best converts +5.5 points [")
    assert c.time_sentence.startswith("Completion time cannot be compared")


def test_worse_variant_states_figures_in_the_direction_of_the_word() -> None:
    a = VariantOutcome("baseline", 400, 240)
    b = VariantOutcome("summary-top", 380, 200)
    c = compare_variants(a, b, n_resamples=199)
    _, lo, hi = S.newcombe_diff_interval(240, 400, 200, 380)
    assert c.conversion_conclusive
    assert c.conversion_sentence == (
        f"summary-top converts {100 * (0.6 - 200 / 380):.1f} points [{-100 * hi:.1f}, {-100 * lo:.1f}] "
        "worse than baseline (n=400 baseline, 380 summary-top); conclusive at 95%."
    )


def test_equal_rates_cannot_give_a_sample_size() -> None:
    c = compare_variants(VariantOutcome("a", 100, 50), VariantOutcome("b", 120, 60), n_resamples=199)
    assert c.conversion_diff == 0.0 and not c.conversion_conclusive
    assert c.journeys_needed_per_variant is None
    assert "same rate" in c.conversion_sentence and "no sample size" in c.conversion_sentence


def test_time_sentence_faster_and_slower() -> None:
    a = VariantOutcome("baseline", 400, 240, _times(1, 3.0, 240))
    b = VariantOutcome("inline-best", 400, 262, _times(2, 2.6, 262))
    c = compare_variants(a, b, n_resamples=1999)
    diff = float(np.median(b.completion_times_s) - np.median(a.completion_times_s))
    assert c.time_diff_s == pytest.approx(diff) and diff < 0
    lo, hi = c.time_diff_interval  # type: ignore[misc]
    assert c.time_conclusive and hi < 0
    assert c.time_sentence.startswith(
        f"inline-best is {-diff:.1f} s faster at the median [{-hi:.1f}, {-lo:.1f}] than baseline"
    )
    assert c.time_sentence.endswith("; conclusive at 95%.")
    assert c.candidate.median_time_interval is not None
    mlo, mhi = c.candidate.median_time_interval
    assert mlo < c.candidate.median_time_s < mhi  # type: ignore[operator]

    r = compare_variants(b, a, n_resamples=1999)
    assert r.time_sentence.startswith(f"baseline is {-diff:.1f} s slower at the median")


def test_compare_is_deterministic_and_serialisable() -> None:
    a = VariantOutcome("baseline", 50, 30, _times(1, 3.0, 30))
    b = VariantOutcome("b", 50, 33, _times(2, 3.0, 33))
    c1 = compare_variants(a, b, n_resamples=999, seed=5)
    c2 = compare_variants(a, b, n_resamples=999, seed=5)
    assert c1 == c2
    d = dataclasses.asdict(c1)
    assert d["candidate"]["name"] == "b" and isinstance(d["conversion_sentence"], str)


def test_empty_variant_is_reported_not_crashed() -> None:
    c = compare_variants(VariantOutcome("a", 0, 0), VariantOutcome("b", 10, 3), n_resamples=199)
    assert c.conversion_diff is None and not c.conversion_conclusive
    assert c.baseline.conversion_rate is None and c.baseline.conversion_interval == (0.0, 1.0)
    assert c.conversion_sentence == "Conversion cannot be compared: no journeys for a."


def test_variant_outcome_from_journeys_keeps_only_converted_times() -> None:
    v = VariantOutcome.from_journeys("x", [(True, 30.0), (False, 5.0), (True, None), (True, 40.0)])
    assert (v.journeys, v.conversions, v.completion_times_s) == (4, 3, (30.0, 40.0))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(name="x", journeys=10, conversions=11),
        dict(name="x", journeys=-1, conversions=0),
        dict(name="x", journeys=10, conversions=1, completion_times_s=(1.0, 2.0)),
        dict(name="x", journeys=10, conversions=2, completion_times_s=(1.0, float("nan"))),
        dict(name="", journeys=1, conversions=0),
    ],
)
def test_variant_outcome_rejects_bad_input(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        VariantOutcome(**kwargs)


def test_round_up_3sig() -> None:
    assert [round_up_3sig(n) for n in (388, 999, 1000, 1847, 12_301)] == [388, 999, 1000, 1850, 12_400]
