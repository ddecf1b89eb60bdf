"""Per-scenario aggregates: the numbers behind the study's bandwidth and latency tables.

A row is a scenario identity (model/identity.py); its repeats are its samples, in run order, each
with its own numbers (``ScenarioRow.samples``). Bandwidth is summed over clients; latency
percentiles come from the merged histogram of all clients of a repeat, never from averaging
per-client percentiles. The row's values are the median over its repeats (docs/statistics.md).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from kataio_tui.fio.histogram import Histogram
from kataio_tui.fio.jobconfig import READ_PATTERNS
from kataio_tui.fio.summary import ClientSummary
from kataio_tui.model.identity import ScenarioId
from kataio_tui.results.loaded import LoadedScenario, Scenarios
from kataio_tui.units import parse_size

DEFAULT_BASELINE = "bare"
PATTERN_ORDER = ("read", "write", "randread", "randwrite", "rw", "randrw")

# anomaly thresholds
TAIL_RATIO = 100.0  # p99 above 100 x p50
RUNTIME_SPREAD = 0.2  # clients' runtimes differ by more than 20 % of the longest
STRAGGLER = 0.5  # a client below half the median client bandwidth
SKEW_LIMIT_S = 1.0


RowKey = ScenarioId  # a scenario without its repeat number: what a row of the tables is


@dataclass(slots=True)
class RepeatSample:
    """One repeat of a scenario: the sample the statistics use (run order = ``repeat``)."""

    repeat: int
    started: str | None  # ISO time as recorded (None: not recorded)
    status: str
    clients_reported: int
    bw_bytes: float  # summed over the clients
    iops: float
    scenario: LoadedScenario

    def percentiles(self, kind: str) -> tuple[float | None, float | None] | None:
        """(p50, p99) in µs of this repeat alone: from its own merged histogram, or fio's own
        percentile of its single client when there are no bins; None when neither exists (several
        clients without bins: no cluster-wide percentile can be computed)."""
        hist = self.scenario.histogram(kind)
        if hist is not None and hist.total:
            pct = hist.percentiles((50.0, 99.0))
            return _us(pct.get(50.0)), _us(pct.get(99.0))
        parts = [c.latency[kind] for c in self.scenario.clients if kind in c.latency]
        if len(parts) == 1 and parts[0].fio_exact and parts[0].fio_percentiles:
            return _us(parts[0].fio_percentiles.get(50.0)), _us(parts[0].fio_percentiles.get(99.0))
        return None


@dataclass(frozen=True, slots=True)
class JobFacts:
    """What the job did, as far as the statistics' validity flags need it (None: not known)."""

    direct: bool | None
    file_size: int | None  # bytes per job file
    reads: bool  # the pattern reads (read, randread, rw, randrw)


def _us(ns: float | None) -> float | None:
    return None if ns is None else ns / 1000


class LatencyRow:
    """A scenario's latency of one kind: p50/p99 as the median over its repeats of each repeat's
    own percentile; ``source`` says where they come from: "bins" (merged json+ histograms),
    "fio" (fio's own percentiles of a single client, exact), "client-range" (several clients
    without bins: no cluster-wide percentile exists, p50/p99 are None and the ranges give the
    lowest and highest per-client value) or "none" (fio recorded no percentiles)."""

    __slots__ = ("_group", "_histogram", "kind", "mean_us", "p50_range_us", "p50_us", "p99_range_us", "p99_us",
                 "samples", "source")

    def __init__(self, kind: str, p50_us: float | None, p99_us: float | None, source: str, samples: int,
                 mean_us: float | None, group: list[LoadedScenario],
                 p50_range_us: tuple[float, float] | None = None,
                 p99_range_us: tuple[float, float] | None = None) -> None:
        self.kind, self.p50_us, self.p99_us, self.source = kind, p50_us, p99_us, source
        self.samples, self.mean_us = samples, mean_us
        self.p50_range_us, self.p99_range_us = p50_range_us, p99_range_us
        self._group = group
        self._histogram: Histogram | None | bool = False  # False: not merged yet

    @property
    def histogram(self) -> Histogram | None:
        """All repeats' histograms added up (for the CDF), merged when first asked for."""
        if self._histogram is False:
            parts = [s.histogram(self.kind) for s in self._group]
            self._histogram = Histogram.merged(h for h in parts if h is not None) if self.source == "bins" else None
        return self._histogram  # type: ignore[return-value]


@dataclass(slots=True)
class ScenarioRow:
    key: RowKey
    status: str
    repeats: int
    clients_planned: int
    clients_reported: int
    bw_mib_s: float  # median over the repeats of the bandwidth summed over clients
    iops: float
    client_bw_min: float | None
    client_bw_max: float | None
    runtime_min_ms: int | None
    runtime_max_ms: int | None
    start_skew_s: float | None
    pct_of_baseline: float | None = None
    baseline: str | None = None  # the runtime (variant) pct_of_baseline refers to
    latency: dict[str, LatencyRow] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    failure: str | None = None
    diagnosis: str | None = None
    clients: list[ClientSummary] = field(default_factory=list)
    jobfile: str | None = None
    unreadable: int = 0  # raw files of the scenario that could not be read
    samples: list[RepeatSample] = field(default_factory=list)  # in run order
    facts: JobFacts | None = None

    def lat(self, kind: str) -> LatencyRow | None:
        return self.latency.get(kind)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _latency(group: list[LoadedScenario], samples: list[RepeatSample], kind: str) -> LatencyRow | None:
    parts = [c.latency[kind] for s in group for c in s.clients if kind in c.latency]
    if not parts:
        return None
    count = sum(p.samples for p in parts)
    mean = sum(p.mean_ns * p.samples for p in parts) / count / 1000 if count else None
    if all(s.histogram(kind) is not None for s in group if any(kind in c.latency for c in s.clients)):
        pcts = [pct for s in samples if (pct := s.percentiles(kind)) is not None]
        p50 = _median([p for p, _ in pcts if p is not None])
        p99 = _median([p for _, p in pcts if p is not None])
        return LatencyRow(kind, p50, p99, "bins", count, mean, group)
    exact = [pct for s in samples if s.clients_reported == 1 and (pct := s.percentiles(kind)) is not None]
    if exact and len(exact) == len([s for s in samples if s.clients_reported]):
        p50 = _median([p for p, _ in exact if p is not None])
        p99 = _median([p for _, p in exact if p is not None])
        return LatencyRow(kind, p50, p99, "fio", count, mean, group)
    lows50 = [ns for p in parts if (ns := p.fio_low.get(50.0))]
    highs50 = [ns for p in parts if (ns := p.fio_percentiles.get(50.0))]
    lows99 = [ns for p in parts if (ns := p.fio_low.get(99.0))]
    highs99 = [ns for p in parts if (ns := p.fio_percentiles.get(99.0))]
    if not (highs50 or highs99):
        # e.g. clat of fio < 3.18 with lat_percentiles=1: fio kept only the mean, min and max
        return LatencyRow(kind, None, None, "none", count, mean, group)
    return LatencyRow(kind, None, None, "client-range", count, mean, group,
                      (min(lows50) / 1000, max(highs50) / 1000) if highs50 else None,
                      (min(lows99) / 1000, max(highs99) / 1000) if highs99 else None)


def _flags(row: ScenarioRow, problems: int) -> list[str]:
    flags: list[str] = []
    if row.status != "ok":
        flags.append(f"status {row.status}")
    if row.clients_reported < row.clients_planned:
        flags.append(f"only {row.clients_reported} of {row.clients_planned} client results")
    if problems:
        flags.append(f"{problems} unreadable file(s)")
    errors = sorted({e for c in row.clients for e in c.errors})
    if errors:
        flags.append(f"fio error code(s) {', '.join(map(str, errors))}")
    for kind, lat in row.latency.items():
        if lat.p50_us and lat.p99_us and lat.p99_us > TAIL_RATIO * lat.p50_us:
            flags.append(f"{kind} p99 is {lat.p99_us / lat.p50_us:.0f}x p50")
    if row.runtime_max_ms and row.runtime_min_ms is not None and len(row.clients) > 1:
        if (row.runtime_max_ms - row.runtime_min_ms) > RUNTIME_SPREAD * row.runtime_max_ms:
            flags.append(f"client runtimes differ: {row.runtime_min_ms} to {row.runtime_max_ms} ms")
    if len(row.clients) > 2:
        median = statistics.median(c.bw_bytes for c in row.clients)
        slow = [c.name for c in row.clients if median and c.bw_bytes < STRAGGLER * median]
        if slow:
            flags.append(f"straggler(s) below half the median: {', '.join(slow[:3])}")
    if row.start_skew_s is not None and row.start_skew_s > SKEW_LIMIT_S:
        flags.append(f"start skew {row.start_skew_s:.2f} s")
    return flags


def _facts(key: RowKey, clients: list[ClientSummary]) -> JobFacts:
    options = clients[0].options if clients else {}
    direct = options.get("direct")
    size = options.get("filesize") or options.get("size")
    try:
        file_size = parse_size(size.split("-")[0]) if size else None
    except ValueError:
        file_size = None  # a percentage of the device, say
    return JobFacts(None if direct is None else direct not in ("0", ""), file_size, key.pattern in READ_PATTERNS)


def _sample(scenario: LoadedScenario) -> RepeatSample:
    r = scenario.record
    return RepeatSample(r.repeat, None if r.started is None else str(r.started), r.status, len(scenario.clients),
                        sum(c.bw_bytes for c in scenario.clients), sum(c.iops for c in scenario.clients), scenario)


def _row(key: RowKey, group: list[LoadedScenario], kinds: Iterable[str]) -> ScenarioRow:
    group = sorted(group, key=lambda s: s.record.repeat)
    clients = [c for s in group for c in s.clients]
    samples = [_sample(s) for s in group]
    reported = [s for s in samples if s.clients_reported]
    statuses = {s.record.status for s in group}
    status = "ok" if statuses == {"ok"} else sorted(statuses - {"ok"})[0]
    skews = [s.record.start_skew_s for s in group if s.record.start_skew_s is not None]
    first_failed = next((s.record for s in group if s.record.failure or s.record.diagnosis), None)
    row = ScenarioRow(
        key=key,
        status=status,
        repeats=len(group),
        clients_planned=key.clients * len(group),
        clients_reported=len(clients),
        bw_mib_s=(_median([s.bw_bytes for s in reported]) or 0.0) / 1048576,
        iops=_median([s.iops for s in reported]) or 0.0,
        client_bw_min=min((c.bw_mib_s for c in clients), default=None),
        client_bw_max=max((c.bw_mib_s for c in clients), default=None),
        runtime_min_ms=min((c.runtime_ms for c in clients), default=None),
        runtime_max_ms=max((c.runtime_ms for c in clients), default=None),
        start_skew_s=max(skews) if skews else None,
        failure=first_failed.failure if first_failed else None,
        diagnosis=first_failed.diagnosis if first_failed else None,
        clients=clients,
        jobfile=next((s.record.jobfile for s in group if s.record.jobfile), None),
        samples=samples,
        facts=_facts(key, clients),
    )
    for kind in kinds:
        lat = _latency(group, samples, kind)
        if lat is not None:
            row.latency[kind] = lat
    row.unreadable = sum(len(s.problems) for s in group)
    row.flags = _flags(row, row.unreadable)
    return row


def sort_key(key: RowKey) -> tuple:
    pattern_rank = PATTERN_ORDER.index(key.pattern) if key.pattern in PATTERN_ORDER else len(PATTERN_ORDER)
    return (key.block_size, pattern_rank, key.pattern, key.iodepth or 0, key.numjobs or 0, key.clients,
            key.options, key.variant)


def build_rows(
    loaded: Scenarios, baseline: str = DEFAULT_BASELINE, kinds: Iterable[str] = ("slat", "clat", "lat")
) -> list[ScenarioRow]:
    """One row per scenario identity (its repeats together), sorted; percent of baseline set."""
    groups: dict[RowKey, list[LoadedScenario]] = {}
    for scenario in loaded.scenarios:
        groups.setdefault(scenario.record.scenario, []).append(scenario)
    kinds = tuple(kinds)
    rows = [_row(key, group, kinds) for key, group in groups.items()]
    rows.sort(key=lambda r: sort_key(r.key))
    apply_baseline(rows, baseline)
    return rows


def apply_baseline(rows: list[ScenarioRow], baseline: str) -> None:
    """Percent of the baseline runtime's (or variant's) bandwidth in the same configuration:
    the scenario identity without its runtime."""
    base = {r.key.configuration: r.bw_mib_s for r in rows if r.key.variant == baseline and r.clients_reported}
    for row in rows:
        ref = base.get(row.key.configuration)
        row.pct_of_baseline = 100.0 * row.bw_mib_s / ref if ref and row.clients_reported else None
        row.baseline = baseline if ref else None


def runtimes_in(rows: Iterable[ScenarioRow], baseline: str | None = None) -> list[str]:
    """Runtimes in first-seen order, the baseline first."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(row.key.variant, None)
    names = list(seen)
    if baseline in seen:
        names.remove(baseline)
        names.insert(0, baseline)
    return names
