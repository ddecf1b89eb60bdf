"""Browse: every result set (bundled samples, the user's, extra dirs, command-line paths) with how
far its run got (cancelled, partial, running); sort, filter, open, compare two, resume, import, delete."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Static

from kataio_tui.errors import KataioError
from kataio_tui.printable import printable
from kataio_tui.tui.messages import SetDeleted, SetsScanned, WorkFailed
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.screens.filtering import Filtering, filter_field
from kataio_tui.tui.set_index import SORT_KEYS, SetEntry, scan, sort_entries, source_dirs
from kataio_tui.tui.widgets.footer import KataioFooter
from kataio_tui.tui.widgets.plain_table import PlainTable


BADGE = {"cancelled": "■", "partial": "▲"}


def scenarios_cell(entry: SetEntry, running: Path | None) -> str:
    """The scenario count, with how far a run got when it did not finish: "12/16■" (cancelled),
    "14/16▲" (failed or not run), "● run" while the active run writes it."""
    if running is not None and entry.path == running:
        return "● run"
    progress = entry.progress
    if progress is None or not progress.resumable:
        return str(entry.scenarios)
    return f"{progress.total - progress.left}/{progress.total}{BADGE[progress.state]}"


def progress_line(entry: SetEntry) -> str | None:
    progress = entry.progress
    if progress is None or not progress.resumable:
        return None
    what = "the run was stopped" if progress.state == "cancelled" else "failed or not run"
    return (f"{progress.state}: {progress.left} of {progress.total} scenarios to run ({what}); "
            "R resumes them with the set's own plan")


def describe(entry: SetEntry) -> Text:
    if entry.result_set is None:
        return Text.assemble((printable(entry.path.name), "bold"), "\n", printable(entry.path), "\n\n",
                             ("unreadable: ", "bold"), printable(entry.error or ""))
    prov = entry.result_set.manifest.provenance
    lines = [
        ("name", entry.name), ("path", str(entry.path)), ("origin", entry.origin),
        ("created", entry.created.strftime("%Y-%m-%d %H:%M") if entry.created else "-"),
        ("made by", prov.made_by), ("fio", prov.fio_version or "-"),
        ("hosts", ", ".join(prov.hosts) or "-"), ("kernel", prov.kernel or "-"),
        ("runtimes", ", ".join(entry.runtimes) or "-"),
        ("scenarios", f"{entry.scenarios} ({entry.files} client files)"),
    ]
    text = Text()
    progress = progress_line(entry)  # first: the detail pane is short at 80x24
    if progress:
        text.append(f"{progress}\n", style="bold")
    for label, value in lines:
        text.append(f"{label:>9} ", style="bold")
        text.append(f"{printable(value)}\n")
    if prov.notes:
        text.append(f"\n{printable(prov.notes, lines=True)}")
    return text


class BrowseScreen(Filtering, KataioScreen):
    TITLE = "Browse result sets"
    FILTER_TABLE = "#sets"
    BINDINGS = [
        # most used first: the footer drops keys from the end when the terminal is narrow
        Binding("enter", "open", "Open", id="browse.open", priority=True),
        Binding("slash", "filter", "Filter", id="browse.filter"),
        Binding("space", "mark", "Mark", id="browse.mark"),
        Binding("c", "compare", "Compare", id="browse.compare"),
        Binding("s", "sort", "Sort", id="browse.sort"),
        Binding("R", "resume", "Resume", id="browse.resume"),
        Binding("i", "import", "Import", id="browse.import"),
        Binding("d", "delete", "Delete", id="browse.delete"),
        Binding("r", "rescan", "Rescan", id="browse.rescan", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="browse.clear_filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[SetEntry] = []
        self.shown: list[SetEntry] = []
        self.marked: list[Path] = []
        self.sort_key = SORT_KEYS[0]
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield filter_field("filter: words from name, path, origin, runtime")
        with Horizontal(id="panes"):
            yield PlainTable(id="sets", cursor_type="row", zebra_stripes=True)
            yield Static(id="set-detail", classes="detail")
        yield Static("", id="browse-status", classes="status", markup=False)
        yield KataioFooter()

    def on_mount(self) -> None:
        table = self.query_one("#sets", DataTable)
        table.add_column("", key="mark", width=2)
        table.add_column("name", key="name")
        table.add_column("created", key="created")
        table.add_column("origin", key="origin")
        table.add_column("scen.", key="scenarios")
        table.add_column("runtimes", key="runtimes")
        table.loading = True
        table.focus()

    def on_screen_resume(self) -> None:
        self.after_paint(self.rescan)

    def palette_commands(self):
        for key in SORT_KEYS:
            yield (f"Sort result sets by {key}", "browse", lambda key=key: self._set_sort(key))

    # ---- scanning ----------------------------------------------------------------------------

    def rescan(self) -> None:
        app = self.app
        dirs = source_dirs(getattr(app, "config").extra_result_dirs, getattr(app, "set_paths", []))
        self._scan(dirs)

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan")
    def _scan(self, dirs) -> None:
        self.post_message(SetsScanned(scan(dirs)))

    def on_sets_scanned(self, message: SetsScanned) -> None:
        self.entries = message.entries
        known = {e.path for e in self.entries}
        self.marked = [p for p in self.marked if p in known]
        self._refill()
        self.query_one("#sets", DataTable).loading = False

    def _refill(self) -> None:
        table = self.query_one("#sets", DataTable)
        current = self.highlighted.path if self.highlighted is not None else None
        shown = [e for e in self.entries if not self.filter_text or e.matches(self.filter_text)]
        self.shown = sort_entries(shown, self.sort_key)
        table.clear()
        running = self._running_set()
        for entry in self.shown:
            mark = "AB"[self.marked.index(entry.path)] if entry.path in self.marked else ""
            name = Text(printable(entry.name), style="bold" if entry.result_set else "italic")
            created = entry.created.strftime("%Y-%m-%d %H:%M") if entry.created else "unreadable"
            table.add_row(mark, name, created, entry.origin, scenarios_cell(entry, running),
                          ",".join(entry.runtimes), key=str(entry.path))
        # the same set stays under the cursor (after a visit, a rescan, a new filter or sort)
        paths = [e.path for e in self.shown]
        if current in paths:
            table.move_cursor(row=paths.index(current), animate=False)
        filt = f"  filter: {self.filter_text!r}" if self.filter_text else ""
        marks = f"  marked: {len(self.marked)}/2" if self.marked else ""
        self.query_one("#browse-status", Static).update(
            f"{len(self.shown)} of {len(self.entries)} set(s)  sort: {self.sort_key}{filt}{marks}")
        self._show_detail()

    @property
    def highlighted(self) -> SetEntry | None:
        table = self.query_one("#sets", DataTable)
        if not self.shown or table.cursor_row is None or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        entry = self.highlighted
        detail = self.query_one("#set-detail", Static)
        if entry is None:
            detail.update("No result set found. Press i to import fio output, or 4 to plan a run."
                          if not self.entries else "Nothing matches the filter (esc clears it).")
        else:
            detail.update(describe(entry))

    # ---- actions -----------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        if self._filter_input().has_focus:  # enter in the filter applies it
            self.apply_filter()
            return
        entry = self.highlighted
        if entry is None:
            return
        self.query_one("#sets", DataTable).focus()  # back here, keys are commands again, not filter text
        if entry.result_set is None:
            self.notify(entry.error or "unreadable result set", severity="error")
            return
        from kataio_tui.tui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(entry.path))

    def _running_set(self) -> Path | None:
        state = getattr(self.app, "active_run", None)
        return state.result_set if state is not None else None

    def action_resume(self) -> None:
        """Run the scenarios of a cancelled or partial set that are not 'ok' yet, with its own plan."""
        entry = self.highlighted
        if entry is None or entry.result_set is None:
            return
        progress = entry.progress
        if progress is None:
            self.notify(f"{entry.name} has no plan (it was imported): there is nothing to resume", severity="warning")
            return
        if not progress.resumable:
            self.notify(f"{entry.name} is complete: every scenario of its plan is saved")
            return
        if getattr(self.app, "active_run", None) is not None:
            self.notify("a run is in progress (5 shows it); resume when it has ended", severity="warning")
            return
        if not entry.deletable:
            self.notify(f"{entry.name} is a bundled sample; import or copy it to resume it", severity="warning")
            return
        from kataio_tui.runners.driver import plan_of_set
        from kataio_tui.tui.screens.confirm import ConfirmScreen

        plan = plan_of_set(entry.result_set)

        def answer(yes: bool | None) -> None:
            if yes:
                self.app.start_run(plan, resume=entry.path)

        self.app.push_screen(ConfirmScreen(
            f"Resume {entry.name}?\n{progress.left} of {progress.total} scenarios still to run, with the plan "
            f"stored in the set (target {plan.target}); the {progress.total - progress.left} saved ones stay.",
            yes="Resume"), answer)

    def action_mark(self) -> None:
        entry = self.highlighted
        if entry is None or entry.result_set is None:
            return
        if entry.path in self.marked:
            self.marked.remove(entry.path)
        else:
            self.marked = [*self.marked[-1:], entry.path]
        row = self.query_one("#sets", DataTable).cursor_row
        self._refill()
        self.query_one("#sets", DataTable).move_cursor(row=min(row + 1, len(self.shown) - 1))

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self.notify("mark two result sets with space first (A is the reference, B the new one)")
            return
        from kataio_tui.tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(self.marked[0], self.marked[1]))

    def refilter(self) -> None:
        self._refill()

    def _set_sort(self, key: str) -> None:
        self.sort_key = key
        self._refill()

    def action_sort(self) -> None:
        self._set_sort(SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)])

    def action_rescan(self) -> None:
        self.rescan()

    def action_import(self) -> None:
        from kataio_tui.tui.screens.import_dialog import ImportScreen

        def done(report) -> None:
            if report is not None:
                self.notify(f"imported {report.imported} file(s) into {report.result_set.path}"
                            + (f"; skipped {len(report.skipped)}" if report.skipped else ""), timeout=8)
                self.rescan()

        self.app.push_screen(ImportScreen(), done)

    def action_delete(self) -> None:
        entry = self.highlighted
        if entry is None:
            return
        if not entry.deletable:
            self.notify(f"{entry.name} is a bundled sample; it is not deleted from here", severity="warning")
            return
        from kataio_tui.tui.screens.confirm import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self._delete(entry)

        self.app.push_screen(
            ConfirmScreen(f"Delete {entry.name}?\n{entry.path}\n{entry.files} raw file(s) will be removed.",
                          yes="Delete"), answer)

    @work(thread=True, exclusive=True, exit_on_error=False, group="delete")
    def _delete(self, entry: SetEntry) -> None:
        try:
            if entry.result_set is None:
                raise KataioError(f"{entry.path}: unreadable result sets are not deleted from the TUI")
            entry.result_set.delete()
        except (KataioError, OSError) as exc:
            self.post_message(WorkFailed("delete", str(exc)))
            return
        self.post_message(SetDeleted(entry.path))

    def on_set_deleted(self, message: SetDeleted) -> None:
        self.marked = [p for p in self.marked if p != message.path]
        self.notify(f"deleted {message.path}")
        self.rescan()
