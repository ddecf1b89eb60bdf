"""Two-sample permutation tests of mean(B) - mean(A), many at once; what p-value a test can reach.

Exact when the number of distinct partitions C(n_a + n_b, n_a) is at most ``max_exact`` (all of
them, as scipy.stats.permutation_test does when ``n_resamples`` >= that number; 9 + 9 repeats are
48,620 partitions), else a Monte Carlo test on ``resamples`` random partitions with scipy's
(count + 1) / (resamples + 1). Tests with the same sample sizes share one partition matrix, and the
statistic of every partition of every test is one matrix product.

Each row is centred on its median first (a shift changes no difference of means), and null values
within 1e-9 of the row's scale of the observed one count as equal to it, so all-equal samples give
p = 1 instead of a verdict decided by rounding.

A permutation (or rank) test can never give a p-value below 1/C one-sided, 2/C two-sided: with
3 and 3 repeats that is 0.05 and 0.1, so such a test is never significant at 0.05 two-sided. The
verdicts use ``smallest_pvalue`` to say so instead of reporting "no change".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations

import numpy as np
import numpy.typing as npt

from kataio_tui.stats import inputs

ALTERNATIVES = ("two-sided", "less", "greater")  # of mean(B) - mean(A): "less" is B lower
DEFAULT_RESAMPLES = 9999
DEFAULT_MAX_EXACT = 200_000
DEFAULT_SEED = 12
_TIE_TOLERANCE = 1e-9
_CHUNK_CELLS = 4_000_000


def n_partitions(n_a: int, n_b: int) -> int:
    return math.comb(n_a + n_b, n_a)


def smallest_pvalue(
    n_a: int, n_b: int, alternative: str, *, resamples: int = DEFAULT_RESAMPLES, max_exact: int = DEFAULT_MAX_EXACT,
) -> float:
    """The smallest p-value a test of these sizes can give (ties only make it larger)."""
    partitions = n_partitions(n_a, n_b)
    one_sided = 1 / partitions if partitions <= max_exact else 1 / (resamples + 1)
    return min(1.0, one_sided * (2 if alternative == "two-sided" else 1))


def repeats_needed(alpha: float, alternative: str, factor: float = 1.0, limit: int = 64) -> int | None:
    """The fewest repeats per side with which ``factor`` x the smallest p-value is <= alpha
    (``factor`` is what a correction multiplies by in the best case: the number of tests for Holm)."""
    for n in range(2, limit + 1):
        if factor * smallest_pvalue(n, n, alternative) <= alpha * (1 + 1e-9):
            return n
    return None


@lru_cache(maxsize=16)
def _all_partitions(n: int, n_a: int) -> npt.NDArray[np.float64]:
    """(C, n) indicators of A's members; row 0 is the observed split (A first)."""
    chosen = np.array(list(combinations(range(n), n_a)), dtype=np.intp)
    indicator = np.zeros((len(chosen), n))
    np.put_along_axis(indicator, chosen, 1.0, axis=1)
    indicator.flags.writeable = False
    return indicator


def _random_partitions(rng: np.random.Generator, n: int, n_a: int, resamples: int) -> npt.NDArray[np.float64]:
    """(1 + resamples, n): the observed split, then random ones."""
    perms = rng.permuted(np.tile(np.arange(n), (resamples, 1)), axis=1)
    indicator = np.zeros((resamples + 1, n))
    indicator[0, :n_a] = 1.0
    np.put_along_axis(indicator[1:], perms[:, :n_a], 1.0, axis=1)
    return indicator


def _counts(rows: npt.NDArray[np.float64], indicator: npt.NDArray[np.float64]) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per row: how many null statistics are <= and >= the observed one (column 0 of indicator).

    mean(B) - mean(A) = total / n_b - sum(A) x (1 / n_a + 1 / n_b) falls as sum(A) rises, so the
    counts are taken on the sums of A: a statistic <= the observed one is a sum >= the observed."""
    rows = rows - np.median(rows, axis=1, keepdims=True)
    gamma = (_TIE_TOLERANCE * np.abs(rows).max(axis=1))[:, None]
    sum_a = rows @ indicator.T
    observed = sum_a[:, :1]
    less = np.count_nonzero(sum_a >= observed - gamma, axis=1)
    greater = np.count_nonzero(sum_a <= observed + gamma, axis=1)
    return less, greater


Sides = list[tuple[tuple[float, ...], tuple[float, ...]]]


def _checked_pairs(pairs: Sequence[tuple[Sequence[float], Sequence[float]]],
                   alternatives: Sequence[str] | str) -> tuple[Sides, list[str]]:
    sides = []
    for i, (a, b) in enumerate(pairs):
        a_, b_ = inputs.samples(a, f"pair {i + 1}, A"), inputs.samples(b, f"pair {i + 1}, B")
        if not a_ or not b_:
            raise inputs.StatsInputError(f"pair {i + 1}: a test needs at least one sample on each side")
        sides.append((a_, b_))
    alts = [alternatives] * len(sides) if isinstance(alternatives, str) else list(alternatives)
    if len(alts) != len(sides):
        raise inputs.StatsInputError(f"{len(alts)} alternatives for {len(sides)} pairs")
    return sides, [inputs.choice(a, ALTERNATIVES, "alternative") for a in alts]


def _combine(less: float, greater: float, alternative: str) -> float:
    p = {"less": less, "greater": greater}.get(alternative, 2 * min(less, greater))
    return float(min(1.0, p))


def permutation_pvalues(
    pairs: Sequence[tuple[Sequence[float], Sequence[float]]], alternatives: Sequence[str] | str = "two-sided", *,
    resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, max_exact: int = DEFAULT_MAX_EXACT,
) -> list[float]:
    """p-value of each (A, B) for the statistic mean(B) - mean(A) under ``alternatives``."""
    inputs.count(resamples, "number of permutation resamples")
    sides, alts = _checked_pairs(pairs, alternatives)
    out = [1.0] * len(sides)
    by_n: dict[tuple[int, int], list[int]] = {}
    for i, (a, b) in enumerate(sides):
        by_n.setdefault((len(a), len(b)), []).append(i)
    for (n_a, n_b), members in by_n.items():
        exact = n_partitions(n_a, n_b) <= max_exact
        if exact:
            indicator = _all_partitions(n_a + n_b, n_a)
        else:
            indicator = _random_partitions(np.random.default_rng(seed), n_a + n_b, n_a, resamples)
        total = len(indicator) if exact else resamples + 1  # Monte Carlo: the observed counts once
        rows = np.array([sides[i][0] + sides[i][1] for i in members], dtype=np.float64)
        step = max(1, _CHUNK_CELLS // len(indicator))
        for start in range(0, len(members), step):
            less, greater = _counts(rows[start:start + step], indicator)
            for j, i in enumerate(members[start:start + step]):
                out[i] = _combine(less[j] / total, greater[j] / total, alts[i])
    return out


def mannwhitney_pvalues(
    pairs: Sequence[tuple[Sequence[float], Sequence[float]]], alternatives: Sequence[str] | str = "two-sided",
) -> list[float]:
    """Mann-Whitney U p-values (scipy.stats.mannwhitneyu, its default method: exact for small
    samples without ties, else the normal approximation, whose p-values can fall below
    ``smallest_pvalue``). Imports scipy.stats: seconds on a busy 2-core machine."""
    from scipy.stats import mannwhitneyu

    sides, alts = _checked_pairs(pairs, alternatives)
    out = [1.0] * len(sides)
    # scipy picks its method for a whole array: group rows with ties apart so that each row gets
    # the method it would get alone
    groups: dict[tuple[int, int, str, bool], list[int]] = {}
    for i, (a, b) in enumerate(sides):
        groups.setdefault((len(a), len(b), alts[i], len(set(a + b)) < len(a + b)), []).append(i)
    for (_, _, alternative, _), members in groups.items():
        rows_a = np.array([sides[i][0] for i in members])
        rows_b = np.array([sides[i][1] for i in members])
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.atleast_1d(mannwhitneyu(rows_b, rows_a, alternative=alternative, axis=1).pvalue)
        for j, i in enumerate(members):
            out[i] = 1.0 if math.isnan(p[j]) else float(p[j])  # NaN: all values equal
    return out
