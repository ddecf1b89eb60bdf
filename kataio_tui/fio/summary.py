"""One client's numbers from one fio result: clones and jobs summed, latency histograms merged."""

from __future__ import annotations

from dataclasses import dataclass, field

from kataio_tui.fio.histogram import Histogram
from kataio_tui.fio.reader import DIRECTIONS, LATENCY_KINDS, MAX_VALUE, FioOutputError, FioRun, JobRecord


@dataclass(slots=True)
class ClientLatency:
    """One latency kind of one client, over all its jobs and active directions."""

    samples: int
    mean_ns: float
    min_ns: float
    max_ns: float
    histogram: Histogram | None
    # fio's own percentile lists, used only when there are no bins (plain json): with one job
    # entry (group_reporting, or numjobs=1) they are exact (fio_exact); with several, each job's
    # own, and the client's percentile lies between their lowest (fio_low) and highest
    # (fio_percentiles)
    fio_percentiles: dict[float, int] = field(default_factory=dict)
    fio_low: dict[float, int] = field(default_factory=dict)
    fio_exact: bool = False


@dataclass(slots=True)
class ClientSummary:
    name: str
    source: str
    fio_version: str
    hostname: str | None
    errors: list[int]
    io_bytes: int
    bw_bytes: float
    iops: float
    runtime_ms: int  # wall time of the measured I/O (the longest direction runtime), not fio's job_runtime
    direction_bw: dict[str, float]
    latency: dict[str, ClientLatency]
    options: dict[str, str]
    timestamp_ms: int = 0

    @property
    def bw_mib_s(self) -> float:
        return self.bw_bytes / 1048576.0


def _merge_latency(parts: list) -> ClientLatency | None:
    parts = [p for p in parts if p.samples > 0]
    if not parts:
        return None
    samples = sum(p.samples for p in parts)
    with_bins = [p.histogram for p in parts if p.histogram is not None]
    histogram = Histogram.merged(with_bins) if len(with_bins) == len(parts) else None
    high: dict[float, int] = {}
    low: dict[float, int] = {}
    if histogram is None:
        # No bins: the merged percentile lies between the lowest and the largest per-job value.
        for p in parts:
            for pct, ns in p.percentiles.items():
                high[pct] = max(high.get(pct, ns), ns)
                low[pct] = min(low.get(pct, ns), ns)
    return ClientLatency(
        samples=samples,
        mean_ns=sum(p.mean_ns * p.samples for p in parts) / samples,
        min_ns=min(p.min_ns for p in parts),
        max_ns=max(p.max_ns for p in parts),
        histogram=histogram,
        fio_percentiles=high,
        fio_low=low,
        fio_exact=histogram is None and len(parts) == 1 and bool(high),
    )


def _check_sums(summary: ClientSummary) -> ClientSummary:
    """Every value fio writes is at most MAX_VALUE, but their sums over a client's jobs need not be:
    a client whose totals pass 2^63-1 is refused like an impossible value (its summary could not be
    kept, and nothing real comes near)."""
    totals = [("io_bytes", summary.io_bytes)]
    for kind, lat in summary.latency.items():
        totals.append((f"{kind}_ns.N", lat.samples))
        if lat.histogram is not None:
            totals.append((f"{kind}_ns.bins", lat.histogram.total))
    for what, total in totals:
        if total > MAX_VALUE:
            raise FioOutputError(summary.source, f"wrong shape: {what} of the jobs add up to {total}, more than 2^63-1")
    return summary


def summarize_jobs(jobs: list[JobRecord], run: FioRun, name: str) -> ClientSummary:
    direction_bw = {d: 0.0 for d in DIRECTIONS}
    io_bytes = 0
    iops = 0.0
    runtime_ms = 0
    lat_parts: dict[str, list] = {k: [] for k in LATENCY_KINDS}
    options: dict[str, str] = dict(run.global_options)
    for job in jobs:
        for key, value in job.options.items():
            options.setdefault(key, value)
        # with group_reporting, job_runtime is summed over the group's numjobs (12 s for 4 jobs of 3 s);
        # a direction's runtime is the wall time: job_runtime only for a job with no I/O at all
        active = [stats for stats in job.directions.values() if stats.active]
        runtime_ms = max(runtime_ms, max((s.runtime_ms for s in active), default=0) or job.job_runtime_ms)
        for ddir, stats in job.directions.items():
            if not stats.active:
                continue
            direction_bw[ddir] += stats.bw_bytes
            io_bytes += stats.io_bytes
            iops += stats.iops
            for kind, lat in stats.latency.items():
                lat_parts[kind].append(lat)
    latency = {}
    for kind, parts in lat_parts.items():
        merged = _merge_latency(parts)
        if merged is not None:
            latency[kind] = merged
    return _check_sums(ClientSummary(
        name=name,
        source=run.source,
        fio_version=run.version,
        hostname=jobs[0].hostname if jobs else None,
        errors=sorted({job.error for job in jobs if job.error}),
        io_bytes=io_bytes,
        bw_bytes=sum(direction_bw.values()),
        iops=iops,
        runtime_ms=runtime_ms,
        direction_bw={d: bw for d, bw in direction_bw.items() if bw},
        latency=latency,
        options=options,
        timestamp_ms=run.timestamp_ms,
    ))


def client_summaries(run: FioRun, name: str) -> list[ClientSummary]:
    """One summary per client: the whole run for a local fio, one per server in client mode."""
    if not run.client_mode:
        return [summarize_jobs(run.jobs, run, name)]
    by_host: dict[tuple[str | None, int | None], list[JobRecord]] = {}
    for job in run.jobs:
        by_host.setdefault((job.hostname, job.port), []).append(job)
    return [
        summarize_jobs(jobs, run, f"{name}:{host}:{port}" if port else f"{name}:{host}")
        for (host, port), jobs in by_host.items()
    ]
