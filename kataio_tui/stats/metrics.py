"""What is measured, which way is better, and how large a change must be before it counts.

Effects are ratios B/A of medians (B the candidate, A the baseline or the earlier set). A change
counts only beyond the metric's minimum effect, read as a plain percent change: with 5 % for
bandwidth, a ratio below 0.95 is worse and above 1.05 is better; with 20 % for p99, above 1.20 is
worse and below 0.80 better.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from kataio_tui.stats import inputs


class Direction(StrEnum):
    BETTER = "better"
    WORSE = "worse"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str  # as in the CSV columns: "bw", "iops", "p50", "p99"
    higher_is_better: bool
    min_effect: float  # fraction: 0.05 is 5 %

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_effect", inputs.min_effect(self.min_effect, f"minimum effect for {self.name}"))

    def with_min_effect(self, value: float) -> Metric:
        return replace(self, min_effect=value)

    def worse_by(self, ratio: float) -> float:
        """How much worse B is than A, as a fraction (negative when B is better)."""
        return 1.0 - ratio if self.higher_is_better else ratio - 1.0

    def beyond_min_effect(self, ratio: float) -> Direction | None:
        """BETTER or WORSE when the change exceeds the minimum effect, else None. A change of
        exactly the minimum effect is within it (0.95 - 1 is -0.05000000000000004 in floats)."""
        change = ratio - 1.0
        if abs(change) <= self.min_effect * (1 + 1e-9):
            return None
        return Direction.BETTER if (change > 0) == self.higher_is_better else Direction.WORSE

    @property
    def bad_alternative(self) -> str:
        """The one-sided alternative of a test of mean(B) - mean(A) that means "B is worse"."""
        return "less" if self.higher_is_better else "greater"


# Minimum effects: 5 % for bandwidth and IOPS (cloud-bulldozer's benchmark-wrapper flags a change
# beyond 5 %); 20 % for p99 (Firecracker's A/B gate; tail percentiles are noisier than means);
# 10 % for p50, kataio's choice between the two: a median is steadier than a tail, and fio's
# histogram buckets are about 1.6 % wide, so a few percent is within a bucket or two.
BANDWIDTH = Metric("bw", higher_is_better=True, min_effect=0.05)
IOPS = Metric("iops", higher_is_better=True, min_effect=0.05)
P50 = Metric("p50", higher_is_better=False, min_effect=0.10)
P99 = Metric("p99", higher_is_better=False, min_effect=0.20)
DEFAULT_METRICS: dict[str, Metric] = {m.name: m for m in (BANDWIDTH, IOPS, P50, P99)}
