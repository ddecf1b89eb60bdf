"""The study's two tables (aggregate bandwidth with percent of baseline; p50/p99 latency) and the
per-scenario CSV/JSON/Markdown exports, as plain data the CLI and the TUI both render."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from kataio_tui.model.identity import Configuration, ScenarioId
from kataio_tui.printable import printable
from kataio_tui.results import dims
from kataio_tui.results.loaded import Scenarios
from kataio_tui.results.tables import DEFAULT_BASELINE, LatencyRow, ScenarioRow, build_rows, runtimes_in
from kataio_tui.units import format_size

BETTER, WORSE, SAME = "▲", "▼", "="
# within +/-5 % of the baseline counts as the same
SAME_BAND = 5.0

CSV_COLUMNS = (
    "runtime", "pattern", "block_size", "clients", "repeats", "status", "clients_reported",
    "bw_mib_s", "iops", "pct_of_baseline", "baseline", "client_bw_min_mib_s", "client_bw_max_mib_s",
    "latency_kind", "p50_us", "p99_us", "mean_us", "latency_source", "start_skew_s", "flags",
    "iodepth", "numjobs", "variant", "p50_client_min_us", "p50_client_max_us", "p99_client_min_us",
    "p99_client_max_us",
)


@dataclass(slots=True)
class Cell:
    text: str
    trend: str | None = None  # BETTER / WORSE / SAME against the baseline


@dataclass(slots=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str = ""


def trend_of(pct: float | None) -> str | None:
    if pct is None:
        return None
    if pct >= 100 + SAME_BAND:
        return BETTER
    if pct <= 100 - SAME_BAND:
        return WORSE
    return SAME


def no_result_text(row: ScenarioRow) -> str:
    """What a cell says for a scenario without a single client result: its status, or why an "ok"
    scenario has none (its files are unreadable or missing), never "OK"."""
    if row.status != "ok":
        return row.status.upper()
    return "UNREADABLE" if row.unreadable else "NO RESULT"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _by_block(rows: list[ScenarioRow]) -> dict[int, list[ScenarioRow]]:
    out: dict[int, list[ScenarioRow]] = {}
    for row in rows:
        out.setdefault(row.key.block_size, []).append(row)
    return out


@dataclass(slots=True)
class Grid:
    """One block size's rows laid out: a line per configuration (rows of the table), a column
    per runtime (or variant); ``columns`` are the dimensions naming each line: pattern, clients,
    and iodepth, numjobs and other options where they vary."""

    block_size: int
    lines: list[Configuration]
    runtimes: list[str]
    columns: list[str]
    fixed: list[str]  # "iodepth 8" and the like: the same for every line (for the title)
    cells: dict[tuple[Configuration, str], ScenarioRow]

    def line_cells(self, line: Configuration) -> list[Cell]:
        key = ScenarioId("", line.pattern, line.block_size, line.clients, line.iodepth, line.numjobs,
                         options=line.options)
        return [Cell(dims.text(d, dims.value(key, d))) for d in self.columns]

    @property
    def headers(self) -> list[str]:
        return [*(dims.header(d) for d in self.columns), *self.runtimes]


def grids(rows: list[ScenarioRow], baseline: str) -> list[Grid]:
    out = []
    for block, block_rows in _by_block(rows).items():
        keys = [r.key for r in block_rows]
        optional = dims.varying(keys, ["iodepth", "numjobs", *dims.option_dims(keys)])
        columns = ["pattern", *(d for d in optional if not d.startswith(dims.OPTION)), "clients",
                   *(d for d in optional if d.startswith(dims.OPTION))]
        fixed = [f"{dims.header(d)} {dims.text(d, dims.value(keys[0], d))}"
                 for d in ["iodepth", "numjobs", *dims.option_dims(keys)]
                 if d not in optional and dims.value(keys[0], d) is not None]
        cells = {(r.key.configuration, r.key.variant): r for r in block_rows}
        lines = list(dict.fromkeys(r.key.configuration for r in block_rows))
        out.append(Grid(block, lines, runtimes_in(block_rows, baseline), columns, fixed, cells))
    return out


def _title(grid: Grid) -> str:
    return ", ".join([f"block size {format_size(grid.block_size)}", *grid.fixed])


def bandwidth_tables(rows: list[ScenarioRow], baseline: str) -> list[Table]:
    tables = []
    for grid in grids(rows, baseline):
        out_rows = []
        for config in grid.lines:
            line = grid.line_cells(config)
            for runtime in grid.runtimes:
                row = grid.cells.get((config, runtime))
                if row is None:
                    line.append(Cell("-"))
                elif not row.clients_reported:
                    line.append(Cell(no_result_text(row), WORSE))
                elif runtime == baseline or row.pct_of_baseline is None:
                    line.append(Cell(_fmt(row.bw_mib_s) + (" !" if row.flags else "")))
                else:
                    trend = trend_of(row.pct_of_baseline)
                    text = f"{_fmt(row.bw_mib_s)} {row.pct_of_baseline:.0f}% {trend}"
                    line.append(Cell(text + (" !" if row.flags else ""), trend))
            out_rows.append(line)
        tables.append(Table(
            f"Aggregate bandwidth, MiB/s, {_title(grid)} (% of {baseline})", grid.headers, out_rows,
            "! = flagged anomaly (see --format json or the results screen)",
        ))
    return tables


def latency_text(lat: LatencyRow) -> str:
    if lat.source == "client-range":
        return f"{_range(lat.p50_range_us)} / {_range(lat.p99_range_us)}"
    return f"{_fmt(lat.p50_us)} / {_fmt(lat.p99_us)}"


def _range(bounds: tuple[float, float] | None) -> str:
    if bounds is None:
        return "-"
    low, high = bounds
    return _fmt(low) if low == high else f"{_fmt(low)}–{_fmt(high)}"


LATENCY_NOTES = {
    "bins": "percentiles from the merged json+ histogram of all clients (median over repeats)",
    "fio": "some scenarios have no json+ bins: their single client's percentiles are fio's own (exact)",
    "client-range": ("some scenarios have no json+ bins and several clients (or jobs): a cluster-wide "
                     "percentile cannot be computed from fio's per-client percentiles; their cells show the "
                     "lowest–highest per-client value"),
}


def latency_tables(rows: list[ScenarioRow], baseline: str, kind: str) -> list[Table]:
    tables = []
    for grid in grids(rows, baseline):
        out_rows = []
        sources = set()
        for config in grid.lines:
            line = grid.line_cells(config)
            for runtime in grid.runtimes:
                row = grid.cells.get((config, runtime))
                lat = row.lat(kind) if row else None
                if lat is None:
                    line.append(Cell("-"))
                    continue
                sources.add(lat.source)
                line.append(Cell(latency_text(lat)))
            out_rows.append(line)
        note = "; ".join(LATENCY_NOTES[s] for s in ("bins", "fio", "client-range")
                         if s in sources and (s != "bins" or len(sources - {"none"}) == 1))
        tables.append(Table(
            f"{kind} latency p50 / p99, microseconds, {_title(grid)}", grid.headers, out_rows,
            note or LATENCY_NOTES["bins"],
        ))
    return tables


def _row_record(row: ScenarioRow, kind: str) -> dict[str, object]:
    lat = row.lat(kind)
    return {
        "runtime": row.key.runtime,
        "pattern": row.key.pattern,
        "block_size": row.key.block_size,
        "clients": row.key.clients,
        "repeats": row.repeats,
        "status": row.status,
        "clients_reported": row.clients_reported,
        "bw_mib_s": round(row.bw_mib_s, 3),
        "iops": round(row.iops, 1),
        "pct_of_baseline": None if row.pct_of_baseline is None else round(row.pct_of_baseline, 1),
        "client_bw_min_mib_s": None if row.client_bw_min is None else round(row.client_bw_min, 3),
        "client_bw_max_mib_s": None if row.client_bw_max is None else round(row.client_bw_max, 3),
        "latency_kind": kind,
        "p50_us": None if lat is None or lat.p50_us is None else round(lat.p50_us, 3),
        "p99_us": None if lat is None or lat.p99_us is None else round(lat.p99_us, 3),
        "mean_us": None if lat is None or lat.mean_us is None else round(lat.mean_us, 3),
        "latency_source": None if lat is None else lat.source,
        "start_skew_s": row.start_skew_s,
        "flags": row.flags,
        # the rest of the identity, the baseline, and the per-client range without bins
        "iodepth": row.key.iodepth,
        "numjobs": row.key.numjobs,
        "variant": row.key.variant,
        "baseline": row.baseline,
        "p50_client_min_us": _bound(lat.p50_range_us, 0) if lat else None,
        "p50_client_max_us": _bound(lat.p50_range_us, 1) if lat else None,
        "p99_client_min_us": _bound(lat.p99_range_us, 0) if lat else None,
        "p99_client_max_us": _bound(lat.p99_range_us, 1) if lat else None,
        "options": dict(row.key.options),
    }


def _bound(bounds: tuple[float, float] | None, i: int) -> float | None:
    return None if bounds is None else round(bounds[i], 3)


def to_csv(rows: list[ScenarioRow], kind: str, baseline: str = DEFAULT_BASELINE) -> str:
    """rows (their pct_of_baseline against baseline) as CSV, one line per scenario: CSV_COLUMNS,
    then one column per other fio option of the set's identities (named fio.<option>)."""
    options = dims.option_dims([r.key for r in rows])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*CSV_COLUMNS, *options], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = _row_record(row, kind)
        record["baseline"] = baseline
        record["flags"] = "; ".join(row.flags)
        opts = record.pop("options")
        assert isinstance(opts, dict)
        record.update({dim: opts.get(dim[len(dims.OPTION):]) for dim in options})
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return buf.getvalue()


def set_csv(loaded: Scenarios, baseline: str, kind: str) -> str:
    """The CSV of a result set: what `kataio report --format csv` prints and the TUI exports."""
    return to_csv(build_rows(loaded, baseline, (kind,)), kind, baseline)


def to_json(rows: list[ScenarioRow], kind: str, meta: dict[str, object]) -> str:
    return json.dumps({**meta, "scenarios": [_row_record(r, kind) for r in rows]}, indent=2, default=str)


def _md_escape(text: str) -> str:
    return printable(text).replace("|", "\\|")


def table_to_markdown(table: Table) -> str:
    lines = [f"### {printable(table.title)}", "", "| " + " | ".join(map(_md_escape, table.headers)) + " |",
             "|" + "|".join("---" for _ in table.headers) + "|"]
    for row in table.rows:
        lines.append("| " + " | ".join(_md_escape(c.text) for c in row) + " |")
    if table.note:
        lines += ["", f"_{printable(table.note)}_"]
    return "\n".join(lines) + "\n"
