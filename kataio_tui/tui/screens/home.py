"""Home: where am I (host, kubeconfig context, runtimes at a glance), recent result sets, next steps."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from kataio_tui.printable import printable
from kataio_tui.tui.messages import FactsGathered, SetsScanned
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable

RECENT = 5


def where_text(facts) -> Text:
    text = Text()
    text.append("Host  ", style="bold")
    text.append(printable(f"{facts.hostname}, Linux {facts.kernel}") + "\n")
    virt = facts.virtualization or "none (Kata needs vmx or svm)"
    text.append("      ", style="bold")
    text.append(f"CPU virtualisation: {virt}; /dev/kvm {'present' if facts.kvm else 'missing'}\n")
    kube = facts.kube
    text.append("Kube  ", style="bold")
    if kube is None or kube.error:
        text.append(printable(f"{kube.error if kube else 'unknown'}" + (f" ({kube.file})" if kube and kube.file else "")))
    else:
        text.append(printable(f"context {kube.context}, namespace {kube.namespace}, cluster {kube.cluster}"
                              f" {kube.server or ''} ({kube.file})"))
    text.append("\nRun   ", style="bold")
    text.append(printable(f"{facts.fio or 'fio missing'}; local runtimes"))
    for name, glance in facts.runtimes.items():
        text.append(" ✔ " if glance.available else " ✘ ", style="bold")
        text.append(printable(name), style="" if glance.available else "dim")
    return text


def next_steps(facts, sets: int) -> Text:
    steps = []
    if not facts.fio:
        steps.append("install fio (Debian: apt-get install fio): every run needs it")
    left = getattr(facts, "leftovers", [])
    if left:
        steps.append(f"dead kataio runs left {len(left)} thing(s) here ({left[0]}{', ...' if len(left) > 1 else ''}): "
                     "remove them with `kataio cleanup`")
    steps.append(f"2 browse result sets ({sets} found) or enter on a recent one below")
    steps.append("3 check this host and cluster for Kata prerequisites")
    steps.append("4 plan a run (presets: stackhpc-2019, quick), 5 watch it live")
    for name, glance in facts.runtimes.items():
        if not glance.available and facts.fio:
            steps.append(f"{name} cannot run here: {glance.reason}")
    text = Text()
    text.append("Next steps\n", style="bold")
    for step in steps:
        text.append(f"  • {printable(step, lines=True)}\n")
    return text


class HomeScreen(KataioScreen):
    TITLE = "Home"
    BINDINGS = [
        Binding("enter", "open_recent", "Open set", id="home.open", priority=True),
        Binding("r", "refresh", "Refresh", id="home.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.facts = None
        self.recent: list = []
        self.total_sets = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("gathering host facts ...", id="where", classes="card")
        with Vertical(id="home-lower"):
            yield Static(Text("Recent result sets", style="bold"), classes="table-title")
            yield PlainTable(id="recent", cursor_type="row", zebra_stripes=True)
            yield Static("", id="next-steps")
        yield KataioFooter()

    def on_mount(self) -> None:
        table = self.query_one("#recent", DataTable)
        table.add_columns("name", "created", "origin", "runtimes")
        self.after_paint(self._gather)  # the recent sets are scanned on screen resume, which follows

    def on_screen_resume(self) -> None:
        self.after_paint(self._scan)

    def action_refresh(self) -> None:
        self._gather()
        self._scan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="facts")
    def _gather(self) -> None:
        from kataio_tui.tui.facts import gather

        self.post_message(FactsGathered(gather()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan")
    def _scan(self) -> None:
        from kataio_tui.tui.set_index import scan, sort_entries, source_dirs

        app = self.app
        entries = scan(source_dirs(app.config.extra_result_dirs, app.set_paths))
        self.post_message(SetsScanned([e for e in sort_entries(entries, "newest") if e.result_set]))

    def on_facts_gathered(self, message: FactsGathered) -> None:
        self.facts = message.facts
        self.query_one("#where", Static).update(where_text(self.facts))
        self._steps()

    def on_sets_scanned(self, message: SetsScanned) -> None:
        self.total_sets = len(message.entries)
        self.recent = message.entries[:RECENT]
        table = self.query_one("#recent", DataTable)
        table.clear()
        for entry in self.recent:
            table.add_row(entry.name, entry.created.strftime("%Y-%m-%d %H:%M") if entry.created else "-",
                          entry.origin, ",".join(entry.runtimes), key=str(entry.path))
        if not self.recent:
            table.add_row("(none yet: 2 browse, i there imports fio output)", "", "", "")
        self._steps()

    def _steps(self) -> None:
        if self.facts is not None:
            self.query_one("#next-steps", Static).update(next_steps(self.facts, self.total_sets))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_recent()

    def action_open_recent(self) -> None:
        table = self.query_one("#recent", DataTable)
        if not self.recent or table.cursor_row is None or table.cursor_row >= len(self.recent):
            return
        from kataio_tui.tui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(self.recent[table.cursor_row].path))
