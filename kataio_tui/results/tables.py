"""Per-scenario aggregates: the numbers behind the study's bandwidth and latency tables.

Bandwidth is summed over clients (and averaged over repeats); latency percentiles come from the
merged histogram of all clients, never from averaging per-client percentiles.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from kataio_tui.fio.histogram import Histogram
from kataio_tui.fio.summary import ClientSummary
from kataio_tui.results.loaded import LoadedScenario, Scenarios

DEFAULT_BASELINE = "bare"
PATTERN_ORDER = ("read", "write", "randread", "randwrite", "rw", "randrw")

# anomaly thresholds
TAIL_RATIO = 100.0  # p99 above 100 x p50
RUNTIME_SPREAD = 0.2  # clients' runtimes differ by more than 20 % of the longest
STRAGGLER = 0.5  # a client below half the median client bandwidth
SKEW_LIMIT_S = 1.0


class RowKey(tuple):
    """(runtime, pattern, block_size, clients): a scenario without its repeat number."""

    __slots__ = ()

    def __new__(cls, runtime: str, pattern: str, block_size: int, clients: int) -> RowKey:
        return super().__new__(cls, (runtime, pattern, block_size, clients))

    runtime = property(lambda self: self[0])
    pattern = property(lambda self: self[1])
    block_size = property(lambda self: self[2])
    clients = property(lambda self: self[3])


@dataclass(slots=True)
class LatencyRow:
    p50_us: float | None
    p99_us: float | None
    source: str  # "bins" (merged json+ histogram), "fio-percentiles" (no bins: upper bound) or "none"
    samples: int
    mean_us: float | None
    histogram: Histogram | None


@dataclass(slots=True)
class ScenarioRow:
    key: RowKey
    status: str
    repeats: int
    clients_planned: int
    clients_reported: int
    bw_mib_s: float
    iops: float
    client_bw_min: float | None
    client_bw_max: float | None
    runtime_min_ms: int | None
    runtime_max_ms: int | None
    start_skew_s: float | None
    pct_of_baseline: float | None = None
    latency: dict[str, LatencyRow] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    failure: str | None = None
    diagnosis: str | None = None
    clients: list[ClientSummary] = field(default_factory=list)
    jobfile: str | None = None
    unreadable: int = 0  # raw files of the scenario that could not be read

    def lat(self, kind: str) -> LatencyRow | None:
        return self.latency.get(kind)


def _latency(group: list[LoadedScenario], kind: str) -> LatencyRow | None:
    parts = [c.latency[kind] for s in group for c in s.clients if kind in c.latency]
    if not parts:
        return None
    samples = sum(p.samples for p in parts)
    mean = sum(p.mean_ns * p.samples for p in parts) / samples / 1000 if samples else None
    if all(p.histogram is not None for p in parts):
        # each scenario's merged histogram (cached with the set), then the repeats together
        hist = Histogram.merged(h for s in group if (h := s.histogram(kind)) is not None)
        pct = hist.percentiles((50.0, 99.0))
        p50, p99 = pct.get(50.0), pct.get(99.0)
        return LatencyRow(
            p50 / 1000 if p50 is not None else None, p99 / 1000 if p99 is not None else None,
            "bins", samples, mean, hist,
        )
    p50 = max((p.fio_percentiles.get(50.0, 0) for p in parts), default=0) or None
    p99 = max((p.fio_percentiles.get(99.0, 0) for p in parts), default=0) or None
    # e.g. clat of fio < 3.18 with lat_percentiles=1: fio kept only the mean, min and max
    source = "fio-percentiles" if p50 or p99 else "none"
    return LatencyRow(p50 / 1000 if p50 else None, p99 / 1000 if p99 else None, source, samples, mean, None)


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


def _row(key: RowKey, group: list[LoadedScenario], kinds: Iterable[str]) -> ScenarioRow:
    clients = [c for s in group for c in s.clients]
    ok_repeats = [s for s in group if s.clients]
    per_repeat_bw = [sum(c.bw_bytes for c in s.clients) for s in ok_repeats]
    per_repeat_iops = [sum(c.iops for c in s.clients) for s in ok_repeats]
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
        bw_mib_s=statistics.fmean(per_repeat_bw) / 1048576 if per_repeat_bw else 0.0,
        iops=statistics.fmean(per_repeat_iops) if per_repeat_iops else 0.0,
        client_bw_min=min((c.bw_mib_s for c in clients), default=None),
        client_bw_max=max((c.bw_mib_s for c in clients), default=None),
        runtime_min_ms=min((c.runtime_ms for c in clients), default=None),
        runtime_max_ms=max((c.runtime_ms for c in clients), default=None),
        start_skew_s=max(skews) if skews else None,
        failure=first_failed.failure if first_failed else None,
        diagnosis=first_failed.diagnosis if first_failed else None,
        clients=clients,
        jobfile=next((s.record.jobfile for s in group if s.record.jobfile), None),
    )
    for kind in kinds:
        lat = _latency(group, kind)
        if lat is not None:
            row.latency[kind] = lat
    row.unreadable = sum(len(s.problems) for s in group)
    row.flags = _flags(row, row.unreadable)
    return row


def sort_key(key: RowKey) -> tuple:
    pattern_rank = PATTERN_ORDER.index(key.pattern) if key.pattern in PATTERN_ORDER else len(PATTERN_ORDER)
    return (key.block_size, pattern_rank, key.pattern, key.clients, key.runtime)


def build_rows(
    loaded: Scenarios, baseline: str = DEFAULT_BASELINE, kinds: Iterable[str] = ("slat", "clat", "lat")
) -> list[ScenarioRow]:
    groups: dict[RowKey, list[LoadedScenario]] = {}
    for scenario in loaded.scenarios:
        r = scenario.record
        groups.setdefault(RowKey(r.runtime, r.pattern, r.block_size, r.clients), []).append(scenario)
    kinds = tuple(kinds)
    rows = [_row(key, group, kinds) for key, group in groups.items()]
    rows.sort(key=lambda r: sort_key(r.key))
    apply_baseline(rows, baseline)
    return rows


def apply_baseline(rows: list[ScenarioRow], baseline: str) -> None:
    base = {(r.key.pattern, r.key.block_size, r.key.clients): r.bw_mib_s for r in rows
            if r.key.runtime == baseline and r.clients_reported}
    for row in rows:
        ref = base.get((row.key.pattern, row.key.block_size, row.key.clients))
        row.pct_of_baseline = 100.0 * row.bw_mib_s / ref if ref and row.clients_reported else None


def runtimes_in(rows: Iterable[ScenarioRow], baseline: str | None = None) -> list[str]:
    """Runtimes in first-seen order, the baseline first."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(row.key.runtime, None)
    names = list(seen)
    if baseline in seen:
        names.remove(baseline)
        names.insert(0, baseline)
    return names
