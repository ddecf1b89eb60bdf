"""Terminal rendering of report tables and comparisons with rich (honours NO_COLOR)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from kataio_tui.printable import printable
from kataio_tui.results import dims
from kataio_tui.results.compare import Change
from kataio_tui.results.report import BETTER, SAME, WORSE, Table

TREND_STYLE = {BETTER: "green", WORSE: "red", SAME: "", None: ""}


def shown(text: object) -> str:
    """Text from files as rich markup that shows it as it is: no control characters, no markup."""
    return escape(printable(text))
# to a file or a pipe, lines are as long as their content: rich would otherwise lay tables out for
# 80 columns and cut numbers and names ("901,775…", "kata-vir…")
UNLIMITED = 1 << 16


def output_console() -> Console:
    """rich's console for stdout: the terminal's width on a terminal, no width limit otherwise."""
    return Console() if sys.stdout.isatty() else Console(width=UNLIMITED)


def _rich_table(headers: list[str], **kwargs: Any) -> RichTable:
    """A table whose cells fold (wrap) rather than end in '…' when a terminal is too narrow."""
    table = RichTable(**kwargs)
    for i, header in enumerate(headers):
        table.add_column(shown(header), justify="left" if i == 0 else "right", overflow="fold")
    return table


def print_tables(name: str, path: Path, provenance: dict[str, Any], tables: list[Table],
                 console: Console | None = None) -> None:
    """The set's name and provenance (as JSON data, see Provenance), then each table."""
    console = console or output_console()
    console.print(f"[bold]{shown(name)}[/bold]  ({shown(path)})")
    fio = provenance.get("fio_version")
    made = [provenance.get("made_by"), (fio if fio.startswith("fio") else f"fio {fio}") if fio else None,
            ", ".join(provenance.get("hosts") or []), provenance.get("kernel")]
    console.print("  " + shown(" | ".join(str(x) for x in made if x)))
    if provenance.get("notes"):
        console.print(f"  {shown(provenance['notes'])}", overflow="fold")
    for table in tables:
        # title and note as lines of their own: as a table title rich would wrap them to its width
        console.print(f"\n[bold]{shown(table.title)}[/bold]", overflow="fold")
        rich_table = _rich_table(table.headers)
        for row in table.rows:
            rich_table.add_row(*(f"[{TREND_STYLE[c.trend]}]{shown(c.text)}[/]" if TREND_STYLE[c.trend]
                                 else shown(c.text) for c in row))
        console.print(rich_table)
        if table.note:
            console.print(shown(table.note), overflow="fold")


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}%" if signed else f"{value:,.1f}"


def print_changes(changes: list[Change], fmt: str, kind: str, fail_over: float | None) -> None:
    records = [{
        "runtime": c.key.variant, "pattern": c.key.pattern, "block_size": c.key.block_size,
        "clients": c.key.clients, "iodepth": c.key.iodepth, "numjobs": c.key.numjobs, **{
            f"{dims.OPTION}{k}": v for k, v in c.key.options}, "bw_a_mib_s": c.bw_a, "bw_b_mib_s": c.bw_b,
        "bw_change_pct": c.bw_pct, f"{kind}_p50_change_pct": c.p50_pct, f"{kind}_p99_change_pct": c.p99_pct,
        "worse_by_pct": round(c.worse_by, 3),
        "over_limit": fail_over is not None and c.worse_by > fail_over,
    } for c in changes]
    if fmt == "json":
        print(json.dumps({"latency_kind": kind, "fail_over_pct": fail_over, "scenarios": records}, indent=2))
        return
    if fmt == "csv":
        fields = list(dict.fromkeys(k for r in records for k in r)) or ["runtime"]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        sys.stdout.write(printable(buf.getvalue(), lines=True) if sys.stdout.isatty() else buf.getvalue())
        return
    keys = [c.key for c in changes]
    columns = ["runtime", "pattern", "block_size", *dims.varying(keys, ["iodepth", "numjobs"]), "clients",
               *dims.varying(keys, dims.option_dims(keys))]
    table = _rich_table([*(dims.header(d) for d in columns), "A MiB/s", "B MiB/s", "bw", "p50", "p99", ""],
                        title=f"Change from A to B (bandwidth: + is faster; {kind} latency: + is slower)",
                        title_justify="left")
    for c in changes:
        over = fail_over is not None and c.worse_by > fail_over
        mark = f"[red]{WORSE} worse[/]" if over else (f"[green]{BETTER}[/]" if (c.bw_pct or 0) > 5 else "")
        table.add_row(*(shown(dims.text(d, dims.value(c.key, d))) for d in columns),
                      _fmt(c.bw_a), _fmt(c.bw_b), _fmt(c.bw_pct, True), _fmt(c.p50_pct, True),
                      _fmt(c.p99_pct, True), mark)
    output_console().print(table)
