"""The study's two tables (aggregate bandwidth with percent of baseline; p50/p99 latency) and the
per-scenario CSV/JSON/Markdown exports, as plain data the CLI and the TUI both render."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from kataio_tui.results.loaded import Scenarios
from kataio_tui.results.tables import DEFAULT_BASELINE, ScenarioRow, build_rows, runtimes_in
from kataio_tui.units import format_size

BETTER, WORSE, SAME = "▲", "▼", "="
# within +/-5 % of the baseline counts as the same
SAME_BAND = 5.0

CSV_COLUMNS = (
    "runtime", "pattern", "block_size", "clients", "repeats", "status", "clients_reported",
    "bw_mib_s", "iops", "pct_of_baseline", "baseline", "client_bw_min_mib_s", "client_bw_max_mib_s",
    "latency_kind", "p50_us", "p99_us", "mean_us", "latency_source", "start_skew_s", "flags",
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


def _grid(rows: list[ScenarioRow]) -> tuple[list[tuple[str, int]], dict[tuple[str, int, str], ScenarioRow]]:
    lines: dict[tuple[str, int], None] = {}
    cells = {}
    for row in rows:
        lines.setdefault((row.key.pattern, row.key.clients), None)
        cells[(row.key.pattern, row.key.clients, row.key.runtime)] = row
    return list(lines), cells


def bandwidth_tables(rows: list[ScenarioRow], baseline: str) -> list[Table]:
    tables = []
    for block, block_rows in _by_block(rows).items():
        runtimes = runtimes_in(block_rows, baseline)
        lines, cells = _grid(block_rows)
        out_rows = []
        for pattern, clients in lines:
            line = [Cell(pattern), Cell(str(clients))]
            for runtime in runtimes:
                row = cells.get((pattern, clients, runtime))
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
            f"Aggregate bandwidth, MiB/s, block size {format_size(block)} (% of {baseline})",
            ["pattern", "clients", *runtimes], out_rows,
            "! = flagged anomaly (see --format json or the results screen)",
        ))
    return tables


def latency_tables(rows: list[ScenarioRow], baseline: str, kind: str) -> list[Table]:
    tables = []
    for block, block_rows in _by_block(rows).items():
        runtimes = runtimes_in(block_rows, baseline)
        lines, cells = _grid(block_rows)
        out_rows = []
        sources = set()
        for pattern, clients in lines:
            line = [Cell(pattern), Cell(str(clients))]
            for runtime in runtimes:
                row = cells.get((pattern, clients, runtime))
                lat = row.lat(kind) if row else None
                if lat is None:
                    line.append(Cell("-"))
                    continue
                sources.add(lat.source)
                line.append(Cell(f"{_fmt(lat.p50_us)} / {_fmt(lat.p99_us)}"))
            out_rows.append(line)
        note = "percentiles from the merged json+ histogram of all clients"
        if "fio-percentiles" in sources:
            note = ("some scenarios have no json+ bins: their values are the largest per-client fio "
                    "percentile, an upper bound of the cluster-wide value")
        tables.append(Table(
            f"{kind} latency p50 / p99, microseconds, block size {format_size(block)}",
            ["pattern", "clients", *runtimes], out_rows, note,
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
    }


def to_csv(rows: list[ScenarioRow], kind: str, baseline: str = DEFAULT_BASELINE) -> str:
    """rows (their pct_of_baseline against baseline) as CSV, one line per scenario."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = _row_record(row, kind)
        record["baseline"] = baseline
        record["flags"] = "; ".join(row.flags)
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return buf.getvalue()


def set_csv(loaded: Scenarios, baseline: str, kind: str) -> str:
    """The CSV of a result set: what `kataio report --format csv` prints and the TUI exports."""
    return to_csv(build_rows(loaded, baseline, (kind,)), kind, baseline)


def to_json(rows: list[ScenarioRow], kind: str, meta: dict[str, object]) -> str:
    return json.dumps({**meta, "scenarios": [_row_record(r, kind) for r in rows]}, indent=2, default=str)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def table_to_markdown(table: Table) -> str:
    lines = [f"### {table.title}", "", "| " + " | ".join(table.headers) + " |",
             "|" + "|".join("---" for _ in table.headers) + "|"]
    for row in table.rows:
        lines.append("| " + " | ".join(_md_escape(c.text) for c in row) + " |")
    if table.note:
        lines += ["", f"_{table.note}_"]
    return "\n".join(lines) + "\n"
