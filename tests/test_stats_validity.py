"""Validity flags: steadiness of a per-second series, a first repeat far from the others
(hyperfine's modified Z-score), page-cache suspicion, kbench's file-size rule, and saturation at
fio's top histogram bucket (checked against the bin keys of real fio json+ output)."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest
import scipy.stats
from fiogen import LOCAL_CLONES, first_document, fiogen  # noqa: F401

from kataio_tui.stats.inputs import StatsInputError
from kataio_tui.stats.validity import (
    FIO_TOP_BUCKET_NS, SATURATED_LABEL, coefficient_of_variation, fio_bucket_value, first_repeat_outlier,
    is_saturated, modified_zscores, page_cache, saturation, small_file, steadiness, thirds_trend,
)


# --- steadiness ----------------------------------------------------------------------------------

def test_cv_and_trend_against_numpy_and_by_hand():
    series = list(np.random.default_rng(1).normal(500, 40, 60))
    assert coefficient_of_variation(series) == pytest.approx(scipy.stats.variation(series, ddof=1))
    # thirds of [1..9]: means 2 and 8, overall 5 -> +1.2
    assert thirds_trend(list(range(1, 10))) == pytest.approx(1.2)
    assert thirds_trend([5.0, 5.0]) is None and coefficient_of_variation([5.0]) is None
    assert coefficient_of_variation([0.0, 0.0]) is None


def test_steady_and_unsteady_series():
    assert steadiness([500.0] * 30) is None
    assert steadiness(list(np.random.default_rng(2).normal(500, 15, 30))) is None  # 3 % noise
    noisy = steadiness([500, 300, 700, 500, 250, 750, 500, 500, 500])
    assert noisy.code == "not-steady" and "coefficient of variation; limit 10 %" in noisy.reason
    falling = steadiness([600] * 5 + [500] * 5 + [420] * 5)
    assert falling.code == "not-steady" and "falls" in falling.reason and "first to the last third" in falling.reason
    rising = steadiness([450] * 5 + [500] * 5 + [560] * 5, cv_limit=0.5)
    assert "rises 22 %" in rising.reason and "varies" not in rising.reason
    assert steadiness([600] * 5 + [500] * 5 + [420] * 5, cv_limit=1, trend_limit=0.5) is None  # limits are settings
    stalled = steadiness([0.0] * 10)
    assert stalled.code == "not-steady" and "no I/O in any of 10 seconds" in stalled.reason
    assert steadiness([100, 0, 900, 0, 100]) is None  # too short to judge


def test_steadiness_refuses_bad_input():
    with pytest.raises(StatsInputError, match="per-second bandwidth: sample 2 is nan"):
        steadiness([1.0, math.nan] + [1.0] * 10)
    with pytest.raises(StatsInputError, match="coefficient of variation limit must be a number >= 0"):
        steadiness([1.0] * 10, cv_limit=-0.1)
    with pytest.raises(StatsInputError, match="trend limit"):
        steadiness([1.0] * 10, trend_limit=math.nan)


# --- first repeat --------------------------------------------------------------------------------

def test_modified_zscores_are_hyperfines():
    xs = [0.5, 0.30, 0.29, 0.31, 0.30]  # one of hyperfine's own cases: one outlier
    median = statistics.median(xs)
    mad = statistics.median(abs(x - median) for x in xs)
    assert modified_zscores(xs) == pytest.approx([(x - median) / mad for x in xs])
    assert sum(abs(z) > 14.826 for z in modified_zscores(xs)) == 1
    assert sum(abs(z) > 14.826 for z in modified_zscores([10.0] * 7 + [100.0])) == 1  # MAD 0


def test_first_repeat_outlier():
    cold = first_repeat_outlier([610.0, 900.0, 905.0, 898.0, 902.0])
    assert cold.code == "first-repeat" and "32 % below the median of 5 repeats" in cold.reason
    assert "warm-up" in cold.reason
    cached = first_repeat_outlier([1500.0, 1000.0, 1000.0, 1000.0])
    assert "50 % above" in cached.reason and "the others are equal" in cached.reason
    # far in robust sigmas, but only 4 %: hyperfine would flag it, the 5 % guard does not
    assert first_repeat_outlier([864.0, 826.9, 829.0]) is None
    assert first_repeat_outlier([900.0, 905.0, 610.0]) is None  # an outlier, but not the first
    assert first_repeat_outlier([610.0, 900.0]) is None  # two repeats: not judged
    assert first_repeat_outlier([5.0, 5.0, 5.0]) is None and first_repeat_outlier([0.0, 0.0, 0.0]) is None
    assert first_repeat_outlier([700.0, 900.0, 905.0, 898.0], min_change=0.3) is None


# --- page cache, file size -----------------------------------------------------------------------

def test_page_cache_suspicion():
    dax = page_cache(direct=True, bw=5800.0, baseline_bw=1000.0, baseline="bare")
    assert dax.code == "page-cache" and "5.8x bare's bandwidth" in dax.reason and dax.reason.startswith("page cache?")
    assert page_cache(direct=True, bw=1400.0, baseline_bw=1000.0) is None  # 1.4x: within
    fast_reads = page_cache(direct=True, bw=900.0, baseline_bw=1000.0, read_latency=20.0, baseline_read_latency=95.0)
    assert fast_reads.code == "page-cache" and "4.8x lower" in fast_reads.reason
    assert page_cache(direct=True, bw=900.0, baseline_bw=1000.0, read_latency=80.0, baseline_read_latency=95.0) is None
    assert page_cache(direct=True) is None and page_cache(direct=True, bw=10.0, baseline_bw=0.0) is None
    buffered = page_cache(direct=False, bw=9000.0, baseline_bw=1000.0)
    assert buffered.code == "buffered" and "measures the page cache" in buffered.reason
    with pytest.raises(StatsInputError, match="bandwidth and baseline bandwidth: sample 1 is nan"):
        page_cache(direct=True, bw=math.nan, baseline_bw=1.0)


def test_small_file_is_kbench_rule():
    flag = small_file(4 << 30, 500 << 20)  # 4 GiB at 500 MiB/s: 8.2 s of I/O
    assert flag.code == "small-file" and "8.2 s of I/O" in flag.reason and "25 s" in flag.reason
    assert small_file(20 << 30, 500 << 20) is None and small_file(1 << 20, 0) is None


# --- saturation ----------------------------------------------------------------------------------

def test_top_bucket_is_fios():
    assert FIO_TOP_BUCKET_NS == 17_112_760_320
    assert [fio_bucket_value(i) for i in (0, 1, 127, 128, 129, 191, 192)] == [0, 1, 127, 129, 131, 255, 258]
    assert is_saturated(17_112_760_320) and not is_saturated(17_112_760_319)
    flag = saturation("clat p99", 17_112_760_320)
    assert flag.code == "saturated" and SATURATED_LABEL in flag.reason and SATURATED_LABEL == "≥ 17 s"
    assert saturation("clat p99", 1_000_000) is None and saturation("clat p99", None) is None
    with pytest.raises(StatsInputError, match="clat p99"):
        saturation("clat p99", math.inf)


def test_every_bin_key_of_real_fio_output_is_a_bucket_value(fiogen):  # noqa: F811
    doc = first_document(fiogen.get(LOCAL_CLONES))
    values = {fio_bucket_value(i) for i in range(29 * 64)}
    keys = {int(k) for job in doc["jobs"] for ddir in ("read", "write") for kind in ("slat_ns", "clat_ns", "lat_ns")
            for k in job[ddir][kind].get("bins", {})}
    assert len(keys) > 50, json.dumps(doc["jobs"][0]["read"]["clat_ns"])[:300]
    assert keys <= values
    assert max(values) == FIO_TOP_BUCKET_NS
