"""The results the statistics hand back: plain, typed, and importable without numpy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# benchstat: 6 samples are needed for a 95 % interval. The interval a bootstrap gives for a median
# lies between two of the samples, and with fewer than 6 no such pair covers the true median with
# 95 % certainty (with 3 samples the full range covers it 75 % of the time).
MIN_SAMPLES_FOR_CI = 6


class SampleState(StrEnum):
    NONE = "none"  # no samples
    SINGLE = "single"  # one sample: a value, no interval, nothing can be said about noise
    FEW = "few"  # 2 to 5: an interval is given, but it covers less than its nominal 95 %
    CI = "ci"  # 6 or more: the bootstrap interval means what it says

    @classmethod
    def of(cls, n: int) -> SampleState:
        if n <= 0:
            return cls.NONE
        if n == 1:
            return cls.SINGLE
        return cls.FEW if n < MIN_SAMPLES_FOR_CI else cls.CI


@dataclass(frozen=True, slots=True)
class Summary:
    """One metric of one scenario over its repeats."""

    n: int
    median: float | None
    ci_low: float | None  # None unless n >= 2
    ci_high: float | None
    state: SampleState


@dataclass(frozen=True, slots=True)
class Effect:
    """B relative to A: the ratio of their medians with a bootstrap interval.

    ``ratio`` is None when A's median is 0 (no baseline to divide by); ``ci_high`` is inf when a
    resampled A can have a median of 0. ``state`` is that of the smaller side.
    """

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    state: SampleState
    n_a: int
    n_b: int

    @property
    def pct_of_baseline(self) -> float | None:
        return None if self.ratio is None else 100.0 * self.ratio

    @property
    def pct_ci(self) -> tuple[float, float] | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return 100.0 * self.ci_low, 100.0 * self.ci_high


class Mark(StrEnum):
    """A table cell against its baseline. The value is the word (JSON); ``glyph`` is for tables."""

    BETTER = "better"
    WORSE = "worse"
    SAME = "same"  # tested: not significant, or within the minimum effect
    TOO_FEW = "too-few"  # 2 or more samples, but too few for any test to reach significance
    SINGLE = "single"  # one sample on a side: nothing can be said
    NO_DATA = "no-data"

    @property
    def glyph(self) -> str:
        return _GLYPHS[self]

    @property
    def legend(self) -> str:
        return _LEGENDS[self]


_GLYPHS = {Mark.BETTER: "▲", Mark.WORSE: "▼", Mark.SAME: "≈", Mark.TOO_FEW: "?", Mark.SINGLE: "·",
           Mark.NO_DATA: "-"}
_LEGENDS = {
    Mark.BETTER: "better: significant and beyond the minimum effect",
    Mark.WORSE: "worse: significant and beyond the minimum effect",
    Mark.SAME: "no significant change beyond the minimum effect",
    Mark.TOO_FEW: "too few repeats for any test to be significant",
    Mark.SINGLE: "a single sample: unverified",
    Mark.NO_DATA: "no data",
}


@dataclass(frozen=True, slots=True)
class MarkResult:
    mark: Mark
    effect: Effect
    p_value: float | None  # two-sided, before correction; None when no test was made
    p_adjusted: float | None
    reason: str


class Verdict(StrEnum):
    REGRESSION = "regression"
    NO_REGRESSION = "no-regression"
    NOT_ENOUGH_SAMPLES = "not-enough-samples"
    MISSING = "missing"  # A has samples, B none
    BAND_REGRESSION = "fixed-band-regression"  # --min-repeats 1: no statistics, a plain band
    BAND_OK = "fixed-band-ok"

    @property
    def fails(self) -> bool:
        return self in (Verdict.REGRESSION, Verdict.MISSING, Verdict.BAND_REGRESSION)

    @property
    def fixed_band(self) -> bool:
        return self in (Verdict.BAND_REGRESSION, Verdict.BAND_OK)


@dataclass(frozen=True, slots=True)
class GateResult:
    verdict: Verdict
    metric: str
    effect: Effect
    p_value: float | None  # one-sided in the bad direction, before correction
    p_adjusted: float | None
    reason: str


def overall(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of a whole compare: any failure, else any scenario that could not be judged,
    else no regression. (`kataio compare` exit codes: 1, 3, 0.)"""
    seen = set(verdicts)
    for verdict in (Verdict.REGRESSION, Verdict.MISSING, Verdict.BAND_REGRESSION, Verdict.NOT_ENOUGH_SAMPLES):
        if verdict in seen:
            return verdict
    return Verdict.BAND_OK if seen == {Verdict.BAND_OK} else Verdict.NO_REGRESSION
