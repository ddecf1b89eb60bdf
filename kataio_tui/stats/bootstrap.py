"""Medians with percentile-bootstrap intervals, for many scenarios at once.

The median of a resample only needs the resample's middle order statistic(s). With each row's
samples sorted and each resample's indices sorted, the sorted resample of row r is
``row[r][sorted_indices]``, so its median is one (odd n) or the mean of two (even n) columns: the
bootstrap of every row with n samples costs one sort of the (resamples x n) index array, shared by
all rows, plus a gather per row.

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
_CHUNK_CELLS = 4_000_000  # rows x resamples held at once (32 MB of float64)

Floats = npt.NDArray[np.float64]


def _resample_columns(rng: np.random.Generator, n: int, resamples: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    idx = rng.integers(0, n, (resamples, n))
    idx.sort(axis=1)
    return idx[:, (n - 1) // 2], idx[:, n // 2]


def _medians(rows: Floats, lo: npt.NDArray[np.intp], hi: npt.NDArray[np.intp]) -> Floats:
    """Bootstrap medians (rows x resamples) of rows sorted ascending."""
    return (rows[:, lo] + rows[:, hi]) / 2


def _chunks(k: int, resamples: int) -> list[slice]:
    step = max(1, _CHUNK_CELLS // max(resamples, 1))
    return [slice(i, min(i + step, k)) for i in range(0, k, step)]


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
        lo, hi = _resample_columns(np.random.default_rng(seed), n, resamples)
        centre = np.median(rows, axis=1)
        for part in _chunks(len(members), resamples):
            bounds = np.quantile(_medians(rows[part], lo, hi), [tail, 1 - tail], axis=1)
            for j, i in enumerate(members[part]):
                r = part.start + j
                out[i] = Summary(n, float(centre[r]), float(bounds[0, j]), float(bounds[1, j]), SampleState.of(n))
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
        cols_a = _resample_columns(rng, n_a, resamples)  # A's indices first, as scipy draws them
        cols_b = _resample_columns(rng, n_b, resamples)
        centre = np.median(rows_b, axis=1) / np.median(rows_a, axis=1)
        state = SampleState.of(min(n_a, n_b))
        for part in _chunks(len(members), resamples):
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = _medians(rows_b[part], *cols_b) / _medians(rows_a[part], *cols_a)
                ratios[np.isnan(ratios)] = np.inf  # 0/0: a resampled A of median 0 bounds nothing
                bounds = np.quantile(ratios, [tail, 1 - tail], axis=1)
            bounds[np.isnan(bounds)] = np.inf  # interpolated between two infinities
            for j, i in enumerate(members[part]):
                r = part.start + j
                out[i] = Effect(float(centre[r]), float(bounds[0, j]), float(bounds[1, j]), state, n_a, n_b)
    return [e for e in out if e is not None]
