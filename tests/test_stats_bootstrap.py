"""Medians and ratios of medians with percentile-bootstrap intervals, against scipy.stats.bootstrap
on known data (same seed, same draws), and their edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from kataio_tui.stats.bootstrap import ratio_of_medians, summarize
from kataio_tui.stats.inputs import StatsInputError
from kataio_tui.stats.outcomes import SampleState


def _scipy_median_ci(x, seed, resamples=9999, confidence=0.95):
    res = scipy.stats.bootstrap((x,), np.median, method="percentile", n_resamples=resamples,
                                confidence_level=confidence, rng=np.random.default_rng(seed))
    return res.confidence_interval.low, res.confidence_interval.high


def _scipy_ratio_ci(a, b, seed, resamples=9999):
    def ratio(x, y, axis):
        return np.median(y, axis=axis) / np.median(x, axis=axis)
    res = scipy.stats.bootstrap((a, b), ratio, method="percentile", n_resamples=resamples,
                                rng=np.random.default_rng(seed))
    return res.confidence_interval.low, res.confidence_interval.high


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 9, 12])
def test_median_interval_equals_scipy_for_sorted_samples(n):
    rng = np.random.default_rng(n)
    x = np.sort(rng.lognormal(6, 0.3, n))
    (s,) = summarize([x], seed=41)
    low, high = _scipy_median_ci(x, 41)
    assert s.n == n and s.median == np.median(x)
    assert s.ci_low == pytest.approx(low, rel=1e-12) and s.ci_high == pytest.approx(high, rel=1e-12)


def test_confidence_level_and_resamples_are_passed_through():
    x = np.sort(np.random.default_rng(0).normal(100, 5, 9))
    (s,) = summarize([x], confidence=0.8, resamples=2000, seed=3)
    low, high = _scipy_median_ci(x, 3, resamples=2000, confidence=0.8)
    assert (s.ci_low, s.ci_high) == pytest.approx((low, high), rel=1e-12)
    (wide,) = summarize([x], confidence=0.99, seed=3)
    assert wide.ci_low <= s.ci_low and wide.ci_high >= s.ci_high


@pytest.mark.parametrize(("n_a", "n_b"), [(2, 2), (3, 3), (3, 5), (9, 9), (6, 10)])
def test_ratio_interval_equals_scipy_for_sorted_samples(n_a, n_b):
    rng = np.random.default_rng(10 * n_a + n_b)
    a = np.sort(rng.lognormal(6, 0.2, n_a))
    b = np.sort(rng.lognormal(5.8, 0.2, n_b))
    (e,) = ratio_of_medians([(a, b)], seed=5)
    low, high = _scipy_ratio_ci(a, b, 5)
    assert e.ratio == pytest.approx(np.median(b) / np.median(a), rel=1e-15)
    assert (e.ci_low, e.ci_high) == pytest.approx((low, high), rel=1e-12)
    assert (e.n_a, e.n_b) == (n_a, n_b)
    assert e.pct_of_baseline == pytest.approx(100 * e.ratio)
    assert e.pct_ci == pytest.approx((100 * e.ci_low, 100 * e.ci_high))


def test_interval_does_not_depend_on_the_order_of_repeats_nor_on_other_scenarios():
    rng = np.random.default_rng(7)
    x = rng.normal(500, 40, 9)
    alone = summarize([sorted(x)], seed=1)[0]
    shuffled = summarize([rng.permutation(x)], seed=1)[0]
    among = summarize([rng.normal(3, 1, 9).clip(0), rng.permutation(x), rng.normal(9, 1, 4).clip(0)], seed=1)[1]
    assert alone == shuffled == among
    a, b = rng.normal(100, 5, 5), rng.normal(90, 5, 5)
    assert ratio_of_medians([(a, b)], seed=2) == ratio_of_medians([(a[::-1], b[::-1])], seed=2)


def test_seeded_and_reproducible():
    rng = np.random.default_rng(1)
    pair = (rng.normal(100, 10, 9), rng.normal(90, 10, 9))
    assert ratio_of_medians([pair], seed=4) == ratio_of_medians([pair], seed=4)
    # ratios of medians take many values, so their interval moves with the draws
    assert ratio_of_medians([pair], seed=4) != ratio_of_medians([pair], seed=5)


def _full_distribution(sorted_rows, rng, resamples=9999):
    """The plain way: every resample's median, 9,999 per row."""
    n = sorted_rows.shape[1]
    idx = rng.integers(0, n, (resamples, n))
    return np.median(sorted_rows[:, idx], axis=2)


@pytest.mark.parametrize("n", [3, 9, 10, 17])
def test_distinct_value_quantiles_equal_numpy_on_the_full_distribution(n):
    rng = np.random.default_rng(n)
    rows = np.sort(rng.lognormal(5, 0.3, (6, n)), axis=1)
    meds = _full_distribution(rows, np.random.default_rng(8))
    low, high = np.quantile(meds, [0.025, 0.975], axis=1)
    ours = summarize(list(rows), seed=8)
    assert [s.ci_low for s in ours] == pytest.approx(low, rel=1e-13)
    assert [s.ci_high for s in ours] == pytest.approx(high, rel=1e-13)
    other = np.sort(rng.lognormal(5, 0.3, (6, n + 1)), axis=1)
    gen = np.random.default_rng(8)  # A's indices are drawn first
    med_a, med_b = _full_distribution(rows, gen), _full_distribution(other, gen)
    low, high = np.quantile(med_b / med_a, [0.025, 0.975], axis=1)
    effects = ratio_of_medians(list(zip(rows, other)), seed=8)
    assert [e.ci_low for e in effects] == pytest.approx(low, rel=1e-13)
    assert [e.ci_high for e in effects] == pytest.approx(high, rel=1e-13)


def test_many_rows_at_once_give_the_same_as_one_by_one():
    rng = np.random.default_rng(2)
    rows = [rng.lognormal(5, 0.3, 9) for _ in range(40)] + [rng.lognormal(5, 0.3, 4) for _ in range(5)]
    pairs = [(rng.lognormal(5, 0.3, len(r)), r) for r in rows]
    assert summarize(rows) == [summarize([r])[0] for r in rows]
    assert ratio_of_medians(pairs) == [ratio_of_medians([p])[0] for p in pairs]


def test_states_for_zero_one_two_and_six_samples():
    none, one, two, five, six = summarize([[], [7.0], [1.0, 3.0], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6]])
    assert none.state is SampleState.NONE and none.median is None and none.ci_low is None
    assert one.state is SampleState.SINGLE and one.median == 7.0 and (one.ci_low, one.ci_high) == (None, None)
    # two samples: the bootstrap can only say "between the two", and says it is few
    assert two.state is SampleState.FEW and (two.median, two.ci_low, two.ci_high) == (2.0, 1.0, 3.0)
    assert five.state is SampleState.FEW and six.state is SampleState.CI


def test_all_equal_samples_and_zeros():
    same, zeros = summarize([[42.0] * 9, [0.0] * 4])
    assert (same.median, same.ci_low, same.ci_high) == (42.0, 42.0, 42.0)
    assert (zeros.median, zeros.ci_low, zeros.ci_high) == (0.0, 0.0, 0.0)
    (e,) = ratio_of_medians([([5.0] * 4, [5.0] * 4)])
    assert (e.ratio, e.ci_low, e.ci_high) == (1.0, 1.0, 1.0)


def test_ratio_edges_single_sample_zero_baseline_and_zero_resamples():
    single, empty, zero_base, zero_b, sometimes_zero = ratio_of_medians([
        ([100.0], [50.0, 60.0, 55.0]),
        ([], [1.0, 2.0]),
        ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]),
        ([10.0, 10.0], [0.0, 0.0]),
        ([0.0, 0.0, 5.0, 6.0, 7.0], [5.0, 5.0, 5.0, 5.0, 5.0]),
    ])
    assert single.state is SampleState.SINGLE and single.ratio == 0.55 and single.ci_low is None
    assert empty.state is SampleState.NONE and empty.ratio is None
    assert zero_base.ratio is None and zero_base.ci_low is None  # nothing to divide by
    assert (zero_b.ratio, zero_b.ci_low, zero_b.ci_high) == (0.0, 0.0, 0.0)
    # a resampled baseline can have median 0 (three zeros out of five): the interval is unbounded above
    assert sometimes_zero.ratio == 1.0 and sometimes_zero.ci_high == math.inf


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, "12", None, True])
def test_bad_samples_are_refused_naming_the_list_and_sample(bad):
    with pytest.raises(StatsInputError, match=r"sample list 2: sample 3 is"):
        summarize([[1.0, 2.0], [1.0, 2.0, bad]])
    with pytest.raises(StatsInputError, match=r"pair 1, B: sample 1 is"):
        ratio_of_medians([([1.0, 2.0], [bad, 2.0])])


def test_numpy_scalars_are_numbers():
    (s,) = summarize([np.array([1, 2, 3], dtype=np.int32)])
    assert s.median == 2.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"confidence": 1.0}, "confidence level"), ({"confidence": math.nan}, "confidence level"),
    ({"resamples": 0}, "bootstrap resamples"), ({"resamples": 2.5}, "bootstrap resamples"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        summarize([[1.0, 2.0]], **kwargs)
