"""Adjusted p-values for many tests at once: Holm (family-wise error) and Benjamini-Hochberg
(false discovery rate). A test is significant at level alpha when its adjusted p-value is <= alpha.

Both are monotone: lowering any raw p-value never raises an adjusted one. So adjusting the
smallest p-value each test could reach gives the smallest adjusted p-value it could reach, which is
how the verdicts tell "not significant" from "could never be significant".

Written with numpy rather than scipy.stats.false_discovery_control (the tests check them against
it) because importing scipy.stats takes longer than kataio's whole compare budget on this machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from kataio_tui.stats import inputs

Floats = npt.NDArray[np.float64]
CORRECTIONS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no correction"}


def _stepwise(pvalues: Sequence[float], step: Callable[[Floats, int], Floats]) -> list[float]:
    """Apply ``step`` to the p-values sorted ascending, cap at 1, and put them back in order."""
    p = np.array(inputs.pvalues(pvalues), dtype=np.float64)
    if not len(p):
        return []
    order = np.argsort(p, kind="stable")
    out = np.empty(len(p))
    out[order] = np.minimum(step(p[order], len(p)), 1.0)
    return out.tolist()


def holm(pvalues: Sequence[float]) -> list[float]:
    """Step-down: the i-th smallest times (m - i + 1), never below an earlier one."""
    return _stepwise(pvalues, lambda p, m: np.maximum.accumulate((m - np.arange(m)) * p))


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Step-up: the i-th smallest times m / i, never above a later one."""
    return _stepwise(pvalues, lambda p, m: np.minimum.accumulate((p * m / np.arange(1, m + 1))[::-1])[::-1])


def adjust(pvalues: Sequence[float], method: str) -> list[float]:
    method = inputs.choice(method, CORRECTIONS, "correction")
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    return list(inputs.pvalues(pvalues))
