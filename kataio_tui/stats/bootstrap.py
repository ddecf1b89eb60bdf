"""Medians with percentile-bootstrap intervals, for many scenarios at once.

The median of a resample only needs the resample's middle order statistic(s). With each row's
samples sorted and each resample's indices sorted, the sorted resample of row r is
``row[r][sorted_indices]``, so its median is ``row[r][lo]`` and ``row[r][hi]`` averaged, where lo and
hi are the middle columns of the sorted indices (equal for odd n). The (lo, hi) pairs depend only on
n and the draws, not on the values: all rows with n samples share them, and 9,999 resamples of 9
samples hold at most 9 distinct pairs (45 for n = 10). So a row's bootstrap distribution is a few
distinct values with shared counts, and its percentiles are read from those (exactly as
numpy.quantile's default "linear" method reads them from the full sorted distribution) instead of
from 9,999 values per row. A ratio of two medians works the same way with (lo, hi) pairs of both.

The indices are drawn from ``numpy.random.default_rng(seed)`` exactly as scipy.stats.bootstrap
draws them, but they index the sorted sample: for samples given in ascending order the intervals
are scipy's percentile-method intervals with the same seed (equal to the last bit or two; the tests
check it), and for any order they are the same as for the sorted samples. So an interval depends
only on a scenario's own values, the seed and the number of resamples: not on the order of its
repeats, nor on what else is in the set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kataio_tui.stats import inputs
from kataio_tui.stats.outcomes import Effect, SampleState, Summary

DEFAULT_RESAMPLES = 9999  # scipy's default
DEFAULT_SEED = 12
DEFAULT_CONFIDENCE = 0.95

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]


def _middle_columns(rng: np.random.Generator, n: int, resamples: int) -> tuple[Ints, Ints]:
    """Per resample, the sorted-order positions whose mean is its median."""
    idx = rng.integers(0, n, (resamples, n))
    idx.sort(axis=1)
    return idx[:, (n - 1) // 2], idx[:, n // 2]


def _distinct(*columns: tuple[Ints, int]) -> tuple[list[Ints], npt.NDArray[np.int64]]:
    """The distinct combinations of several index columns (each with its range) and their counts."""
    key = np.zeros(len(columns[0][0]), dtype=np.int64)
    for col, size in columns:
        key = key * size + col
    unique, counts = np.unique(key, return_counts=True)
    parts = []
    for _, size in reversed(columns):
        unique, part = np.divmod(unique, size)
        parts.append(part)
    return parts[::-1], counts


def _lerp(a: Floats, b: Floats, t: float) -> Floats:
    """numpy.quantile's interpolation, step for step (it rounds differently above t = 0.5)."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def _quantiles(values: Floats, counts: npt.NDArray[np.int64], qs: Sequence[float]) -> list[Floats]:
    """Per row of ``values`` (rows x distinct), the "linear" quantiles of the distribution in which
    value j appears counts[j] times."""
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    ends = np.cumsum(counts[order], axis=1)  # sorted position after the last copy of each value
    total = int(counts.sum())
    rows = np.arange(len(values))
    out = []
    for q in qs:
        h = (total - 1) * q
        below = int(np.floor(h))
        above = min(below + 1, total - 1)
        a = ordered[rows, (ends > below).argmax(axis=1)]
        b = ordered[rows, (ends > above).argmax(axis=1)]
        out.append(_lerp(a, b, h - below))
    return out


def _settings(confidence: float, resamples: int) -> tuple[float, int]:
    return (inputs.probability(confidence, "confidence level"),
            inputs.count(resamples, "number of bootstrap resamples"))


def summarize(
    samples: Sequence[Sequence[float]], *, confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
) -> list[Summary]:
    """For each list of per-repeat values: n, the median and its percentile-bootstrap interval."""
    confidence, resamples = _settings(confidence, resamples)
    groups = inputs.sample_lists(samples, "sample list")
    out: list[Summary | None] = [None] * len(groups)
    by_n: dict[int, list[int]] = {}
    for i, values in enumerate(groups):
        if len(values) <= 1:
            median = values[0] if values else None
            out[i] = Summary(len(values), median, None, None, SampleState.of(len(values)))
        else:
            by_n.setdefault(len(values), []).append(i)
    tail = (1 - confidence) / 2
    for n, members in by_n.items():
        rows = np.sort(np.array([groups[i] for i in members], dtype=np.float64), axis=1)
        (lo, hi), counts = _distinct(*((c, n) for c in _middle_columns(np.random.default_rng(seed), n, resamples)))
        medians = (rows[:, lo] + rows[:, hi]) / 2
        low, high = _quantiles(medians, counts, (tail, 1 - tail))
        centre = np.median(rows, axis=1)
        for r, i in enumerate(members):
            out[i] = Summary(n, float(centre[r]), float(low[r]), float(high[r]), SampleState.of(n))
    return [s for s in out if s is not None]


def ratio_of_medians(
    pairs: Sequence[tuple[Sequence[float], Sequence[float]]], *, confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
) -> list[Effect]:
    """For each (A, B): median(B) / median(A) and its percentile-bootstrap interval, A and B
    resampled independently (scipy.stats.bootstrap's unpaired two-sample resampling)."""
    confidence, resamples = _settings(confidence, resamples)
    sides = [(inputs.samples(a, f"pair {i + 1}, A"), inputs.samples(b, f"pair {i + 1}, B"))
             for i, (a, b) in enumerate(pairs)]
    out: list[Effect | None] = [None] * len(sides)
    by_n: dict[tuple[int, int], list[int]] = {}
    for i, (a, b) in enumerate(sides):
        state = SampleState.of(min(len(a), len(b)))
        if state is SampleState.NONE or float(np.median(a)) == 0:
            out[i] = Effect(None, None, None, state, len(a), len(b))
        elif state is SampleState.SINGLE:
            out[i] = Effect(float(np.median(b)) / float(np.median(a)), None, None, state, len(a), len(b))
        else:
            by_n.setdefault((len(a), len(b)), []).append(i)
    tail = (1 - confidence) / 2
    for (n_a, n_b), members in by_n.items():
        rows_a = np.sort(np.array([sides[i][0] for i in members], dtype=np.float64), axis=1)
        rows_b = np.sort(np.array([sides[i][1] for i in members], dtype=np.float64), axis=1)
        rng = np.random.default_rng(seed)
        cols_a = _middle_columns(rng, n_a, resamples)  # A's indices first, as scipy draws them
        cols_b = _middle_columns(rng, n_b, resamples)
        (lo_a, hi_a, lo_b, hi_b), counts = _distinct((cols_a[0], n_a), (cols_a[1], n_a), (cols_b[0], n_b),
                                                     (cols_b[1], n_b))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = ((rows_b[:, lo_b] + rows_b[:, hi_b]) / 2) / ((rows_a[:, lo_a] + rows_a[:, hi_a]) / 2)
            ratios[np.isnan(ratios)] = np.inf  # 0/0: a resampled A of median 0 bounds nothing
            low, high = _quantiles(ratios, counts, (tail, 1 - tail))
        centre = np.median(rows_b, axis=1) / np.median(rows_a, axis=1)
        state = SampleState.of(min(n_a, n_b))
        for r, i in enumerate(members):
            bounds = [np.inf if np.isnan(x) else float(x) for x in (low[r], high[r])]  # between two infinities
            out[i] = Effect(float(centre[r]), bounds[0], bounds[1], state, n_a, n_b)
    return [e for e in out if e is not None]
