"""Browse: listing, filter, sort, open, compare, import and delete, driven with Pilot."""

from __future__ import annotations

import shutil

from textual.widgets import DataTable
from tui.tui_support import SAMPLE_SET, screen_text, settle

from kataio_tui import paths
from kataio_tui.results.store import ResultSet
from kataio_tui.tui.messages import ComparisonReady, SetLoaded, SetsScanned


def table_rows(app, selector: str = "#sets") -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_lists_bundled_user_and_command_line_sets(make_app, bundled_set, user_set, tmp_path):
    extra = tmp_path / "elsewhere" / "third"
    shutil.copytree(SAMPLE_SET, extra)
    seen = []
    app = make_app(set_paths=[extra.parent], start="browse")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        assert any(isinstance(m, SetsScanned) for m in seen)
        origins = sorted(row[3] for row in table_rows(app))
        assert origins == ["command line", "sample", "user"]
        assert "3 of 3 set(s)" in screen_text(app)


async def test_filter_narrows_and_escape_clears(make_app, bundled_set, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"user")
        await pilot.pause()
        assert [r[3] for r in table_rows(app)] == ["user"]
        assert "1 of 2 set(s)" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert len(table_rows(app)) == 2


async def test_sort_cycles_through_keys(make_app, bundled_set):
    app = make_app(start="browse")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.screen.sort_key == "newest"
        await pilot.press("s")
        assert app.screen.sort_key == "name"
        assert "sort: name" in screen_text(app)


async def test_open_loads_the_set_in_a_worker(make_app, user_set):
    seen = []
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        loaded = [m for m in seen if isinstance(m, SetLoaded)]
        assert len(loaded) == 1 and loaded[0].path == user_set
        assert app.screen.__class__.__name__ == "ResultsScreen"
        assert "Aggregate bandwidth, MiB/s, block size 64k" in screen_text(app)
        await pilot.press("q")
        assert app.screen.__class__.__name__ == "BrowseScreen"


async def test_unreadable_set_is_listed_with_its_error(make_app, isolated):
    broken = paths.results_dir() / "broken"
    broken.mkdir(parents=True)
    (broken / "manifest.toml").write_text("name = \n")
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert table_rows(app)[0][2] == "unreadable"
        assert "manifest.toml: not valid TOML" in str(app.screen.query_one("#set-detail").content)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "BrowseScreen"


async def test_compare_two_marked_sets(make_app, bundled_set, user_set):
    seen = []
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("c")  # nothing marked: a hint, no screen
        assert app.screen.__class__.__name__ == "BrowseScreen"
        await pilot.press("space", "space", "c")
        await settle(pilot)
        assert any(isinstance(m, ComparisonReady) for m in seen)
        assert app.screen.__class__.__name__ == "CompareScreen"
        rows = table_rows(app, "#changes")
        assert len(rows) == 10  # the same ten scenarios on both sides
        assert all(r[7] == "+0.0%" for r in rows)  # identical data: no change
        assert {r[0] for r in rows} == {"="}


async def test_delete_asks_then_removes_a_user_set(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("n")
        assert user_set.exists()
        await pilot.press("d", "y")
        await settle(pilot)
        assert not user_set.exists()
        assert table_rows(app) == []


async def test_bundled_samples_are_not_deleted(make_app, bundled_set):
    app = make_app(start="browse")
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "BrowseScreen"
        assert bundled_set.exists()
        assert any("bundled sample" in n.message for n in app._notifications)


async def test_import_loose_fio_files(make_app, isolated):
    loose = isolated / "loose"
    loose.mkdir()
    for i, raw in enumerate(sorted((SAMPLE_SET / "raw" / "bare" / "read" / "bs65536" / "c2" / "r0").glob("*.json"))):
        shutil.copy(raw, loose / f"node{i}.json")
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        assert app.screen.__class__.__name__ == "ImportScreen"
        app.screen.query_one("#import-src").value = str(loose)
        app.screen.query_one("#import-runtime").value = "bare"
        await pilot.click("#import-go")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "BrowseScreen"
        imported = ResultSet.load(paths.results_dir() / "loose")
        [record] = imported.manifest.scenarios
        assert (record.runtime, record.pattern, record.block_size, record.clients) == ("bare", "read", 65536, 2)
        assert [r[1] for r in table_rows(app)] == ["loose"]


async def test_import_error_is_shown_in_the_dialog(make_app, isolated):
    empty = isolated / "empty"
    empty.mkdir()
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        app.screen.query_one("#import-src").value = str(empty)
        await pilot.click("#import-go")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ImportScreen"
        assert "no importable fio output found" in str(app.screen.query_one("#import-error").content)


async def test_filter_text_with_brackets_is_shown_as_typed(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "left_square_bracket", "slash", "right_square_bracket")
        await pilot.pause()
        assert "filter: '[/]'" in screen_text(app)


async def test_names_with_markup_characters_are_shown_as_they_are(make_app, user_set):
    from kataio_tui.results.store import ResultSet

    ResultSet.load(user_set).update(name="nightly [/] [b]x")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert table_rows(app, "#recent")[0][0] == "nightly [/] [b]x"  # home's list of recent sets
        await pilot.press("2")
        await settle(pilot)
        assert table_rows(app)[0][1] == "nightly [/] [b]x"
        assert "nightly [/] [b]x" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ResultsScreen"
        assert "nightly [/] [b]x" in screen_text(app)
