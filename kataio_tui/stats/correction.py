"""Adjusted p-values for many tests at once: Holm (family-wise error) and Benjamini-Hochberg
(false discovery rate). A test is significant at level alpha when its adjusted p-value is <= alpha.

Both are monotone: lowering any raw p-value never raises an adjusted one. So adjusting the
smallest p-value each test could reach gives the smallest adjusted p-value it could reach, which is
how the verdicts tell "not significant" from "could never be significant".

Written with numpy rather than scipy.stats.false_discovery_control (the tests check them against
it) because importing scipy.stats takes longer than kataio's whole compare budget on this machine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kataio_tui.stats import inputs

CORRECTIONS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no correction"}


def holm(pvalues: Sequence[float]) -> list[float]:
    p = np.array(inputs.pvalues(pvalues), dtype=np.float64)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out.tolist()


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    p = np.array(inputs.pvalues(pvalues), dtype=np.float64)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out.tolist()


def adjust(pvalues: Sequence[float], method: str) -> list[float]:
    method = inputs.choice(method, CORRECTIONS, "correction")
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    return list(inputs.pvalues(pvalues))
