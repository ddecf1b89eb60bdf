"""What the results screen shows for the current choices, computed from scenario rows (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kataio_tui.results.report import Table, bandwidth_tables, latency_tables
from kataio_tui.results.tables import ScenarioRow, runtimes_in
from kataio_tui.units import format_size
from kataio_tui.tui.cdf_render import Series

KINDS = ("clat", "lat", "slat")
KIND_NAMES = {"clat": "completion", "lat": "total", "slat": "submission"}


@dataclass
class Choice:
    block_size: int
    pattern: str
    clients: int
    kind: str = "clat"
    baseline: str = "bare"


@dataclass
class View:
    bandwidth: Table | None
    latency: Table | None
    lines: list[tuple[str, int]]  # (pattern, clients) of each table row
    runtimes: list[str]  # table columns after pattern and clients
    series: list[Series] = field(default_factory=list)
    cdf_title: str = ""
    cdf_empty: str = ""


def block_sizes(rows: list[ScenarioRow]) -> list[int]:
    return sorted({r.key.block_size for r in rows})


def patterns(rows: list[ScenarioRow], block: int) -> list[str]:
    return list(dict.fromkeys(r.key.pattern for r in rows if r.key.block_size == block))


def client_counts(rows: list[ScenarioRow], block: int, pattern: str) -> list[int]:
    return sorted({r.key.clients for r in rows if r.key.block_size == block and r.key.pattern == pattern})


def default_baseline(rows: list[ScenarioRow], wanted: str = "bare") -> str:
    names = runtimes_in(rows)
    return wanted if wanted in names or not names else names[0]


def first_choice(rows: list[ScenarioRow], baseline: str = "bare") -> Choice | None:
    if not rows:
        return None
    # the study's 64k when present, else the first block size
    sizes = block_sizes(rows)
    block = 65536 if 65536 in sizes else sizes[0]
    pattern = patterns(rows, block)[0]
    return Choice(block, pattern, client_counts(rows, block, pattern)[0], "clat", default_baseline(rows, baseline))


def find_row(rows: list[ScenarioRow], choice: Choice, runtime: str) -> ScenarioRow | None:
    for row in rows:
        k = row.key
        if (k.runtime, k.pattern, k.block_size, k.clients) == (runtime, choice.pattern, choice.block_size,
                                                               choice.clients):
            return row
    return None


def build_view(rows: list[ScenarioRow], choice: Choice) -> View:
    block_rows = [r for r in rows if r.key.block_size == choice.block_size]
    if not block_rows:
        return View(None, None, [], [])
    bandwidth = bandwidth_tables(block_rows, choice.baseline)[0]
    latency = latency_tables(block_rows, choice.baseline, choice.kind)[0]
    lines = list(dict.fromkeys((r.key.pattern, r.key.clients) for r in block_rows))
    runtimes = runtimes_in(block_rows, choice.baseline)
    series: list[Series] = []
    missing: list[str] = []
    for runtime in runtimes:
        row = find_row(block_rows, choice, runtime)
        lat = row.lat(choice.kind) if row else None
        if lat is None or lat.histogram is None or not lat.histogram.total:
            if row is not None:
                missing.append(runtime)
            continue
        xs, ys = lat.histogram.cdf()
        series.append(Series(runtime, xs, ys))
    title = f"{choice.kind} CDF, {choice.pattern} {format_size(choice.block_size)} x{choice.clients}"
    empty = ""
    if missing:
        empty = (f"no {choice.kind} histogram (json+ bins) for {', '.join(missing)}"
                 + ("; slat has bins only with slat_percentiles=1" if choice.kind == "slat" else ""))
    return View(bandwidth, latency, lines, runtimes, series, title, empty or "no scenario for this choice")
