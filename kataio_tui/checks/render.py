"""Terminal rendering of check results with rich: a colour AND a symbol per status, so the table
reads the same with NO_COLOR (rich honours it) or on a monochrome terminal. The TUI can reuse
STATUS_STYLE and status_symbol."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kataio_tui.checks.engine import Check, CheckResult, CheckUpdate, Status, count_statuses, exit_code, run_checks
from kataio_tui.checks.options import CheckOptions
from kataio_tui.printable import printable

STATUS_STYLE = {Status.PASS: "bold green", Status.WARN: "bold yellow", Status.FAIL: "bold red",
                Status.SKIP: "dim"}
_SYMBOLS = {Status.PASS: ("✔", "+"), Status.WARN: ("▲", "!"), Status.FAIL: ("✘", "x"), Status.SKIP: ("–", "-")}
GROUP_TITLES = {"host": "Host", "cluster": "Cluster"}


def status_symbol(status: Status, unicode: bool = True) -> str:
    return _SYMBOLS[status][0 if unicode else 1]


def _unicode(console: Console) -> bool:
    return (console.encoding or "").lower().startswith("utf")


def status_text(status: Status, unicode: bool = True) -> Text:
    return Text(f"{status_symbol(status, unicode)} {status.value}", style=STATUS_STYLE[status])


def result_details(result: CheckResult) -> Text:
    """Observed, then what it means, then the fix (for anything but PASS)."""
    text = Text(printable(result.observed, lines=True))  # what was seen on the host or the cluster
    if result.meaning:
        text.append("\n" + printable(result.meaning, lines=True), style="italic")
    if result.remedy and result.status is not Status.PASS:
        text.append("\nfix: ", style="bold")
        text.append(printable(result.remedy, lines=True))
    return text


def results_table(results: Sequence[CheckResult], title: str, unicode: bool = True) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True, expand=True)
    table.add_column("status", no_wrap=True, width=7)
    table.add_column("check", ratio=1, min_width=14, overflow="fold")
    table.add_column("observed / meaning / fix", ratio=4)
    for result in results:
        check = Text(result.title)
        check.append(f"\n{result.id}", style="dim")
        table.add_row(status_text(result.status, unicode), check, result_details(result))
    return table


def summary_line(results: Sequence[CheckResult], unicode: bool = True) -> Text:
    counts = count_statuses(results)
    line = Text()
    for status in (Status.FAIL, Status.WARN, Status.PASS, Status.SKIP):
        if line:
            line.append("  ")
        line.append(f"{status_symbol(status, unicode)} {counts[status.value.lower()]} {status.value}",
                    style=STATUS_STYLE[status])
    code = exit_code(results)
    line.append({0: "  - nothing failed", 1: "  - something failed", 2: "  - nothing could be checked"}[code])
    return line


def print_results(results: Sequence[CheckResult], options: CheckOptions, console: Console | None = None) -> None:
    console = console or Console()
    unicode = _unicode(console)
    for group, title in GROUP_TITLES.items():
        part = [r for r in results if r.group == group]
        if part:
            where = f" (root {options.root})" if group == "host" and str(options.root) != "/" else ""
            console.print(results_table(part, f"{title} checks{where}", unicode))
    console.print(summary_line(results, unicode))


def run_with_progress(checks: Sequence[Check], options: CheckOptions, console: Console | None = None) -> list[CheckResult]:
    """run_checks with a live spinner on a terminal (plain run elsewhere)."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        return run_checks(checks, options)
    running: dict[str, str] = {}
    done = [0]
    with console.status("checking…") as status:
        def update(event: CheckUpdate) -> None:
            if event.state == "running":
                running[event.check.id] = event.check.title
            elif event.state == "done":
                running.pop(event.check.id, None)
                done[0] += 1
            status.update(f"checking… {done[0]}/{len(checks)} done"
                          + (f" (running: {', '.join(running)})" if running else ""))

        return run_checks(checks, options, on_update=update)
