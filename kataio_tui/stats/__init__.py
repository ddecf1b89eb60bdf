"""Statistics over plain numbers: the samples behind every verdict kataio gives.

A scenario's repeats are its samples. This package turns lists of per-repeat numbers into medians
with bootstrap confidence intervals, ratios to a baseline with their intervals, table marks, the
compare gate's verdicts and validity flags. It knows nothing of result sets or fio output.

Import cost: this file imports nothing. ``inputs``, ``metrics``, ``outcomes`` and ``validity`` are
plain Python, cheap enough for the report's warm path and the TUI's start; ``bootstrap``,
``permutation``, ``correction`` and ``verdicts`` import numpy (about 0.1 to 0.4 s here), and only
``permutation.mannwhitney_pvalues`` imports scipy.stats (1.5 to 3 s on this 2-core machine, more
than the whole compare budget, which is why the default path does not use it).
"""
