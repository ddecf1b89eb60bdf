"""Table marks and the compare gate: significance AND the minimum effect, the single-sample and
too-few states, the fixed band, the corrections, and refusals of bad settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from kataio_tui.stats.inputs import StatsInputError
from kataio_tui.stats.metrics import BANDWIDTH, P50, P99, Direction, Metric
from kataio_tui.stats.outcomes import Mark, Verdict, overall
from kataio_tui.stats.verdicts import Pair, gate, table_marks

RNG = np.random.default_rng(2026)


def _s(centre: float, n: int, spread: float = 0.02) -> list[float]:
    """n repeats around centre with a relative spread, seeded (the same data every run)."""
    return list(RNG.normal(centre, centre * spread, n))


def _diff_of_means(a, b, axis):
    return np.mean(b, axis=axis) - np.mean(a, axis=axis)


# --- metrics -------------------------------------------------------------------------------------

def test_metric_directions_and_boundaries():
    assert BANDWIDTH.beyond_min_effect(0.90) is Direction.WORSE
    assert BANDWIDTH.beyond_min_effect(1.10) is Direction.BETTER
    assert BANDWIDTH.beyond_min_effect(0.95) is None and BANDWIDTH.beyond_min_effect(1.05) is None  # exactly 5 %
    assert P99.beyond_min_effect(1.25) is Direction.WORSE  # latency: higher is worse
    assert P99.beyond_min_effect(0.70) is Direction.BETTER
    assert P99.beyond_min_effect(1.19) is None
    assert BANDWIDTH.worse_by(0.8) == pytest.approx(0.2) and P50.worse_by(1.3) == pytest.approx(0.3)
    assert BANDWIDTH.bad_alternative == "less" and P99.bad_alternative == "greater"
    assert BANDWIDTH.with_min_effect(0.01).beyond_min_effect(0.98) is Direction.WORSE


@pytest.mark.parametrize("bad", [math.nan, -0.05, math.inf, "5", None])
def test_invalid_minimum_effects_are_refused(bad):
    with pytest.raises(StatsInputError, match="minimum effect for p99 must be a number >= 0"):
        P99.with_min_effect(bad)
    with pytest.raises(StatsInputError, match="minimum effect for x"):
        Metric("x", True, bad)


# --- table marks ---------------------------------------------------------------------------------

def test_marks_need_significance_and_the_minimum_effect():
    pairs = [
        Pair(_s(1000, 9), _s(600, 9), BANDWIDTH),  # 40 % slower
        Pair(_s(1000, 9), _s(1400, 9), BANDWIDTH),  # 40 % faster
        Pair(_s(100, 9), _s(50, 9), P99),  # latency halved: better
        Pair(_s(100, 9), _s(200, 9), P99),  # doubled: worse
        Pair(_s(1000, 9, 0.002), _s(980, 9, 0.002), BANDWIDTH),  # 2 %: significant, below 5 %
        Pair(_s(1000, 9, 0.2), _s(1000, 9, 0.2), BANDWIDTH),  # noise
    ]
    marks = table_marks(pairs)
    assert [m.mark for m in marks] == [Mark.WORSE, Mark.BETTER, Mark.BETTER, Mark.WORSE, Mark.SAME, Mark.SAME]
    assert "within the 5 % minimum effect" in marks[4].reason and marks[4].p_adjusted <= 0.05
    assert "not significant" in marks[5].reason
    assert [m.mark.glyph for m in marks[:3]] == ["▼", "▲", "▲"] and marks[4].mark.glyph == "≈"
    # a smaller minimum effect makes the 2 % change count
    pairs[4] = Pair(pairs[4].a, pairs[4].b, BANDWIDTH.with_min_effect(0.01))
    assert table_marks(pairs)[4].mark is Mark.WORSE


def test_mark_pvalues_are_scipys_two_sided_permutation_test_then_bh():
    pairs = [Pair(_s(100, 5), _s(100 * f, 5, 0.05), BANDWIDTH) for f in (0.7, 0.95, 1.0, 1.3)]
    marks = table_marks(pairs)
    raw = [scipy.stats.permutation_test((p.a, p.b), _diff_of_means, n_resamples=np.inf, vectorized=True).pvalue
           for p in pairs]
    assert [m.p_value for m in marks] == pytest.approx(raw, abs=1e-12)
    assert [m.p_adjusted for m in marks] == pytest.approx(scipy.stats.false_discovery_control(raw), abs=1e-12)
    assert "Benjamini-Hochberg over 4 tests" in marks[0].reason


def test_marks_for_single_missing_and_too_few_samples():
    single, missing, three, two = table_marks([
        Pair([1000.0], _s(500, 3), BANDWIDTH),
        Pair(_s(1000, 3), [], BANDWIDTH),
        Pair(_s(1000, 3), _s(500, 3), BANDWIDTH),  # half: but 3 and 3 can never give p <= 0.05 two-sided
        Pair(_s(1000, 2), _s(500, 2), BANDWIDTH),
    ])
    assert single.mark is Mark.SINGLE and single.mark.glyph == "·" and "single sample" in single.reason
    assert single.effect.ratio is not None and single.effect.ci_low is None and single.p_value is None
    assert missing.mark is Mark.NO_DATA
    assert three.mark is Mark.TOO_FEW and three.mark.glyph == "?"
    assert "smallest possible 0.1" in three.reason and "4 repeats per side are needed" in three.reason
    assert three.effect.ratio == pytest.approx(0.5, rel=0.1)  # the effect is still reported
    assert two.mark is Mark.TOO_FEW
    assert len({m.mark.glyph for m in (single, missing, three)}) == 3


def test_a_clear_difference_that_the_correction_cannot_confirm_is_too_few_not_same():
    # 4 and 4 that do not overlap: p = 2/70 alone, but Benjamini-Hochberg over 4 tests whose other
    # p-values are large lifts it above 0.05. "No change" would be wrong: it is as clear as 4 can be.
    clear = Pair([100, 101, 102, 103], [50, 51, 52, 53], BANDWIDTH)
    noise = [Pair(_s(100, 9, 0.2), _s(100, 9, 0.2), BANDWIDTH) for _ in range(3)]
    alone = table_marks([clear])[0]
    assert alone.mark is Mark.WORSE and alone.p_value == pytest.approx(2 / 70)
    among = table_marks([clear, *noise])
    assert among[0].mark is Mark.TOO_FEW and "do not overlap" in among[0].reason
    assert all(m.mark is Mark.SAME for m in among[1:])


# --- the gate ------------------------------------------------------------------------------------

def test_gate_regression_needs_significance_and_the_bad_direction():
    pairs = [
        Pair(_s(1000, 5), _s(700, 5), BANDWIDTH),  # slower
        Pair(_s(1000, 5), _s(1300, 5), BANDWIDTH),  # faster: never a regression
        Pair(_s(100, 5), _s(150, 5), P99),  # tail latency up 50 %
        Pair(_s(100, 5), _s(60, 5), P99),  # down
        Pair(_s(1000, 5, 0.001), _s(990, 5, 0.001), BANDWIDTH),  # 1 % slower, significant
    ]
    results = gate(pairs)
    assert [r.verdict for r in results] == [Verdict.REGRESSION, Verdict.NO_REGRESSION, Verdict.REGRESSION,
                                            Verdict.NO_REGRESSION, Verdict.NO_REGRESSION]
    assert "within the 5 % minimum effect" in results[4].reason
    assert all(r.metric == p.metric.name for r, p in zip(results, pairs))
    # one-sided permutation p-values in the bad direction, then Holm
    raw = [scipy.stats.permutation_test((p.a, p.b), _diff_of_means, alternative=p.metric.bad_alternative,
                                        n_resamples=np.inf, vectorized=True).pvalue for p in pairs]
    assert [r.p_value for r in results] == pytest.approx(raw, abs=1e-12)
    assert "Holm over 5 tests" in results[0].reason
    assert results[0].effect.ci_low is not None and results[0].effect.ci_high < 1
    assert overall(r.verdict for r in results) is Verdict.REGRESSION


def test_gate_same_distribution_gives_no_regression():
    # 36 scenarios x 3 metrics, A and B drawn alike, 9 repeats each: no false alarm with this seed,
    # and every effect interval is reported
    rng = np.random.default_rng(11)
    pairs = []
    for _ in range(36):
        for metric, centre, spread in ((BANDWIDTH, 800, 0.05), (P50, 90, 0.05), (P99, 400, 0.15)):
            a, b = (list(rng.normal(centre, centre * spread, 9)) for _ in range(2))
            pairs.append(Pair(a, b, metric))
    results = gate(pairs)
    assert {r.verdict for r in results} == {Verdict.NO_REGRESSION}
    assert all(r.effect.ci_low < r.effect.ratio < r.effect.ci_high for r in results)
    assert overall(r.verdict for r in results) is Verdict.NO_REGRESSION


def test_gate_min_repeats_and_missing():
    few, missing, no_a = gate([
        Pair(_s(1000, 2), _s(500, 3), BANDWIDTH),
        Pair(_s(1000, 3), [], BANDWIDTH),
        Pair([], _s(1000, 3), BANDWIDTH),
    ])
    assert few.verdict is Verdict.NOT_ENOUGH_SAMPLES and "fewer than 3 samples (A 2, B 3)" in few.reason
    assert missing.verdict is Verdict.MISSING and missing.verdict.fails
    assert no_a.verdict is Verdict.NOT_ENOUGH_SAMPLES
    assert overall([few.verdict, missing.verdict]) is Verdict.MISSING
    assert overall([few.verdict, Verdict.NO_REGRESSION]) is Verdict.NOT_ENOUGH_SAMPLES
    assert gate([Pair(_s(1000, 2), _s(500, 2), BANDWIDTH)], min_repeats=2)[0].verdict is Verdict.NOT_ENOUGH_SAMPLES


def test_three_repeats_cannot_pass_holm_over_several_tests_but_bh_can_when_all_move():
    # every scenario 40 % slower, 3 repeats each, not overlapping: one-sided p = 1/20 each
    pairs = [Pair([1000 + i, 1010 + i, 1020 + i], [600 + i, 610 + i, 620 + i], BANDWIDTH) for i in range(6)]
    holm = gate(pairs)
    assert {r.verdict for r in holm} == {Verdict.NOT_ENOUGH_SAMPLES}
    # best case Holm over 6 tests: 6 x 0.05 = 0.3; 1/C(2n, n) <= 0.05/6 first at n = 5
    assert "smallest reachable 0.3" in holm[0].reason and "5 repeats per side are needed" in holm[0].reason
    assert overall(r.verdict for r in holm) is Verdict.NOT_ENOUGH_SAMPLES
    bh = gate(pairs, correct="bh")
    assert {r.verdict for r in bh} == {Verdict.REGRESSION}
    assert all(r.p_adjusted == pytest.approx(0.05) for r in bh)
    # five repeats: Holm confirms it
    five = [Pair([1000 + i + 10 * k for k in range(5)], [600 + i + 10 * k for k in range(5)], BANDWIDTH)
            for i in range(6)]
    assert {r.verdict for r in gate(five)} == {Verdict.REGRESSION}


def test_min_repeats_one_is_the_fixed_band_and_says_so():
    pairs = [
        Pair([1000.0], [800.0], BANDWIDTH),  # 20 % worse
        Pair([1000.0], [970.0], BANDWIDTH),  # 3 %
        Pair([100.0], [130.0], P99),  # 30 % worse: beyond 20 %
        Pair(_s(1000, 9), _s(600, 9), BANDWIDTH),  # enough samples: statistics as usual
    ]
    results = gate(pairs, min_repeats=1)
    assert [r.verdict for r in results] == [Verdict.BAND_REGRESSION, Verdict.BAND_OK, Verdict.BAND_REGRESSION,
                                            Verdict.REGRESSION]
    assert all(r.verdict.fixed_band and "fixed" in r.reason and "no statistics" in r.reason for r in results[:3])
    assert results[0].p_value is None
    assert overall([Verdict.BAND_OK, Verdict.BAND_OK]) is Verdict.BAND_OK
    assert overall([Verdict.BAND_OK, Verdict.BAND_REGRESSION]) is Verdict.BAND_REGRESSION
    # default min_repeats: the same single samples are not judged
    assert {r.verdict for r in gate(pairs[:3])} == {Verdict.NOT_ENOUGH_SAMPLES}


def test_gate_with_mann_whitney():
    results = gate([Pair(_s(1000, 6), _s(700, 6), BANDWIDTH), Pair(_s(1000, 6), _s(1000, 6), BANDWIDTH)],
                   method="mannwhitney")
    assert [r.verdict for r in results] == [Verdict.REGRESSION, Verdict.NO_REGRESSION]
    assert results[0].p_value == pytest.approx(1 / 924)  # exact U: no overlap, C(12, 6) splits


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"alpha": math.nan}, "alpha must be"), ({"alpha": 0}, "alpha must be"), ({"alpha": -0.05}, "alpha must be"),
    ({"min_repeats": 0}, "min_repeats must be a whole number >= 1"), ({"min_repeats": 2.5}, "min_repeats"),
    ({"correct": "bonferroni"}, "correction must be one of"), ({"method": "t-test"}, "test method must be one of"),
    ({"confidence": 95}, "confidence level"),
])
def test_gate_refuses_bad_settings(kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        gate([Pair([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], BANDWIDTH)], **kwargs)


def test_numpy_arrays_and_the_confidence_level_in_the_reason():
    rng = np.random.default_rng(3)
    (mark,) = table_marks([Pair(rng.normal(100, 2, 9), rng.normal(60, 2, 9), BANDWIDTH)], confidence=0.9)
    assert mark.mark is Mark.WORSE and "(90 % CI " in mark.reason
    (verdict,) = gate([Pair(np.array([]), rng.normal(60, 2, 9), BANDWIDTH)])
    assert verdict.verdict is Verdict.NOT_ENOUGH_SAMPLES


def test_nan_samples_are_refused():
    with pytest.raises(StatsInputError, match="pair 1, B: sample 2 is nan"):
        gate([Pair([1.0, 2.0, 3.0], [1.0, math.nan, 3.0], BANDWIDTH)])
    with pytest.raises(StatsInputError, match="pair 1, A: sample 1 is -1.0"):
        table_marks([Pair([-1.0, 2.0], [1.0, 3.0], BANDWIDTH)])
