"""fio's own log files (write_bw_log, write_lat_log, write_iops_log, write_hist_log): recognised by
name, matched to the run that wrote them, and read as time series.

fio names them ``<prefix>_<kind>.<job>.log`` (``<prefix>_<kind>.log`` with per_job_logs=0), where
prefix is the option's value, kind one of bw, iops, lat, clat, slat or clat_hist/lat_hist/slat_hist
(write_hist_log), and job the job's number from 1. Each line is ``time (ms), value, direction,
block size, offset[, priority]``; bw is in KiB/s, lat/clat/slat in ns (us before fio 3.0), iops in
I/Os per second. Lines of a histogram log hold the bucket counts after the block size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

LOG_OPTIONS = ("write_bw_log", "write_lat_log", "write_iops_log", "write_hist_log")
_NAME = re.compile(
    r"^(?P<prefix>.+)_(?P<kind>bw|iops|lat|clat|slat|clat_hist|lat_hist|slat_hist)(\.(?P<job>\d+))?"
    r"\.log(\.fz)?$")
DIRECTIONS = {0: "read", 1: "write", 2: "trim", 3: "sync"}


@dataclass(frozen=True, slots=True)
class LogName:
    prefix: str
    kind: str
    job: int | None


def log_name(file_name: str) -> LogName | None:
    """What a file name says when it is one of fio's log files, else None."""
    match = _NAME.match(file_name)
    if match is None:
        return None
    job = match.group("job")
    return LogName(match.group("prefix"), match.group("kind"), int(job) if job else None)


def log_prefixes(options: Mapping[str, str]) -> set[str]:
    """The base names of the log prefixes a job's options ask for."""
    return {PurePosixPath(options[k]).name for k in LOG_OPTIONS if options.get(k)}


@dataclass(frozen=True, slots=True)
class Sample:
    time_ms: int
    value: int
    direction: str


def read_log(data: bytes) -> list[Sample]:
    """The samples of a bw/iops/lat log (not a histogram log); lines that are not samples raise
    ValueError naming the line."""
    samples: list[Sample] = []
    for number, line in enumerate(data.decode("ascii", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        try:
            time_ms, value, ddir = int(parts[0]), int(parts[1]), int(parts[2])
        except (IndexError, ValueError):
            raise ValueError(f"line {number}: not 'time, value, direction, ...'") from None
        samples.append(Sample(time_ms, value, DIRECTIONS.get(ddir, str(ddir))))
    return samples


def per_second(logs: Iterable[list[Sample]]) -> list[float]:
    """Sum of several jobs' (or clients') samples per whole second (e.g. bandwidth in KiB/s), from
    the first second with a sample to the last; averaged within a second per log."""
    totals: dict[int, float] = {}
    for samples in logs:
        per_log: dict[int, list[int]] = {}
        for s in samples:
            per_log.setdefault(s.time_ms // 1000, []).append(s.value)
        for second, values in per_log.items():
            totals[second] = totals.get(second, 0.0) + sum(values) / len(values)
    if not totals:
        return []
    return [totals.get(t, 0.0) for t in range(min(totals), max(totals) + 1)]
