"""What the results screen shows for the current choices, computed from scenario rows (no Textual).

The `/` filter narrows the tables: words naming a runtime keep that runtime's column (and the
baseline's), the other words must appear in a row's label: pattern, block size, client count,
iodepth, numjobs, other options ("rand", "x8", "qd16", "j4").
The CDF draws the baseline last, on top, so a runtime with the same curve cannot hide it; each
runtime keeps its marker whatever is filtered or hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kataio_tui.model.identity import Configuration
from kataio_tui.results.report import Table, bandwidth_tables, latency_tables
from kataio_tui.results.tables import ScenarioRow, runtimes_in
from kataio_tui.tui.cdf_render import MARKERS, Series

KINDS = ("clat", "lat", "slat")
KIND_NAMES = {"clat": "completion", "lat": "total", "slat": "submission"}


@dataclass
class Choice:
    block_size: int
    pattern: str
    clients: int
    kind: str = "clat"
    baseline: str = "bare"
    filter_text: str = ""
    hidden: set[str] = field(default_factory=set)  # runtimes left out of the CDF
    iodepth: int | None = None
    numjobs: int | None = None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def line(self) -> Configuration:
        """The chosen configuration: a line of the tables."""
        return Configuration(self.pattern, self.block_size, self.iodepth, self.numjobs, self.clients, self.options)

    def choose_line(self, line: Configuration) -> None:
        self.pattern, self.iodepth, self.numjobs, self.clients, self.options = (
            line.pattern, line.iodepth, line.numjobs, line.clients, line.options)


@dataclass
class View:
    bandwidth: Table | None
    latency: Table | None
    lines: list[Configuration]  # the configuration of each table row
    runtimes: list[str]  # table columns after the line's own (pattern, clients, ...)
    series: list[Series] = field(default_factory=list)
    cdf_title: str = ""
    cdf_empty: str = ""

    @property
    def own_columns(self) -> int:
        """The line's own columns (pattern, clients, ...) before the runtimes'."""
        return len(self.bandwidth.headers) - len(self.runtimes) if self.bandwidth is not None else 2


def block_sizes(rows: list[ScenarioRow]) -> list[int]:
    return sorted({r.key.block_size for r in rows})


def patterns(rows: list[ScenarioRow], block: int) -> list[str]:
    return list(dict.fromkeys(r.key.pattern for r in rows if r.key.block_size == block))


def client_counts(rows: list[ScenarioRow], block: int, pattern: str) -> list[int]:
    return sorted({r.key.clients for r in rows if r.key.block_size == block and r.key.pattern == pattern})


def default_baseline(rows: list[ScenarioRow], wanted: str = "bare") -> str:
    names = runtimes_in(rows)
    return wanted if wanted in names or not names else names[0]


def lines_of(rows: list[ScenarioRow], block: int) -> list[Configuration]:
    """The configurations of one block size in table order."""
    return list(dict.fromkeys(r.key.configuration for r in rows if r.key.block_size == block))


def first_choice(rows: list[ScenarioRow], baseline: str = "bare") -> Choice | None:
    if not rows:
        return None
    # the study's 64k when present, else the first block size
    sizes = block_sizes(rows)
    block = 65536 if 65536 in sizes else sizes[0]
    choice = Choice(block, patterns(rows, block)[0], 1, "clat", default_baseline(rows, baseline))
    choice.choose_line(lines_of(rows, block)[0])
    return choice


def settle(rows: list[ScenarioRow], choice: Choice) -> None:
    """Make the choice one that exists: the same pattern and clients if there is such a line, else
    the first line of the pattern, else the first line of the block size."""
    lines = lines_of(rows, choice.block_size)
    if not lines or choice.line in lines:
        return
    same = [ln for ln in lines if ln.pattern == choice.pattern]
    exact = [ln for ln in same if ln.clients == choice.clients]
    choice.choose_line((exact or same or lines)[0])


def find_row(rows: list[ScenarioRow], choice: Choice, runtime: str) -> ScenarioRow | None:
    line = choice.line
    for row in rows:
        if row.key.variant == runtime and row.key.configuration == line:
            return row
    return None


def line_label(line: Configuration) -> str:
    return f"{line.label()} {line.clients}".lower()


def split_filter(text: str, runtimes: list[str], lines: list[Configuration]) -> tuple[list[str], list[str]]:
    """(words naming a runtime, the other words), lower case. A word in a row's label ("r" is in
    "read" as in "runc") is a row word."""
    names = [r.lower() for r in runtimes]
    labels = [line_label(line) for line in lines]
    words = text.lower().split()
    runtime_words = [w for w in words if any(w in n for n in names) and not any(w in label for label in labels)]
    return runtime_words, [w for w in words if w not in runtime_words]


def line_matches(line: Configuration, words: list[str]) -> bool:
    label = line_label(line)
    return all(w in label for w in words)


def narrow_table(table: Table, keep_lines: list[int], keep_columns: list[int]) -> Table:
    """table with only the rows at keep_lines and the columns at keep_columns."""
    return Table(table.title, [table.headers[i] for i in keep_columns],
                 [[table.rows[n][i] for i in keep_columns] for n in keep_lines], table.note)


def build_view(rows: list[ScenarioRow], choice: Choice) -> View:
    block_rows = [r for r in rows if r.key.block_size == choice.block_size]
    if not block_rows:
        return View(None, None, [], [])
    bandwidth = bandwidth_tables(block_rows, choice.baseline)[0]
    latency = latency_tables(block_rows, choice.baseline, choice.kind)[0]
    all_lines = lines_of(block_rows, choice.block_size)
    all_runtimes = runtimes_in(block_rows, choice.baseline)
    markers = {rt: MARKERS[i % len(MARKERS)] for i, rt in enumerate(all_runtimes)}
    runtime_words, line_words = split_filter(choice.filter_text, all_runtimes, all_lines)
    runtimes = [rt for i, rt in enumerate(all_runtimes)
                if not runtime_words or i == 0 or any(w in rt.lower() for w in runtime_words)]
    keep_lines = [n for n, line in enumerate(all_lines) if line_matches(line, line_words)]
    lines = [all_lines[n] for n in keep_lines]
    if choice.filter_text:
        own = len(bandwidth.headers) - len(all_runtimes)  # the line's own columns come first
        keep_columns = [*range(own), *(own + all_runtimes.index(rt) for rt in runtimes)]
        bandwidth = narrow_table(bandwidth, keep_lines, keep_columns)
        latency = narrow_table(latency, keep_lines, keep_columns)
    series: list[Series] = []
    missing: list[str] = []
    for runtime in runtimes:
        if runtime in choice.hidden:
            continue
        row = find_row(block_rows, choice, runtime)
        lat = row.lat(choice.kind) if row else None
        if lat is None or lat.histogram is None or not lat.histogram.total:
            if row is not None:
                missing.append(runtime)
            continue
        xs, ys = lat.histogram.cdf()
        series.append(Series(runtime, xs, ys, markers[runtime]))
    # the baseline last: drawn on top, so a runtime with the same curve cannot hide it
    series.sort(key=lambda s: s.label == choice.baseline)
    title = f"{choice.kind} CDF, {choice.line.label()}"
    empty = ""
    if missing:
        empty = (f"no {choice.kind} histogram (json+ bins) for {', '.join(missing)}"
                 + ("; slat has bins only with slat_percentiles=1" if choice.kind == "slat" else ""))
    elif runtimes and all(rt in choice.hidden for rt in runtimes):
        empty = "every series is hidden (s chooses which to draw)"
    if not lines:
        empty = "no row matches the filter (esc clears it)"
    return View(bandwidth, latency, lines, runtimes, series, title, empty or "no scenario for this choice")
