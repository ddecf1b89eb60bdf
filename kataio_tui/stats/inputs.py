"""Checks of what callers hand to the statistics: one clear error naming the field, never NaN
propagating into a verdict."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

from kataio_tui.errors import KataioError


class StatsInputError(KataioError):
    """A sample, threshold or setting the statistics cannot work with."""


def _number(value: object) -> float | None:
    """A real number (numpy's included) as a float; None for anything else, bools and strings too."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def samples(values: Iterable[object], what: str) -> tuple[float, ...]:
    """``values`` as floats; each must be a finite number >= 0 (bandwidth, IOPS, a latency)."""
    out = []
    for i, value in enumerate(values):
        number = _number(value)
        if number is None or not math.isfinite(number) or number < 0:
            raise StatsInputError(
                f"{what}: sample {i + 1} is {value!r}; samples must be finite numbers >= 0")
        out.append(number)
    return tuple(out)


def sample_lists(groups: Iterable[Iterable[object]], what: str) -> list[tuple[float, ...]]:
    return [samples(group, f"{what} {i + 1}") for i, group in enumerate(groups)]


def min_effect(value: object, what: str) -> float:
    """A minimum effect as a fraction (0.05 = 5 %): finite and >= 0."""
    number = _number(value)
    if number is None or not math.isfinite(number) or number < 0:
        raise StatsInputError(f"{what} must be a number >= 0 (a fraction: 0.05 is 5 %), not {value!r}")
    return number


def probability(value: object, what: str) -> float:
    """A level such as alpha or a confidence: strictly between 0 and 1."""
    number = _number(value)
    if number is None or not 0 < number < 1:  # NaN fails both comparisons
        raise StatsInputError(f"{what} must be a number between 0 and 1 (exclusive), not {value!r}")
    return number


def count(value: object, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise StatsInputError(f"{what} must be a whole number >= {minimum}, not {value!r}")
    return value


def pvalues(values: Sequence[object], what: str = "p-value") -> tuple[float, ...]:
    out = []
    for i, value in enumerate(values):
        number = _number(value)
        if number is None or not 0 <= number <= 1:
            raise StatsInputError(f"{what} {i + 1} is {value!r}; p-values lie between 0 and 1")
        out.append(number)
    return tuple(out)


def choice(value: object, allowed: Iterable[str], what: str) -> str:
    names = tuple(allowed)
    if value not in names:
        raise StatsInputError(f"{what} must be one of {', '.join(names)}, not {value!r}")
    return str(value)
