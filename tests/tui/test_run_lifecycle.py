"""A run is never lost: it shows under the title of every screen, q on Run says it goes on, leaving
the app while it runs asks first (stop and clean up, or stay), and a cancelled set is resumed from
Browse. Real local runs of bare fio."""

from __future__ import annotations

import asyncio
import re
import threading

from textual.widgets import DataTable
from tui.test_run_screen import cells, tiny_plan, wait_for
from tui.tui_support import screen_text, settle

from kataio_tui import paths
from kataio_tui.results.store import ResultSet
from kataio_tui.runners import events as ev
from kataio_tui.runners.driver import run_plan
from kataio_tui.runners.local import LocalRunner


def run_bar(app) -> str:
    bar = app.screen.query_one("#run-bar")
    return str(bar.content) if bar.display else ""


async def test_the_active_run_shows_on_every_screen_and_q_says_it_goes_on(make_app, isolated):
    app = make_app()  # the run's set goes to the user's results, which Browse lists
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        assert run_bar(app) == ""  # no run: no line
        app.call_later(app.start_run, tiny_plan(isolated, runtime=20, clients=[1]))
        await wait_for(pilot, lambda: app.current_mode == "run" and len(cells(app, "#clients")) == 1)
        assert not app.screen.query("#run-bar")  # the run screen is the run
        await pilot.press("q")
        await pilot.pause()
        assert app.current_mode == "home"
        assert any("The run goes on" in m.message for m in app.message_log.entries())
        await wait_for(pilot, lambda: "measure" in run_bar(app) and "MiB/s" in run_bar(app))
        line = run_bar(app)
        assert re.fullmatch(r"● run \(5\) 1/1 bare read 64k x1 qd4 j1 · measure \d+ of 20 s · [\d,.]+ MiB/s", line), line
        assert line in screen_text(app)
        running = app.active_run.result_set
        await pilot.press("2")  # (no settle while the run's worker runs: it would wait for the run's end)
        await wait_for(pilot, lambda: app.current_mode == "browse" and any(
            r[1] == running.name for r in cells(app, "#sets")))
        assert run_bar(app).startswith("● run (5) 1/1 bare read 64k x1 qd4 j1")
        row = next(r for r in cells(app, "#sets") if r[1] == running.name)
        assert row[4] == "● run"
        assert app.active_run is not None
        await pilot.press("5", "s", "y")  # stop it
        await wait_for(pilot, lambda: app.active_run is None, timeout=30)
        await pilot.press("2")
        await settle(pilot)
        assert run_bar(app) == ""


async def test_leaving_while_a_run_is_active_asks_then_stops_cleans_up_and_quits(make_app, isolated):
    app = make_app()
    app.run_out_dir = isolated / "runs"
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.call_later(app.start_run, tiny_plan(isolated, runtime=30, clients=[2]))
        await wait_for(pilot, lambda: app.current_mode == "run" and len(cells(app, "#clients")) == 2)
        run_set = app.active_run.result_set
        await pilot.press("q", "q")  # Run -> Home -> quit?
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("n")  # stay
        await pilot.pause()
        assert app.return_code is None and app.active_run is not None
        await pilot.press("ctrl+q")  # Textual's quit key takes the same path
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("y")
        for _ in range(300):  # the run stops and cleans up, then the app quits
            if app.return_code is not None:
                break
            await asyncio.sleep(0.1)
    assert app.return_code == 0
    (record,) = ResultSet.load(run_set).manifest.scenarios
    assert record.status == "interrupted"
    assert not any((isolated / "fio").glob("kataio-*/client-*"))  # the runner removed its clients' files


def cancelled_set(isolated) -> ResultSet:
    """A real run of two scenarios stopped after the first: one saved ok, one left to run."""
    plan = tiny_plan(isolated, runtime=1, clients=[1], patterns=["read", "write"])
    cancel = threading.Event()

    def emit(event) -> None:
        if isinstance(event, ev.ScenarioFinished):
            cancel.set()

    result = run_plan(plan, LocalRunner(state_root=isolated / "state"), emit, cancel, out_dir=paths.results_dir())
    assert result.status == "cancelled" and result.completed == 1
    return result.result_set


async def test_resume_a_cancelled_set_from_browse(make_app, isolated):
    stopped = cancelled_set(isolated)
    app = make_app(start="browse")
    app.run_out_dir = isolated / "elsewhere"  # a resume writes into the set itself
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        (row,) = cells(app, "#sets")
        assert row[4] == "1/2▲"  # the run stopped between scenarios: one is not run
        assert "partial: 1 of 2 scenarios to run" in screen_text(app)
        await pilot.press("slash", *"partial", "enter")  # the state is filter text too
        assert len(cells(app, "#sets")) == 1
        await pilot.press("R")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        assert "1 of 2 scenarios still to run" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.current_mode == "run" and app.screen.state.finished, timeout=60)
        assert [r[0] for r in cells(app, "#queue")] == ["bare write 64k x1 qd4 j1"]  # only what was left
        assert app.screen.state.result_set == stopped.path
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("escape")
        (row,) = cells(app, "#sets")
        assert row[4] == "2"
    assert [s.status for s in ResultSet.load(stopped.path).manifest.scenarios] == ["ok", "ok"]
    assert not (isolated / "elsewhere").exists()


async def test_resume_says_why_not(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "BrowseScreen"
        assert any("has no plan (it was imported)" in m.message for m in app.message_log.entries())
        assert app.screen.query_one("#sets", DataTable).row_count == 1
