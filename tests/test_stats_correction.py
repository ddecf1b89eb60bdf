"""Holm and Benjamini-Hochberg adjusted p-values: against scipy.stats.false_discovery_control and
hand-computed cases, and monotone (the verdicts' "could never be significant" rests on it)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from kataio_tui.stats.correction import adjust, benjamini_hochberg, holm
from kataio_tui.stats.inputs import StatsInputError


@pytest.mark.parametrize("m", [1, 2, 7, 36, 108, 400])
def test_benjamini_hochberg_equals_scipy(m):
    rng = np.random.default_rng(m)
    p = rng.random(m) ** 4
    p[: m // 4] = p[0]  # ties
    assert benjamini_hochberg(p) == pytest.approx(scipy.stats.false_discovery_control(p, method="bh"), abs=1e-15)


def test_holm_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4x, 3x, 2x, 1x = 0.02, 0.03, 0.06, 0.04 -> running max
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # capped at 1
    assert holm([0.01]) == [0.01]
    assert holm([0.02, 0.02, 0.02]) == pytest.approx([0.06, 0.06, 0.06])


def test_benjamini_hochberg_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 x 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04, then running min from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert benjamini_hochberg([0.05] * 5) == pytest.approx([0.05] * 5)


def test_adjust_dispatches_and_handles_empty():
    p = [0.01, 0.2, 0.03]
    assert adjust(p, "holm") == holm(p) and adjust(p, "bh") == benjamini_hochberg(p) and adjust(p, "none") == p
    assert holm([]) == [] and benjamini_hochberg([]) == []


@pytest.mark.parametrize("bad", [math.nan, -0.1, 1.5, "0.1", None])
def test_bad_pvalues_are_refused(bad):
    with pytest.raises(StatsInputError, match="p-value 2 is"):
        holm([0.1, bad])
    with pytest.raises(StatsInputError, match="p-value 2 is"):
        benjamini_hochberg([0.1, bad])


def test_unknown_correction_is_refused():
    with pytest.raises(StatsInputError, match="correction must be one of holm, bh, none"):
        adjust([0.1], "bonferroni")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.data())
def test_lowering_one_pvalue_never_raises_an_adjusted_one(p, data):
    i = data.draw(st.integers(0, len(p) - 1))
    lower = list(p)
    lower[i] = data.draw(st.floats(0, p[i]))
    for method in (holm, benjamini_hochberg):
        before, after = method(p), method(lower)
        assert all(a <= b + 1e-12 for a, b in zip(after, before))
        assert all(b >= raw - 1e-12 for b, raw in zip(before, p))  # never below the raw p-value
