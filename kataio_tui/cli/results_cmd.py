"""`kataio report`, `kataio import` and `kataio compare`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kataio_tui.printable import printable

FORMATS = ("table", "csv", "markdown", "json")
KINDS = ("clat", "lat", "slat")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="print the bandwidth and latency tables of a result set")
    p.add_argument("set", metavar="SET", help="result set directory")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--baseline", default="bare", metavar="RUNTIME",
                   help="runtime the others are compared with (default: bare)")
    p.add_argument("--latency", choices=KINDS, default="clat",
                   help="latency kind: clat (completion), lat (total) or slat (submission)")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("import", help="create a result set from existing fio output")
    p.add_argument("src", metavar="SRC", help="a stackhpc-io-tools result tree or a folder of fio output files")
    p.add_argument("dest", metavar="DEST", help="the result set directory to create (must not exist)")
    p.add_argument("--name", help="name of the set (default: the source folder's name)")
    p.add_argument("--layout", choices=("auto", "stackhpc", "loose"), default="auto")
    p.add_argument("--runtime", help="runtime of loose files (default: unknown)")
    p.add_argument("--pattern", help="pattern of loose files when their job options lack rw=")
    p.add_argument("--block-size", help="block size of loose files when their job options lack bs=")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("compare", help="per-scenario change between two result sets")
    p.add_argument("set_a", metavar="SET_A", help="the reference set")
    p.add_argument("set_b", metavar="SET_B", help="the new set")
    p.add_argument("--fail-over", type=float, metavar="PCT",
                   help="exit 1 when any scenario got worse by more than PCT percent")
    p.add_argument("--latency", choices=KINDS, default="clat")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=cmd_compare)


def for_terminal(text: str) -> str:
    """CSV as it is into a file or a pipe; on a terminal with its control characters escaped."""
    return printable(text, lines=True) if sys.stdout.isatty() else text


def _load_rows(path: str, baseline: str, kinds: tuple[str, ...]):
    from kataio_tui.results.loader import summarize_set
    from kataio_tui.results.tables import build_rows

    loaded = summarize_set(path)  # from the set's summary cache when nothing changed
    return loaded, build_rows(loaded, baseline, kinds)


def _warn_problems(loaded) -> None:
    from kataio_tui.results.skipped import Skipped

    problems = Skipped()
    for problem in loaded.problems:
        problems.add(problem.path, problem.reason)
    if problems:
        print(f"kataio: {len(problems)} file(s) could not be read and were left out:", file=sys.stderr)
        for line in problems.lines():
            print(f"  {printable(line)}", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> int:
    from kataio_tui.results import report

    if args.format == "csv":
        from kataio_tui.results.loader import summarize_set

        loaded = summarize_set(args.set)
        _warn_problems(loaded)
        sys.stdout.write(for_terminal(report.set_csv(loaded, args.baseline, args.latency)))
        return 0
    loaded, rows = _load_rows(args.set, args.baseline, (args.latency,))
    _warn_problems(loaded)
    if args.format == "json":
        meta = {"name": loaded.name, "path": str(loaded.path), "baseline": args.baseline,
                "provenance": loaded.provenance, "problems": [str(p) for p in loaded.problems]}
        sys.stdout.write(report.to_json(rows, args.latency, meta) + "\n")
    else:
        tables = report.bandwidth_tables(rows, args.baseline) + report.latency_tables(
            rows, args.baseline, args.latency)
        if args.format == "markdown":
            sys.stdout.write(f"## {printable(loaded.name)}\n\n")
            sys.stdout.write("\n".join(report.table_to_markdown(t) for t in tables))
        else:
            from kataio_tui.cli.render import print_tables

            print_tables(loaded.name, loaded.path, loaded.provenance, tables)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from kataio_tui.results.importers import import_any
    from kataio_tui.units import parse_size

    extra = {}
    if args.runtime:
        extra["runtime"] = args.runtime
    if args.pattern:
        extra["pattern"] = args.pattern
    if args.block_size:
        try:
            extra["block_size"] = parse_size(args.block_size)
        except ValueError as exc:
            print(f"kataio: error: --block-size: {exc}", file=sys.stderr)
            return 2
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("reading fio output", total=None)
        result = import_any(Path(args.src), Path(args.dest), args.name, args.layout,
                            progress=lambda done, total: progress.update(task, completed=done, total=total),
                            **extra)
    records = result.result_set.manifest.scenarios
    scenarios = len({r.scenario for r in records})
    runs = f", {len(records)} runs" if len(records) != scenarios else ""
    logs = f"; {result.logs_attached} fio log file(s) attached to their runs" if result.logs_attached else ""
    print(f"imported {result.imported} file(s) into {scenarios} scenario(s){runs}{logs}: "
          f"{printable(result.result_set.path)}")
    if result.logs_unmatched:
        print(f"  {result.logs_unmatched} fio log file(s) matched no imported run and were left out", file=sys.stderr)
    if result.skipped:
        print(f"  skipped {len(result.skipped)} file(s):", file=sys.stderr)
        for line in result.skipped.lines():
            print(f"    {printable(line)}", file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from kataio_tui.results.compare import compare_rows

    _, rows_a = _load_rows(args.set_a, "bare", (args.latency,))
    _, rows_b = _load_rows(args.set_b, "bare", (args.latency,))
    changes = compare_rows(rows_a, rows_b, args.latency)
    from kataio_tui.cli.render import print_changes

    print_changes(changes, args.format, args.latency, args.fail_over)
    if args.fail_over is not None:
        worse = [c for c in changes if c.worse_by > args.fail_over]
        if worse:
            print(f"kataio: {len(worse)} scenario(s) got worse by more than {args.fail_over:g}%",
                  file=sys.stderr)
            return 1
    return 0
