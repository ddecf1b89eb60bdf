"""Navigation as operators expect it: table keys, the `/` filters (Browse, Checks, Results), the
cursor that stays on its set, the palette's order and key hints, the quit hint, the footer at 80
columns and the message log."""

from __future__ import annotations

import re
import shutil

import pytest
from textual.command import CommandList
from textual.widgets import DataTable, Input
from tui.tui_support import REPO, SAMPLE_SET, screen_text, settle

from kataio_tui import paths
from kataio_tui.tui.widgets.footer import KataioFooter, key_width

LAB_SET = "lab-k8s-20261125-194812-b775"  # bundled: bare, gvisor, kata-qemu, runc


def rows(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.fixture
def three_sets(isolated, monkeypatch):
    """The recorded set as a bundled sample and as the user's, plus the real lab set, under
    directories named like the real ones (~/.local/share/kataio/results, .../kataio_tui/...)."""
    monkeypatch.setenv("KATAIO_DATA_DIR", str(isolated / "share" / "kataio"))
    samples = isolated / "site-packages" / "kataio_tui" / "sample_results"
    monkeypatch.setattr(paths, "sample_results_dir", lambda: samples)
    shutil.copytree(SAMPLE_SET, samples / "tui-sample")
    shutil.copytree(REPO / "sample_results" / LAB_SET, samples / LAB_SET)
    shutil.copytree(SAMPLE_SET, paths.results_dir() / "tui-sample")
    return isolated


async def test_j_k_g_G_home_end_move_the_cursor_in_every_table(make_app, three_sets):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#sets", DataTable)
        assert table.row_count == 3 and table.cursor_row == 0
        for key, row in (("j", 1), ("j", 2), ("k", 1), ("G", 2), ("g", 0), ("end", 2), ("home", 0)):
            await pilot.press(key)
            assert table.cursor_row == row, key
        # a cell-cursor table (Results): Home/End go to the first/last row, the column stays
        await pilot.press("enter")
        await settle(pilot)
        bw = app.screen.query_one("#bw", DataTable)
        await pilot.press("right")
        column = bw.cursor_coordinate.column
        await pilot.press("end")
        assert bw.cursor_coordinate == (bw.row_count - 1, column)
        await pilot.press("home")
        assert bw.cursor_coordinate == (0, column)
        await pilot.press("j")
        assert bw.cursor_coordinate.row == 1


async def test_browse_enter_in_the_filter_applies_it(make_app, three_sets):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"lab")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "BrowseScreen"  # applied, nothing opened
        assert [r[1] for r in rows(app, "#sets")] == [LAB_SET]
        assert app.screen.query_one("#sets", DataTable).has_focus
        assert app.screen.query_one("#filter", Input).display  # still shows what filters
        await pilot.press("enter")  # now on the table: opens the set
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ResultsScreen"


async def test_browse_filter_matches_names_paths_and_runtimes_not_boilerplate(make_app, three_sets):
    """Every set is 'made by kataio' or a script, and lies under .../kataio/...: 'kata' must find the
    set that ran Kata, not all of them."""
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        entries = app.screen.entries
        assert all("kataio" in str(e.path) or "kataio" in e.result_set.manifest.provenance.made_by for e in entries)
        await pilot.press("slash", *"kata")
        await pilot.pause()
        assert [r[1] for r in rows(app, "#sets")] == [LAB_SET]
        await pilot.press("escape", "slash", *"user")  # the origin
        await pilot.pause()
        assert [r[3] for r in rows(app, "#sets")] == ["user"]
        await pilot.press("escape", "slash", *"194812")  # part of the path below its directory
        await pilot.pause()
        assert [r[1] for r in rows(app, "#sets")] == [LAB_SET]


async def test_browse_cursor_stays_on_the_set_after_a_visit(make_app, three_sets):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        chosen = app.screen.highlighted.path
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ResultsScreen"
        await pilot.press("q")
        await settle(pilot)  # the list is scanned again on return
        assert app.screen.__class__.__name__ == "BrowseScreen"
        assert app.screen.highlighted.path == chosen
        assert app.screen.query_one("#sets", DataTable).cursor_row == 2


async def test_checks_filter_and_fail_warn_only(checks_app):
    app = checks_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        everything = rows(app, "#checks")
        statuses = {r[0].split()[-1] for r in everything}
        assert {"FAIL", "PASS"} <= statuses
        await pilot.press("f")
        problems = rows(app, "#checks")
        assert problems and {r[0].split()[-1] for r in problems} <= {"FAIL", "WARN"}
        assert len(problems) < len(everything)
        assert f"showing {len(problems)} of {len(everything)}" in screen_text(app)
        await pilot.press("f", "slash", *"kvm")
        await pilot.pause()
        found = rows(app, "#checks")
        assert found and all("kvm" in " ".join(r).lower() or "kvm" in app.screen.rows[r[2]]["result"].observed.lower()
                             for r in found)
        await pilot.press("enter")
        assert app.screen.query_one("#checks", DataTable).has_focus
        # the detail pane follows the filtered rows
        assert found[0][1] in str(app.screen.query_one("#check-detail").content)
        await pilot.press("escape")
        assert rows(app, "#checks") == everything


async def test_results_filter_rows_and_runtime_columns(make_app, three_sets):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"lab", "enter", "enter")
        await settle(pilot)
        screen = app.screen
        assert screen.__class__.__name__ == "ResultsScreen"
        headers = lambda: [str(c.label) for c in screen.query_one("#bw", DataTable).ordered_columns]  # noqa: E731
        assert headers() == ["pattern", "clients", "bare", "gvisor", "kata-qemu", "runc"]
        await pilot.press("slash", *"rand")
        await pilot.pause()
        assert {r[0] for r in rows(app, "#bw")} == {"randwrite"}
        assert {r[0] for r in rows(app, "#lat")} == {"randwrite"}
        assert screen.choice.pattern == "randwrite"  # the CDF follows the rows shown
        await pilot.press("enter")  # applies: no drill-down
        await pilot.pause()
        assert screen is app.screen and screen.query_one("#bw", DataTable).has_focus
        await pilot.press("escape", "slash", *"runc x4")
        await pilot.pause()
        assert headers() == ["pattern", "clients", "bare", "runc"]  # the baseline stays
        assert [r[:2] for r in rows(app, "#bw")] == [["read", "4"], ["randwrite", "4"]]
        await pilot.press("escape")
        assert len(headers()) == 6


async def test_palette_lists_the_screens_commands_first_and_keeps_key_hints(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        commands = app.screen.query_one(CommandList)
        prompts = [str(commands.get_option_at_index(i).prompt).splitlines()[0] for i in range(commands.option_count)]
        assert prompts[:3] == ["Open  [⏎]", "Filter  [/]", "Mark  [space]"]
        assert not any(p.lower().startswith("cursor") for p in prompts)  # cursor moves are keys, not commands
        assert prompts.index("Sort result sets by name") < prompts.index("Help  [?]") < prompts.index("Theme")
        await pilot.press(*"messag")
        await pilot.pause(0.6)
        commands = app.screen.query_one(CommandList)
        assert str(commands.get_option_at_index(0).prompt).splitlines()[0] == "Messages  [m]"


async def test_quit_hint_is_plain_text(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        (entry,) = [m for m in app.message_log.entries() if "quit" in m.message]
        assert entry.message == "Press ctrl+q to quit the app (or q on Home)"
        assert "[b]" not in screen_text(app) and "ctrl+q to quit" in screen_text(app)


def footer_line(app) -> str:
    return screen_text(app).splitlines()[-1]


@pytest.mark.parametrize("mode", ["home", "browse", "checks", "plan", "run"])
async def test_footer_at_80_columns_shows_whole_keys_and_the_palette(make_app, three_sets, mode):
    app = make_app(start=mode)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = footer_line(app).rstrip(" ▇▆▅▄▃▂▁")  # (a screen taller than 24 rows has a scrollbar beside it)
        assert line.endswith("▏^p palette"), line
        footer = app.screen.query_one(KataioFooter)
        shown = [k for k in footer.children if not k.has_class("-command-palette")]
        assert shown and all(f"{k.key_display} {k.description}" in line for k in shown)
        if mode != "plan":  # (on Plan a text field has the focus: printable keys are typed, not bound)
            assert "? Help" in line and "q Back/Quit" in line
        assert sum(key_width(k) for k in shown) <= 80 - len("▏^p palette")


async def test_footer_gives_the_room_back_when_wider(make_app, three_sets):
    app = make_app(start="browse")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "d Delete" not in footer_line(app)
        await pilot.resize_terminal(120, 30)
        await settle(pilot)
        assert "d Delete" in footer_line(app) and "i Import" in footer_line(app)


async def test_message_log_keeps_every_notification_with_its_time(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.notify("first [b]message[/b] with brackets")
        app.notify("a long error " + "word " * 40, severity="error", title="export")
        await pilot.press("m")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "MessageLogScreen"
        table = rows(app, "#messages")
        assert [r[1:3] for r in table[:2]] == [["ERROR", "export"], ["info", "-"]]  # newest first
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d", r[0]) for r in table)
        detail = str(app.screen.query_one("#message-detail").content)
        assert detail.count("word") == 40  # in full, not cut like the row
        await pilot.press("j")
        assert "first [b]message[/b] with brackets" in str(app.screen.query_one("#message-detail").content)
        app.notify("arrives while the log is open")
        await pilot.pause(1.5)  # the screen looks for new entries once a second
        assert rows(app, "#messages")[0][3] == "arrives while the log is open"
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "BrowseScreen"


async def test_keys_typed_right_after_slash_are_filter_text(make_app, three_sets):
    """On a busy host the keys after / reach the table before the focus moves to the filter."""
    from textual import events

    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#sets", DataTable).has_focus
        for key, char in (("slash", "/"), ("l", "l"), ("a", "a")):  # as the terminal delivers them, at once
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.press("b")
        assert app.screen.query_one("#filter", Input).value == "lab"
        assert [r[1] for r in rows(app, "#sets")] == [LAB_SET]
