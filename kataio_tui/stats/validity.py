"""Validity flags over plain numbers: is a measurement what it claims to be?

Each detector returns a Flag (a code for programs, a reason for people) or None. Plain Python, so
the report's warm path can call them without importing numpy. Thresholds are named here, with
where each comes from.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from kataio_tui.stats import inputs


@dataclass(frozen=True, slots=True)
class Flag:
    code: str  # "not-steady", "first-repeat", "page-cache", "buffered", "small-file", "saturated"
    reason: str


# --- steadiness of a per-second bandwidth series -------------------------------------------------
# pyperf warns when the standard deviation is >= 10 % of the mean; the same bound serves for the
# drift between the first and the last third (kataio's choice: no peer gives a trend bound).
STEADY_CV = 0.10
STEADY_TREND = 0.10
MIN_SERIES_POINTS = 6  # two seconds per third at least; shorter series are not judged


def coefficient_of_variation(series: Sequence[float]) -> float | None:
    """Sample standard deviation over the mean; None for fewer than 2 points or a zero mean."""
    values = inputs.samples(series, "series")
    if len(values) < 2 or not any(values):
        return None
    return statistics.stdev(values) / statistics.fmean(values)


def thirds_trend(series: Sequence[float]) -> float | None:
    """(mean of the last third - mean of the first third) / mean of all; None below 3 points."""
    values = inputs.samples(series, "series")
    third = len(values) // 3
    if third == 0 or not any(values):
        return None
    mean = statistics.fmean(values)
    return (statistics.fmean(values[-third:]) - statistics.fmean(values[:third])) / mean


def steadiness(series: Sequence[float], *, cv_limit: float = STEADY_CV, trend_limit: float = STEADY_TREND,
               what: str = "per-second bandwidth") -> Flag | None:
    """'not steady' when the series (one run, after fio's ramp) varies or drifts too much.

    The seconds of one run are autocorrelated: this judges the run, it is not a sample size."""
    cv_limit = inputs.min_effect(cv_limit, "coefficient of variation limit")
    trend_limit = inputs.min_effect(trend_limit, "trend limit")
    values = inputs.samples(series, what)
    if len(values) < MIN_SERIES_POINTS:
        return None
    if not any(values):
        return Flag("not-steady", f"{what}: no I/O in any of {len(values)} seconds")
    cv = coefficient_of_variation(values)
    trend = thirds_trend(values)
    reasons = []
    if cv is not None and cv > cv_limit:
        reasons.append(f"varies by {100 * cv:.0f} % (coefficient of variation; limit {100 * cv_limit:g} %)")
    if trend is not None and abs(trend) > trend_limit:
        way = "rises" if trend > 0 else "falls"
        reasons.append(f"{way} {100 * abs(trend):.0f} % from the first to the last third "
                       f"(limit {100 * trend_limit:g} %)")
    return Flag("not-steady", f"{what} {' and '.join(reasons)}") if reasons else None


# --- a first repeat far from the others (hyperfine) ----------------------------------------------
# hyperfine: modified Z-score (x - median) / MAD, outlier beyond 1.4826 x 10 (10 robust standard
# deviations), MAD 0 replaced by the machine epsilon. With 3 repeats the MAD can be tiny, so a first
# repeat must also differ by more than FIRST_REPEAT_MIN_CHANGE from the median (kataio's guard, the
# bandwidth minimum effect) before it is flagged.
FIRST_REPEAT_THRESHOLD = 1.4826 * 10
FIRST_REPEAT_MIN_CHANGE = 0.05
_EPSILON = 2.220446049250313e-16


def _median_mad(xs: Sequence[float]) -> tuple[float, float]:
    median = statistics.median(xs)
    return median, statistics.median(abs(x - median) for x in xs)


def modified_zscores(values: Sequence[float]) -> list[float]:
    xs = inputs.samples(values, "values")
    if not xs:
        return []
    median, mad = _median_mad(xs)
    return [(x - median) / (mad or _EPSILON) for x in xs]


def first_repeat_outlier(repeats: Sequence[float], *, threshold: float = FIRST_REPEAT_THRESHOLD,
                         min_change: float = FIRST_REPEAT_MIN_CHANGE, what: str = "bandwidth") -> Flag | None:
    """Flag a first repeat (in run order) far from the others: warm-up, or caches filling."""
    threshold = inputs.min_effect(threshold, "outlier threshold")
    min_change = inputs.min_effect(min_change, "minimum change")
    xs = inputs.samples(repeats, f"{what} repeats")
    if len(xs) < 3:
        return None
    score = modified_zscores(xs)[0]
    median, mad = _median_mad(xs)
    change = (xs[0] - median) / median if median else 0.0
    if abs(score) <= threshold or abs(change) <= min_change:
        return None
    way = "above" if change > 0 else "below"
    spread = "the others are equal" if mad == 0 else f"modified Z-score {abs(score):.0f}, limit {threshold:.1f}"
    return Flag("first-repeat", f"first repeat's {what} is {100 * abs(change):.0f} % {way} the median of "
                f"{len(xs)} repeats ({spread}): warm-up or caches filling?")


# --- page cache ----------------------------------------------------------------------------------
# Direct I/O cannot be faster than the storage: more than 1.5x the baseline's bandwidth on the same
# storage (the example; a DAX read reached 5.8x bare metal in a Kata report), or a read
# latency below the baseline's by the same factor, is a cache answering. Longhorn's kbench: a file
# should be at least 25x the bandwidth per second to defeat caching.
CACHE_BW_RATIO = 1.5
CACHE_LATENCY_RATIO = 1.5
CACHE_FILE_FACTOR = 25


def page_cache(*, direct: bool, bw: float | None = None, baseline_bw: float | None = None,
               read_latency: float | None = None, baseline_read_latency: float | None = None,
               baseline: str = "the baseline") -> Flag | None:
    """'page cache?' for direct I/O that beats the baseline runtime on the same storage; a note
    for buffered I/O, which measures the cache by design. Bandwidths in one unit, latencies in one."""
    if not direct:
        return Flag("buffered", "buffered I/O (direct=0): measures the page cache as much as the storage")
    if bw is not None and baseline_bw is not None:
        value, base = inputs.samples([bw, baseline_bw], "bandwidth and baseline bandwidth")
        if base > 0 and value > CACHE_BW_RATIO * base:
            return Flag("page-cache", f"page cache? direct I/O at {value / base:.1f}x {baseline}'s bandwidth "
                        f"on the same storage (limit {CACHE_BW_RATIO:g}x)")
    if read_latency is not None and baseline_read_latency is not None:
        value, base = inputs.samples([read_latency, baseline_read_latency], "read latency and baseline latency")
        if value > 0 and base > CACHE_LATENCY_RATIO * value:
            return Flag("page-cache", f"page cache? read latency {base / value:.1f}x lower than {baseline}'s "
                        f"on the same storage (limit {CACHE_LATENCY_RATIO:g}x)")
    return None


def small_file(file_size_bytes: float, bw_bytes_per_s: float) -> Flag | None:
    """kbench's rule, for where a cache can hold the file (buffered I/O, virtio-fs, DAX)."""
    size, bw = inputs.samples([file_size_bytes, bw_bytes_per_s], "file size and bandwidth")
    if bw > 0 and size < CACHE_FILE_FACTOR * bw:
        return Flag("small-file", f"the file is {size / bw:.1f} s of I/O at this bandwidth; below "
                    f"{CACHE_FILE_FACTOR} s a cache can hold it (kbench's rule)")
    return None


# --- saturation: fio's top histogram bucket ------------------------------------------------------
FIO_PLAT_BITS = 6  # fio stat.h: FIO_IO_U_PLAT_BITS, 29 groups of 64 buckets
FIO_PLAT_GROUPS = 29


def fio_bucket_value(index: int) -> int:
    """fio's plat_idx_to_val: the value (ns) a json+ bin key has for bucket ``index``."""
    val = 1 << FIO_PLAT_BITS
    if index < 2 * val:
        return index
    error_bits = (index >> FIO_PLAT_BITS) - 1
    base = 1 << (error_bits + FIO_PLAT_BITS)
    return base + int((index % val + 0.5) * (1 << error_bits))


FIO_TOP_BUCKET_NS = fio_bucket_value(FIO_PLAT_GROUPS * (1 << FIO_PLAT_BITS) - 1)  # 17,112,760,320
SATURATED_LABEL = "≥ 17 s"


def is_saturated(latency_ns: float) -> bool:
    """In fio's top bucket: the true value is anywhere above about 17 s."""
    return latency_ns >= FIO_TOP_BUCKET_NS


def saturation(what: str, latency_ns: float | None) -> Flag | None:
    if latency_ns is None:
        return None
    (value,) = inputs.samples([latency_ns], what)
    if not is_saturated(value):
        return None
    return Flag("saturated", f"{what} is in fio's top histogram bucket ({SATURATED_LABEL}): the true value "
                "is unknown, only that it is at least that")
