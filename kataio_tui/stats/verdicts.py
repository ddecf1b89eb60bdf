"""Table marks and the compare gate: significance AND a minimum effect, never one alone.

Both take pairs (A, B, metric) of per-repeat values: for a table A is the baseline runtime's
scenario and B another runtime's; for the gate A is the earlier set and B the new one. The effect
is always the ratio of medians B/A with its bootstrap interval. The test is a permutation test of
the difference of means (or Mann-Whitney U), two-sided for table marks, one-sided in the metric's
bad direction for the gate, with p-values corrected over all the pairs of one call.

A pair whose sample sizes make significance impossible (its smallest reachable p-value, after the
correction, is above alpha) is not "the same": it gets Mark.TOO_FEW / Verdict.NOT_ENOUGH_SAMPLES,
and such pairs are left out of the correction, which only tightens it for the others (Tarone's
observation for discrete tests: a hypothesis that cannot be rejected need not be counted). So is a
pair that looks worse (or, in a table, different) beyond the minimum effect, is not significant,
and whose p-value is already the smallest its sizes allow (A and B do not overlap at all): that is
as clear as so few samples can be, and "no change" would be the wrong thing to say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kataio_tui.stats import bootstrap, correction, inputs, permutation
from kataio_tui.stats.metrics import Direction, Metric
from kataio_tui.stats.outcomes import Effect, GateResult, Mark, MarkResult, Verdict

DEFAULT_ALPHA = 0.05
DEFAULT_MIN_REPEATS = 3
TABLE_CORRECTION = "bh"  # many cells, most of which really differ: keep the power
GATE_CORRECTION = "holm"  # a gate's false alarm fails a build: bound the chance of any
METHODS = ("permutation", "mannwhitney")


@dataclass(frozen=True, slots=True)
class Pair:
    a: Sequence[float]
    b: Sequence[float]
    metric: Metric

    def __post_init__(self) -> None:  # numpy arrays welcome; checked when used, naming the pair
        object.__setattr__(self, "a", tuple(self.a))
        object.__setattr__(self, "b", tuple(self.b))


def _significant(p: float, alpha: float) -> bool:
    """p <= alpha, where a correction's rounding (0.05 x 6 / 6 = 0.05000000000000001) must not decide."""
    return p <= alpha * (1 + 1e-9)


@dataclass(frozen=True, slots=True)
class _Test:
    p: float
    adjusted: float
    best: float  # the smallest adjusted p-value this test could have reached
    floor: float  # the smallest raw p-value its sample sizes allow

    @property
    def at_floor(self) -> bool:
        return self.p <= self.floor * (1 + 1e-9)

    def inconclusive(self, alpha: float, looks_changed: bool) -> bool:
        return not _significant(self.best, alpha) or (
            looks_changed and not _significant(self.adjusted, alpha) and self.at_floor)


def _pct(ratio: float) -> str:
    return f"{100 * (ratio - 1):+.1f}" if math.isfinite(ratio) else "+inf"


def _describe(metric: Metric, effect: Effect, confidence: float) -> str:
    if effect.ratio is None:
        return f"{metric.name}: A's median is 0, no ratio"
    text = f"{metric.name} {_pct(effect.ratio)} %"
    if effect.ci_low is not None and effect.ci_high is not None:
        text += f" ({100 * confidence:g} % CI {_pct(effect.ci_low)} to {_pct(effect.ci_high)} %)"
    return text


def _family(
    pairs: Sequence[Pair], members: list[int], alternatives: list[str], *, alpha: float, method: str,
    correct: str, resamples: int, seed: int,
) -> dict[int, _Test]:
    """Tests of the member pairs whose sizes let them reach alpha (the others are not tested)."""
    floor = {i: permutation.smallest_pvalue(len(pairs[i].a), len(pairs[i].b), alternatives[i], resamples=resamples)
             for i in members}
    tested = [i for i in members if _significant(floor[i], alpha)]
    if not tested:
        return {}
    data = [(pairs[i].a, pairs[i].b) for i in tested]
    alts = [alternatives[i] for i in tested]
    if method == "mannwhitney":
        raw = permutation.mannwhitney_pvalues(data, alts)
    else:
        raw = permutation.permutation_pvalues(data, alts, resamples=resamples, seed=seed)
    adjusted = correction.adjust(raw, correct)
    best = correction.adjust([floor[i] for i in tested], correct)
    return {i: _Test(raw[j], adjusted[j], best[j], floor[i]) for j, i in enumerate(tested)}


def _too_few(pair: Pair, alternative: str, alpha: float, family: str, test: _Test | None) -> str:
    """Why a pair cannot be judged, and how many repeats would let it be."""
    sided = "two-sided" if alternative == "two-sided" else "one-sided"
    sizes = f"{len(pair.a)} and {len(pair.b)} samples"
    if test is None:  # cannot reach alpha even alone
        floor = permutation.smallest_pvalue(len(pair.a), len(pair.b), alternative)
        text, factor = f"with {sizes} no {sided} test can reach p <= {alpha:g} (smallest possible {floor:.2g})", 1.0
    elif not _significant(test.best, alpha):
        text = (f"with {sizes} no {sided} test can reach p <= {alpha:g} after {family} "
                f"(smallest reachable {test.best:.2g})")
        factor = test.best / test.floor
    else:
        text = (f"A and B do not overlap, the clearest {sizes} can be, yet p = {test.adjusted:.2g} "
                f"{sided} after {family}")
        factor = test.adjusted / test.p
    needed = permutation.repeats_needed(alpha, alternative, factor)
    return f"{text}; {needed or 'more than 64'} repeats per side are needed"


def _settings(alpha: float, method: str, correct: str) -> tuple[float, str, str]:
    return (inputs.probability(alpha, "alpha"), inputs.choice(method, METHODS, "test method"),
            inputs.choice(correct, correction.CORRECTIONS, "correction"))


@dataclass(frozen=True, slots=True)
class _Run:
    """One call's effects and tests."""

    effects: list[Effect]
    tests: dict[int, _Test]
    family: str  # "Holm over 12 tests"
    confidence: float


def _run(
    pairs: Sequence[Pair], alternatives: list[str], min_n: int, *, alpha: float, method: str, correct: str,
    confidence: float, resamples: int, seed: int,
) -> _Run:
    effects = bootstrap.ratio_of_medians([(p.a, p.b) for p in pairs], confidence=confidence,
                                         resamples=resamples, seed=seed)
    members = [i for i, p in enumerate(pairs) if min(len(p.a), len(p.b)) >= max(2, min_n)]
    tests = _family(pairs, members, alternatives, alpha=alpha, method=method, correct=correct,
                    resamples=resamples, seed=seed)
    family = (f"{correction.CORRECTIONS[correct]} over {len(tests)} tests" if correct != "none"
              else "no correction")
    return _Run(effects, tests, family, confidence)


def table_marks(
    pairs: Sequence[Pair], *, alpha: float = DEFAULT_ALPHA, correct: str = TABLE_CORRECTION,
    method: str = "permutation", confidence: float = bootstrap.DEFAULT_CONFIDENCE,
    resamples: int = bootstrap.DEFAULT_RESAMPLES, seed: int = bootstrap.DEFAULT_SEED,
) -> list[MarkResult]:
    """The mark of each cell (B) against its baseline (A), two-sided, corrected over all cells."""
    alpha, method, correct = _settings(alpha, method, correct)
    run = _run(pairs, ["two-sided"] * len(pairs), 2, alpha=alpha, method=method, correct=correct,
               confidence=confidence, resamples=resamples, seed=seed)
    return [_mark(pair, run.effects[i], run.tests.get(i), alpha, run) for i, pair in enumerate(pairs)]


def _mark(pair: Pair, effect: Effect, test: _Test | None, alpha: float, run: _Run) -> MarkResult:
    described, family = _describe(pair.metric, effect, run.confidence), run.family
    if not pair.a or not pair.b:
        return MarkResult(Mark.NO_DATA, effect, None, None, f"no samples in {'A' if not pair.a else 'B'}")
    if min(len(pair.a), len(pair.b)) == 1:
        return MarkResult(Mark.SINGLE, effect, None, None,
                          f"{described}: a single sample (A {len(pair.a)}, B {len(pair.b)}), unverified")
    direction = pair.metric.beyond_min_effect(effect.ratio) if effect.ratio is not None else None
    p, adjusted = (test.p, test.adjusted) if test else (None, None)
    if test is None or test.inconclusive(alpha, direction is not None):
        return MarkResult(Mark.TOO_FEW, effect, p, adjusted,
                          f"{described}: {_too_few(pair, 'two-sided', alpha, family, test)}")
    p_text = f"p = {test.adjusted:.2g}, {family}"
    if not _significant(test.adjusted, alpha):
        return MarkResult(Mark.SAME, effect, p, adjusted, f"{described}: not significant, {p_text}")
    if direction is None:
        return MarkResult(Mark.SAME, effect, p, adjusted, f"{described}: significant ({p_text}) but within "
                          f"the {100 * pair.metric.min_effect:g} % minimum effect")
    mark = Mark.BETTER if direction is Direction.BETTER else Mark.WORSE
    return MarkResult(mark, effect, p, adjusted, f"{described}: {direction}, {p_text}")


def gate(
    pairs: Sequence[Pair], *, alpha: float = DEFAULT_ALPHA, correct: str = GATE_CORRECTION,
    min_repeats: int = DEFAULT_MIN_REPEATS, method: str = "permutation",
    confidence: float = bootstrap.DEFAULT_CONFIDENCE, resamples: int = bootstrap.DEFAULT_RESAMPLES,
    seed: int = bootstrap.DEFAULT_SEED,
) -> list[GateResult]:
    """The compare gate's verdict for each (A, B, metric): a regression only when B is worse with
    a significant one-sided test after correction AND beyond the metric's minimum effect.

    ``min_repeats`` 1 turns on the fixed band for pairs no test can judge (a single sample, or too
    few for significance): worse by more than the metric's minimum effect, labelled as such.
    """
    alpha, method, correct = _settings(alpha, method, correct)
    min_repeats = inputs.count(min_repeats, "min_repeats")
    alternatives = [p.metric.bad_alternative for p in pairs]
    run = _run(pairs, alternatives, min_repeats, alpha=alpha, method=method, correct=correct,
               confidence=confidence, resamples=resamples, seed=seed)
    return [_verdict(pair, run.effects[i], run.tests.get(i), alternative=alternatives[i], alpha=alpha,
                     min_repeats=min_repeats, run=run) for i, pair in enumerate(pairs)]


def _verdict(pair: Pair, effect: Effect, test: _Test | None, *, alternative: str, alpha: float, min_repeats: int,
             run: _Run) -> GateResult:
    def result(verdict: Verdict, reason: str) -> GateResult:
        p, adjusted = (test.p, test.adjusted) if test else (None, None)
        return GateResult(verdict, pair.metric.name, effect, p, adjusted, reason)

    described, family = _describe(pair.metric, effect, run.confidence), run.family
    n_a, n_b = len(pair.a), len(pair.b)
    if n_a and not n_b:
        return result(Verdict.MISSING, f"no samples in B (A has {n_a})")
    if not n_a:
        return result(Verdict.NOT_ENOUGH_SAMPLES, "no samples in A")
    if min(n_a, n_b) < min_repeats:
        return result(Verdict.NOT_ENOUGH_SAMPLES, f"{described}: fewer than {min_repeats} samples (A {n_a}, B {n_b})")
    worse = effect.ratio is not None and pair.metric.beyond_min_effect(effect.ratio) is Direction.WORSE
    if test is None or test.inconclusive(alpha, worse):
        if min_repeats == 1:
            band = f"fixed {100 * pair.metric.min_effect:g} % band (no statistics)"
            if worse:
                return result(Verdict.BAND_REGRESSION, f"{described}: worse beyond the {band}")
            return result(Verdict.BAND_OK, f"{described}: within the {band}")
        return result(Verdict.NOT_ENOUGH_SAMPLES, f"{described}: {_too_few(pair, alternative, alpha, family, test)}")
    p_text = f"p = {test.adjusted:.2g} one-sided, {family}"
    if not _significant(test.adjusted, alpha):
        return result(Verdict.NO_REGRESSION, f"{described}: no significant regression, {p_text}")
    if not worse:
        return result(Verdict.NO_REGRESSION, f"{described}: significantly worse ({p_text}) but within the "
                      f"{100 * pair.metric.min_effect:g} % minimum effect")
    return result(Verdict.REGRESSION, f"{described}: worse, {p_text}")
