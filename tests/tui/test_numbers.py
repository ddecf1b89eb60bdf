"""Numbers that cannot mislead: an unreadable only file, the drill-down's wall time, scenarios
missing from one side of a comparison, the CDF's drawing order and series, tables that never clip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui.test_navigation import LAB_SET, rows
from tui.test_results import open_results
from tui.tui_support import REPO, screen_text, settle

from kataio_tui import paths
from kataio_tui.results.store import ResultSet
from kataio_tui.tui.cdf_render import MARKERS
from kataio_tui.tui.widgets.cdf_plot import CdfPlot


async def test_a_scenario_whose_only_file_is_unreadable_says_so(make_app, user_set):
    only = user_set / "raw/bare/read/bs4096/c1/r0/client0.json"
    only.write_text('{"fio version": "fio-3.33", "jobs": [')  # cut short, as a full disk leaves it
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        await pilot.press("b")  # block size 4k: bare read x1 has only that file
        assert app.screen.choice.block_size == 4096
        (line,) = rows(app, "#bw")
        assert line[:3] == ["read", "1", "UNREADABLE"]
        assert "OK" not in line
        assert "1 unreadable file(s)" in screen_text(app)


async def test_drill_down_shows_each_clients_wall_time(make_app, user_set):
    """The recorded jobs ran 1 s with numjobs=2 and group_reporting: fio's job_runtime says 2000 ms."""
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        await pilot.press("down", "right", "enter")  # read x2, gvisor
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ScenarioScreen"
        table = app.screen.query_one("#clients", DataTable)
        assert [str(c.label) for c in table.ordered_columns][4] == "wall s"
        for row in rows(app, "#clients"):
            raw = json.loads((user_set / f"raw/gvisor/read/bs65536/c2/r0/{row[0]}.json").read_text())
            (job,) = raw["jobs"]
            assert job["job_runtime"] >= 1900  # summed over the 2 jobs
            assert row[4] == f"{job['read']['runtime'] / 1000:,.2f}"


def set_without(source: Path, dest: Path, drop: tuple[str, str, int, int]) -> Path:
    """A copy of the set at source without the scenario drop (runtime, pattern, block size, clients)."""
    original = ResultSet.load(source)
    kept = []
    for record in original.manifest.scenarios:
        if (record.runtime, record.pattern, record.block_size, record.clients) == drop:
            continue
        raw = [(Path(f).name, original.read_raw(f)) for f in record.files]
        jobfile = original.read_raw(record.jobfile).decode() if record.jobfile else None
        kept.append((record.model_copy(), raw, jobfile))
    ResultSet.create(dest, dest.name, original.manifest.provenance, scenarios=kept)
    return dest


async def test_compare_marks_scenarios_missing_from_one_side_as_missing_not_worse(make_app, user_set):
    partial = set_without(user_set, paths.results_dir() / "partial", ("gvisor", "randwrite", 65536, 2))
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = [r[1] for r in rows(app, "#sets")]
        await pilot.press(*["down"] * names.index("tui-sample"), "space")  # A: the full set
        await pilot.press("home", *["down"] * names.index("partial"), "space", "c")  # B: without one
        await settle(pilot)
        assert app.screen.__class__.__name__ == "CompareScreen"
        by_key = {tuple(r[1:5]): r for r in rows(app, "#changes")}
        missing = by_key[("gvisor", "randwrite", "64k", "2")]
        assert missing[0] == "missing" and missing[6] == "missing"
        assert "▼" not in missing[0]
        assert all(r[0] == "=" for k, r in by_key.items() if k != ("gvisor", "randwrite", "64k", "2"))
        await pilot.press("w")  # worst first: a missing scenario is not "worst"
        assert rows(app, "#changes")[0][0] != "missing"
    assert partial.exists()


async def test_cdf_draws_the_baseline_on_top_and_series_can_be_hidden(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        plot = app.screen.query_one(CdfPlot)
        assert [s.label for s in plot.series] == ["gvisor", "bare"]  # the baseline last: on top
        await pilot.press("s")
        assert app.screen.__class__.__name__ == "SeriesScreen"
        await pilot.press("down", "space", "enter")  # uncheck gvisor
        await pilot.pause()
        assert [(s.label, s.marker) for s in plot.series] == [("bare", MARKERS[0])]
        assert "+ gvisor" not in screen_text(app) and "* bare" in screen_text(app)
        app.screen._choose(baseline="gvisor")  # another baseline: it is drawn last, bare keeps its marker
        assert app.screen.choice.hidden == {"gvisor"}
        app.screen._toggle_series("gvisor")
        assert [(s.label, s.marker) for s in plot.series] == [("bare", MARKERS[1]), ("gvisor", MARKERS[0])]


@pytest.fixture
def lab_set(isolated):
    shutil.copytree(REPO / "sample_results" / LAB_SET, paths.results_dir() / LAB_SET)


@pytest.mark.parametrize("size", [(100, 30), (110, 30), (120, 40), (160, 40)])
async def test_tables_never_clip_the_chart_yields(make_app, lab_set, size):
    """Four runtimes need about 90 columns: at 100-120 the CDF gives way (v shows it), wider it
    takes what the tables leave."""
    app = make_app(start="browse")
    async with app.run_test(size=size) as pilot:
        await open_results(pilot, app)
        await settle(pilot)
        for selector in ("#bw", "#lat"):
            table = app.screen.query_one(selector, DataTable)
            assert table.max_scroll_x == 0, (selector, table.virtual_size, table.size)
            assert str(table.ordered_columns[-1].label) == "runc"
        plot_pane = app.screen.query_one("#plot-pane")
        tables = app.screen.query_one("#tables")
        if plot_pane.display:
            assert plot_pane.size.width >= 40 and tables.size.width + plot_pane.size.width <= size[0]
        else:
            assert app.screen.has_class("tables-only")
            await pilot.press("v")
            await pilot.pause()
            assert "clat CDF" in screen_text(app)
        assert size[0] < 140 or plot_pane.display  # wide enough: both
