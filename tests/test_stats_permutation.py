"""Permutation tests of mean(B) - mean(A) against scipy.stats.permutation_test (exact and Monte
Carlo), hand-computed p-values with ties, the smallest reachable p-value, and Mann-Whitney U
against scipy row by row."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats

from kataio_tui.stats import permutation
from kataio_tui.stats.inputs import StatsInputError
from kataio_tui.stats.permutation import (
    mannwhitney_pvalues, n_partitions, permutation_pvalues, repeats_needed, smallest_pvalue,
)


def _diff_of_means(a, b, axis):
    return np.mean(b, axis=axis) - np.mean(a, axis=axis)


def _scipy_p(a, b, alternative, resamples=np.inf, rng=None):
    return scipy.stats.permutation_test((a, b), _diff_of_means, alternative=alternative, n_resamples=resamples,
                                        vectorized=True, rng=rng).pvalue


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
@pytest.mark.parametrize(("n_a", "n_b"), [(2, 2), (3, 3), (3, 5), (4, 4), (5, 5), (9, 9), (7, 2)])
def test_exact_pvalues_equal_scipy(n_a, n_b, alternative):
    rng = np.random.default_rng(100 * n_a + n_b)
    shifts = (-0.3, -0.05, 0, 0.1, 0.4) if n_a + n_b < 18 else (-0.05,)  # scipy's 48,620 splits take seconds
    pairs = [(rng.lognormal(5, 0.2, n_a), rng.lognormal(5 + shift, 0.2, n_b)) for shift in shifts]
    ours = permutation_pvalues(pairs, alternative)
    assert ours == [pytest.approx(_scipy_p(a, b, alternative), abs=1e-12) for a, b in pairs]


def test_many_tests_in_one_call_equal_one_by_one(monkeypatch):
    rng = np.random.default_rng(1)
    pairs = [(rng.normal(100, 5, 9), rng.normal(100 + d, 5, 9)) for d in np.linspace(-8, 8, 25)]
    alts = ["less", "greater", "two-sided"] * 8 + ["less"]
    together = permutation_pvalues(pairs, alts)
    monkeypatch.setattr(permutation, "_CHUNK_CELLS", 100_000)  # 2 rows of 48,620 partitions at a time
    assert permutation_pvalues(pairs, alts) == together
    assert together == [permutation_pvalues([p], a)[0] for p, a in zip(pairs, alts)]


def test_monte_carlo_is_seeded_and_close_to_scipy():
    rng = np.random.default_rng(2)
    a, b = rng.normal(10, 1, 12), rng.normal(10.6, 1, 12)  # C(24, 12) = 2.7 million partitions
    ours = permutation_pvalues([(a, b)], "two-sided", seed=3)[0]
    assert ours == permutation_pvalues([(a, b)], "two-sided", seed=3)[0]
    assert ours != permutation_pvalues([(a, b)], "two-sided", seed=4)[0]
    exact = scipy.stats.ttest_ind(a, b).pvalue  # a close reference for a smooth null
    theirs = _scipy_p(a, b, "two-sided", resamples=9999, rng=np.random.default_rng(3))
    # both estimate the same p with 9,999 random partitions: binomial error about 0.005
    assert abs(ours - theirs) < 0.03 and abs(ours - exact) < 0.05
    # Monte Carlo p-values are never 0: (count + 1) / (resamples + 1)
    far = permutation_pvalues([(rng.normal(10, 1, 12), rng.normal(30, 1, 12))], "less", resamples=999)[0]
    assert permutation_pvalues([(rng.normal(10, 1, 12), rng.normal(1, 0.1, 12))], "less", resamples=999)[0] == 1 / 1000
    assert far == 1.0


def test_hand_computed_with_ties():
    # pooled [1, 2, 2, 3]; the 6 splits give mean(B) - mean(A) = 1, 1, 0, 0, -1, -1; observed 1
    assert permutation_pvalues([([1, 2], [2, 3])], "greater") == [pytest.approx(1 / 3)]
    assert permutation_pvalues([([1, 2], [2, 3])], "less") == [1.0]
    assert permutation_pvalues([([1, 2], [2, 3])], "two-sided") == [pytest.approx(2 / 3)]
    # 3 and 3 that do not overlap: the one split of 20 that is as extreme
    assert permutation_pvalues([([4, 5, 6], [1, 2, 3])], ["less"]) == [pytest.approx(0.05)]
    assert permutation_pvalues([([4, 5, 6], [1, 2, 3])], ["two-sided"]) == [pytest.approx(0.1)]


def test_all_equal_samples_and_zeros_give_one():
    assert permutation_pvalues([([7.0] * 5, [7.0] * 5), ([0.0] * 3, [0.0] * 4)], "two-sided") == [1.0, 1.0]
    # large equal values: rounding in the sums must not decide
    big = 123456789.123
    assert permutation_pvalues([([big] * 9, [big] * 9)], "less") == [1.0]


def test_smallest_pvalue_and_repeats_needed_by_hand():
    assert n_partitions(3, 3) == 20 and n_partitions(9, 9) == 48620
    assert smallest_pvalue(3, 3, "less") == pytest.approx(0.05)
    assert smallest_pvalue(3, 3, "two-sided") == pytest.approx(0.1)
    assert smallest_pvalue(1, 1, "two-sided") == 1.0
    assert smallest_pvalue(12, 12, "less") == 1 / 10000  # Monte Carlo beyond max_exact
    assert smallest_pvalue(12, 12, "less", max_exact=10**7) == pytest.approx(1 / math.comb(24, 12))
    # 0.05 one-sided alone: 3 per side (1/20); two-sided: 4 (2/70); Holm over 108 tests one-sided:
    # 1/C(2n, n) <= 0.05/108 first at n = 7 (1/3432)
    assert repeats_needed(0.05, "less") == 3
    assert repeats_needed(0.05, "two-sided") == 4
    assert repeats_needed(0.05, "less", factor=108) == 7
    assert repeats_needed(0.05, "two-sided", factor=108) == 8
    assert repeats_needed(1e-30, "less", limit=10) is None


def test_smallest_pvalue_is_reached_by_the_test():
    for n_a, n_b in [(2, 3), (3, 3), (4, 6), (9, 9)]:
        a, b = list(range(n_a)), [100 + i for i in range(n_b)]
        for alternative in ("greater", "two-sided"):
            p = permutation_pvalues([(a, b)], alternative)[0]
            floor = smallest_pvalue(n_a, n_b, alternative)
            assert Fraction(p).limit_denominator(10**6) == Fraction(floor).limit_denominator(10**6)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_mann_whitney_equals_scipy_row_by_row(alternative):
    rng = np.random.default_rng(4)
    pairs = [(rng.normal(10, 1, 5), rng.normal(10 + d, 1, 5)) for d in (-2, 0, 1.5)]
    pairs += [([1, 2, 2, 3], [2, 3, 3, 4]), ([5.0] * 4, [5.0] * 4), (rng.normal(0, 1, 12).clip(0), rng.random(9))]
    ours = mannwhitney_pvalues(pairs, alternative)
    for (a, b), p in zip(pairs, ours):
        theirs = scipy.stats.mannwhitneyu(b, a, alternative=alternative).pvalue
        assert p == pytest.approx(1.0 if math.isnan(theirs) else theirs, abs=1e-12)


def test_refusals():
    with pytest.raises(StatsInputError, match="at least one sample on each side"):
        permutation_pvalues([([1.0], [])])
    with pytest.raises(StatsInputError, match="alternative must be one of"):
        permutation_pvalues([([1.0], [2.0])], "bigger")
    with pytest.raises(StatsInputError, match="2 alternatives for 1 pairs"):
        permutation_pvalues([([1.0], [2.0])], ["less", "less"])
    with pytest.raises(StatsInputError, match=r"pair 1, A: sample 2 is nan"):
        permutation_pvalues([([1.0, math.nan], [2.0])])
    with pytest.raises(StatsInputError, match="permutation resamples"):
        permutation_pvalues([([1.0], [2.0])], resamples=0)
