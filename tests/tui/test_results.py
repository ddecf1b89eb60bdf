"""Results: the tables and the CDF agree with the core's numbers; choices, drill-down, export."""

from __future__ import annotations

import csv
import io
import subprocess

from textual.widgets import DataTable
from tui.test_cli import kataio
from tui.tui_support import screen_text, settle

from kataio_tui.results import report
from kataio_tui.results.loader import load_set
from kataio_tui.results.tables import build_rows
from kataio_tui.tui.cdf_render import MARKERS
from kataio_tui.tui.widgets.cdf_plot import CdfPlot


def cells(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_results(pilot, app) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert app.screen.__class__.__name__ == "ResultsScreen"


async def test_tables_show_the_core_report(make_app, user_set):
    rows = build_rows(load_set(user_set), "bare", ("clat",))
    block_64k = [r for r in rows if r.key.block_size == 65536]
    expected_bw = report.bandwidth_tables(block_64k, "bare")[0]
    expected_lat = report.latency_tables(block_64k, "bare", "clat")[0]
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        assert cells(app, "#bw") == [[c.text for c in row] for row in expected_bw.rows]
        assert cells(app, "#lat") == [[c.text for c in row] for row in expected_lat.rows]
        # better/worse by symbol, not only colour
        assert any("▲" in c for row in cells(app, "#bw") for c in row)
        assert any("▼" in c for row in cells(app, "#bw") for c in row)


async def test_cdf_has_one_marked_series_per_runtime_and_a_legend(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        plot = app.screen.query_one(CdfPlot)
        # the baseline is drawn last (on top); each runtime keeps its marker
        assert [(s.label, s.marker) for s in plot.series] == [("gvisor", MARKERS[1]), ("bare", MARKERS[0])]
        text = screen_text(app)
        assert "clat CDF, read 64k x1" in text
        assert f"{MARKERS[0]} bare" in text and f"{MARKERS[1]} gvisor" in text
        assert "100µs" in text and "1ms" in text  # ticks at real values on the log axis
        assert text.index("100µs") < text.index("1ms")


async def test_choices_change_kind_pattern_block_and_follow_the_cursor(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        screen = app.screen
        await pilot.press("l")
        assert screen.choice.kind == "lat"
        assert "lat latency p50 / p99" in screen_text(app)
        await pilot.press("l")
        assert screen.choice.kind == "slat"
        # slat has no bins without slat_percentiles=1: the plot says so instead of drawing nothing
        assert "no slat histogram" in screen_text(app)
        await pilot.press("l", "down")
        assert (screen.choice.pattern, screen.choice.clients) == ("read", 2)
        assert "clat CDF, read 64k x2" in screen_text(app)
        await pilot.press("p")
        assert screen.choice.pattern == "randwrite"
        await pilot.press("b")
        assert screen.choice.block_size == 4096
        assert "block size 4k" in screen_text(app)


async def test_narrow_terminal_toggles_between_tables_and_cdf(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_results(pilot, app)
        assert app.screen.has_class("narrow")
        assert "Aggregate bandwidth" in screen_text(app)
        assert "clat CDF" not in screen_text(app)
        await pilot.press("v")
        await pilot.pause()
        text = screen_text(app)
        assert "clat CDF, read 64k x1" in text and "gvisor" in text
        assert "Aggregate bandwidth" not in text


async def test_drill_into_clients_and_job_file(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        await pilot.press("down", "right", "enter")  # read x2, gvisor column
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ScenarioScreen"
        key = app.screen.row.key
        assert (key.runtime, key.pattern, key.block_size, key.clients) == ("gvisor", "read", 65536, 2)
        assert len(cells(app, "#clients")) == 2
        await pilot.press("f")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "JobFileScreen"
        jobfile = (user_set / "raw/gvisor/read/bs65536/c2/r0/job.fio").read_text()
        assert app.screen.text == jobfile and "rw=read" in screen_text(app)
        await pilot.press("escape", "escape")
        assert app.screen.__class__.__name__ == "ResultsScreen"


async def test_export_csv_markdown_and_svg(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        await pilot.press("B", "l")  # baseline gvisor, latency lat: the export follows the choices
        await pilot.press("x")
        await settle(pilot)
        csv_text = (app.export_dir / "tui-sample-lat.csv").read_text()
        # byte for byte what `kataio report --format csv` prints for the same choices
        cli = subprocess.run([kataio(), "report", str(user_set), "--format", "csv", "--baseline", "gvisor",
                              "--latency", "lat"], capture_output=True, text=True, check=True, timeout=60)
        assert csv_text == cli.stdout
        assert next(csv.DictReader(io.StringIO(csv_text)))["baseline"] == "gvisor"
        markdown = (app.export_dir / "tui-sample-lat.md").read_text()
        assert "### Aggregate bandwidth, MiB/s, block size 64k (% of gvisor)" in markdown
        await pilot.press("f12")
        await pilot.pause()
        svgs = list(app.export_dir.glob("*.svg"))
        assert len(svgs) == 1 and "<svg" in svgs[0].read_text()[:200]


async def test_a_missing_set_shows_the_error(make_app, isolated):
    from kataio_tui.tui.screens.results import ResultsScreen

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(ResultsScreen(isolated / "nope"))
        await settle(pilot)
        assert "not a directory" in str(app.screen.query_one("#set-info").content)
