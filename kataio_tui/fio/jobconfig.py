"""A fio job's configuration as kataio tells scenarios apart: pattern, block size, iodepth, numjobs
and every other option that changes the workload.

fio echoes the options a job was given ("job options", plus "global options") in its JSON output.
Two runs are the same scenario only when these agree. Options that only name things, say where the
files go or choose what fio reports and logs are not part of a configuration: two clients of one
scenario write to different directories and log files, and asking for percentiles changes no I/O.
Anything not known to be such an option counts, so unknown options keep runs apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kataio_tui.fio.reader import FioRun
from kataio_tui.units import parse_size

PATTERNS = ("read", "write", "randread", "randwrite", "rw", "randrw", "trim", "randtrim", "trimwrite",
            "randtrimwrite")
READ_PATTERNS = frozenset(("read", "randread", "rw", "randrw"))
_PATTERN_ALIASES = {"readwrite": "rw", "randreadwrite": "randrw"}
# fio's alternative names of the options kept as fields
_ALIASES = {"readwrite": "rw", "blocksize": "bs"}

# Options that change no I/O: names, file placement, logging and reporting.
NOT_WORKLOAD = frozenset((
    "name", "description", "filename", "directory", "filename_format", "unique_filename", "opendir",
    "write_bw_log", "write_lat_log", "write_iops_log", "write_hist_log", "log_avg_msec", "log_hist_msec",
    "log_hist_coarseness", "log_max_value", "log_offset", "log_prio", "log_compression", "log_compression_cpus",
    "log_store_compressed", "log_unix_epoch", "log_alternate_epoch", "log_alternate_epoch_clock_id",
    "per_job_logs", "group_reporting", "new_group", "clat_percentiles", "lat_percentiles", "slat_percentiles",
    "percentile_list", "significant_figures", "bwavgtime", "iopsavgtime", "disk_util", "exec_prerun",
    "exec_postrun", "stats",
))
# Values fio uses when an option is not given: giving them explicitly is the same configuration.
_DEFAULTS = {"direct": "0", "buffered": "1", "ramp_time": "0", "thread": "0", "time_based": "0", "startdelay": "0"}
FIELDS = ("rw", "bs", "iodepth", "numjobs")


class JobConfigError(ValueError):
    """The options do not say what the job did; the message names the option."""


Options = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class JobConfig:
    pattern: str
    block_size: int
    iodepth: int
    numjobs: int
    options: Options = ()  # every other workload option, sorted by name

    def option(self, name: str) -> str | None:
        return dict(self.options).get(name)


def pattern_of(rw: str | None) -> str | None:
    """fio's rw= value as a pattern name ('randread:8' is randread), or None when it is not one."""
    if not rw:
        return None
    name = rw.split(":")[0].strip().lower()
    name = _PATTERN_ALIASES.get(name, name)
    return name if name in PATTERNS else None


def block_size_of(bs: str | None) -> int | None:
    """The (read) block size of fio's bs= value: '4k', '4k,8k' (read,write), '4k-16k' (a range)."""
    if not bs:
        return None
    try:
        size = parse_size(bs.split(",")[0].split("-")[0].split(":")[0])
    except ValueError:
        return None
    return size if size > 0 else None


_COUNT = re.compile(r"\s*(\d{1,9})\s*")


def _count(options: Mapping[str, str], name: str) -> int:
    raw = options.get(name)
    if raw is None or raw == "":
        return 1  # fio's default for both iodepth and numjobs
    match = _COUNT.fullmatch(raw)
    if match is None or int(match.group(1)) < 1:
        raise JobConfigError(f"{name}={raw!r} is not a positive whole number")
    return int(match.group(1))


def normalized(options: Mapping[str, str]) -> dict[str, str]:
    """Options with fio's alternative names replaced and values stripped."""
    return {_ALIASES.get(k, k): str(v).strip() for k, v in options.items()}


def job_config(options: Mapping[str, str], pattern: str | None = None, block_size: int | None = None) -> JobConfig:
    """The configuration of a job with these options (a job's own merged over the global ones).
    ``pattern``/``block_size`` stand in when the options have no rw=/bs= (given by the user)."""
    opts = normalized(options)
    pat = pattern or pattern_of(opts.get("rw"))
    if pat is None:
        raise JobConfigError(f"rw={opts['rw']!r} is not a pattern kataio knows" if opts.get("rw") else
                             "no pattern: the job options have no rw=")
    block = block_size or block_size_of(opts.get("bs"))
    if block is None:
        raise JobConfigError(f"bs={opts['bs']!r} is not a block size" if opts.get("bs") else
                             "no block size: the job options have no bs=")
    rest = sorted((k, v) for k, v in opts.items()
                  if k not in FIELDS and k not in NOT_WORKLOAD and _DEFAULTS.get(k) != v)
    return JobConfig(pat, block, _count(opts, "iodepth"), _count(opts, "numjobs"), tuple(rest))


def differing_options(configs: Iterable[JobConfig]) -> list[str]:
    """Names of the options whose values differ between the configurations (absent counts as a
    value): the ones that tell these scenarios apart beyond the fields."""
    seen = list(configs)
    names = sorted({k for c in seen for k, _ in c.options})
    return [name for name in names if len({c.option(name) for c in seen}) > 1]


def run_config(run: FioRun, pattern: str | None = None, block_size: int | None = None) -> JobConfig:
    """The one configuration of every job in a file (clones of numjobs, one per host in
    client/server output). A file whose jobs differ (stonewalled groups of several jobs, say) is
    refused: kataio takes one scenario per file."""
    configs: dict[JobConfig, str] = {}
    for job in run.jobs:
        configs.setdefault(job_config({**run.global_options, **job.options}, pattern, block_size), job.name)
    if len(configs) > 1:
        raise JobConfigError(f"jobs of {len(configs)} different configurations in one file "
                             f"({', '.join(sorted(set(configs.values())))}): kataio takes one per file")
    return next(iter(configs))
