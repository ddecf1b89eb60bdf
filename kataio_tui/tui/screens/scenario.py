"""Drill-down of one scenario: per-client numbers, anomaly flags, failure diagnosis, the job file."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from kataio_tui.errors import KataioError
from kataio_tui.fio.summary import ClientSummary
from kataio_tui.printable import printable
from kataio_tui.results.store import ResultSet
from kataio_tui.results.tables import ScenarioRow
from kataio_tui.units import format_size
from kataio_tui.tui.messages import WorkFailed
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable


def client_percentiles(client: ClientSummary, kind: str) -> tuple[float | None, float | None]:
    lat = client.latency.get(kind)
    if lat is None:
        return None, None
    if lat.histogram is not None:
        pct = lat.histogram.percentiles((50.0, 99.0))
    else:
        pct = lat.fio_percentiles
    p50, p99 = pct.get(50.0), pct.get(99.0)
    return (p50 / 1000 if p50 else None), (p99 / 1000 if p99 else None)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def summary_text(row: ScenarioRow, kind: str) -> Text:
    k = row.key
    text = Text()
    text.append(printable(k.label()), style="bold")
    text.append(f"  status {row.status}, {row.repeats} repeat(s), {row.clients_reported} of "
                f"{row.clients_planned} client results\n")
    text.append(f"aggregate {row.bw_mib_s:,.1f} MiB/s, {row.iops:,.0f} IOPS")
    if row.pct_of_baseline is not None:
        text.append(f", {row.pct_of_baseline:.0f}% of baseline")
    lat = row.lat(kind)
    if lat is not None:
        text.append(f"; {kind} p50 {_num(lat.p50_us)} µs, p99 {_num(lat.p99_us)} µs ({lat.source})")
    if row.start_skew_s is not None:
        text.append(f"; start skew {row.start_skew_s:.2f} s")
    for flag in row.flags:
        text.append(f"\n! {printable(flag)}", style="bold")
    if row.failure:
        text.append(f"\nfailure: {printable(row.failure)}", style="bold")
    if row.diagnosis:
        text.append(f"\ndiagnosis: {printable(row.diagnosis)}")
    return text


class ScenarioScreen(KataioScreen):
    TITLE = "Scenario"
    BINDINGS = [
        Binding("f", "jobfile", "Job file", id="scenario.jobfile"),
        Binding("l", "cycle_kind", "Latency kind", id="scenario.kind"),
        Binding("escape", "app.back", "Back", id="scenario.back", show=False),
    ]

    def __init__(self, row: ScenarioRow, result_set: ResultSet, kind: str) -> None:
        super().__init__()
        self.row = row
        self.result_set = result_set
        self.kind = kind

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="scenario-summary", classes="info")
        yield PlainTable(id="clients", cursor_type="row", zebra_stripes=True)
        yield KataioFooter()

    def on_mount(self) -> None:
        self.sub_title = printable(self.row.key.runtime)
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        self.query_one("#scenario-summary", Static).update(summary_text(self.row, self.kind))
        table = self.query_one(DataTable)
        table.clear(columns=True)
        # "wall s": how long the client's measured I/O ran (fio's job_runtime adds up its numjobs)
        for name in ("client", "host", "MiB/s", "IOPS", "wall s", f"{self.kind} p50 µs",
                     f"{self.kind} p99 µs", "errors"):
            table.add_column(name, key=name)
        for client in sorted(self.row.clients, key=lambda c: c.name):
            p50, p99 = client_percentiles(client, self.kind)
            table.add_row(client.name, client.hostname or "-", _num(client.bw_mib_s), _num(client.iops, 0),
                          _num(client.runtime_ms / 1000, 2), _num(p50), _num(p99),
                          ",".join(map(str, client.errors)) or "-")

    def action_cycle_kind(self) -> None:
        kinds = ("clat", "lat", "slat")
        self.kind = kinds[(kinds.index(self.kind) + 1) % len(kinds)]
        self._fill()

    def action_jobfile(self) -> None:
        self._read_jobfile()

    @work(thread=True, exclusive=True, exit_on_error=False, group="jobfile")
    def _read_jobfile(self) -> None:
        row = self.row
        if row.jobfile:
            try:
                text = self.result_set.read_raw(row.jobfile).decode("utf-8", errors="replace")
            except (KataioError, OSError) as exc:
                self.post_message(WorkFailed("job file", f"{row.jobfile}: {exc}"))
                return
            title = f"job file {row.jobfile}"
        else:
            options = row.clients[0].options if row.clients else {}
            text = "\n".join(f"{k}={v}" for k, v in sorted(options.items())) or "(no options recorded)"
            title = "no job file was stored with this scenario (imported); the options fio reported:"
        self.app.call_from_thread(self.app.push_screen, JobFileScreen(title, text))


class JobFileScreen(Screen):
    BINDINGS = [Binding("escape", "app.back", "Back", id="jobfile.back")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = printable(title)
        self.text = printable(text, lines=True)  # a job file from the set: its lines, never its escapes

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.title_text, classes="info", markup=False)
        with VerticalScroll(id="jobfile"):
            yield Static(self.text, markup=False, id="jobfile-text")
        yield KataioFooter()

    def on_mount(self) -> None:
        self.query_one("#jobfile").focus()
