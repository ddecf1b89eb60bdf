"""Terminal rendering of report tables and comparisons with rich (honours NO_COLOR)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from kataio_tui.results.compare import Change
from kataio_tui.results.report import BETTER, SAME, WORSE, Table
from kataio_tui.units import format_size

TREND_STYLE = {BETTER: "green", WORSE: "red", SAME: "", None: ""}


def print_tables(name: str, path: Path, provenance: dict[str, Any], tables: list[Table],
                 console: Console | None = None) -> None:
    """The set's name and provenance (as JSON data, see Provenance), then each table."""
    console = console or Console()
    console.print(f"[bold]{escape(name)}[/bold]  ({escape(str(path))})")
    fio = provenance.get("fio_version")
    made = [provenance.get("made_by"), (fio if fio.startswith("fio") else f"fio {fio}") if fio else None,
            ", ".join(provenance.get("hosts") or []), provenance.get("kernel")]
    console.print("  " + escape(" | ".join(str(x) for x in made if x)))
    if provenance.get("notes"):
        console.print(f"  {escape(str(provenance['notes']))}", overflow="fold")
    for table in tables:
        # title and note as lines of their own: as a table title rich would wrap them to its width
        console.print(f"\n[bold]{escape(table.title)}[/bold]", overflow="fold")
        rich_table = RichTable()
        for i, header in enumerate(table.headers):
            rich_table.add_column(escape(header), justify="left" if i == 0 else "right")
        for row in table.rows:
            rich_table.add_row(*(f"[{TREND_STYLE[c.trend]}]{escape(c.text)}[/]" if TREND_STYLE[c.trend]
                                 else escape(c.text) for c in row))
        console.print(rich_table)
        if table.note:
            console.print(escape(table.note), overflow="fold")


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}%" if signed else f"{value:,.1f}"


def print_changes(changes: list[Change], fmt: str, kind: str, fail_over: float | None) -> None:
    records = [{
        "runtime": c.key.variant, "pattern": c.key.pattern, "block_size": c.key.block_size,
        "clients": c.key.clients, "iodepth": c.key.iodepth, "numjobs": c.key.numjobs, **{
            f"fio.{k}": v for k, v in c.key.options}, "bw_a_mib_s": c.bw_a, "bw_b_mib_s": c.bw_b, "bw_change_pct": c.bw_pct,
        f"{kind}_p50_change_pct": c.p50_pct, f"{kind}_p99_change_pct": c.p99_pct,
        "worse_by_pct": round(c.worse_by, 3),
        "over_limit": fail_over is not None and c.worse_by > fail_over,
    } for c in changes]
    if fmt == "json":
        print(json.dumps({"latency_kind": kind, "fail_over_pct": fail_over, "scenarios": records}, indent=2))
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]) if records else ["runtime"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return
    table = RichTable(title=f"Change from A to B (bandwidth: + is faster; {kind} latency: + is slower)",
                      title_justify="left")
    for header in ("runtime", "pattern", "bs", "clients", "A MiB/s", "B MiB/s", "bw", "p50", "p99", ""):
        table.add_column(header, justify="left" if header in ("runtime", "pattern") else "right")
    for c in changes:
        over = fail_over is not None and c.worse_by > fail_over
        mark = f"[red]{WORSE} worse[/]" if over else (f"[green]{BETTER}[/]" if (c.bw_pct or 0) > 5 else "")
        table.add_row(escape(c.key.runtime), escape(c.key.pattern), format_size(c.key.block_size), str(c.key.clients),
                      _fmt(c.bw_a), _fmt(c.bw_b), _fmt(c.bw_pct, True), _fmt(c.p50_pct, True),
                      _fmt(c.p99_pct, True), mark)
    Console().print(table)
