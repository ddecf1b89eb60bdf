"""Run screen: a real local run (bare fio, two clients) driven from the plan, live per-client rates,
results filling in, and stop with confirmation."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable
from tui.tui_support import settle

from kataio_tui.model.plan import FioParams, Plan
from kataio_tui.results.store import ResultSet
from kataio_tui.runners import events as ev
from kataio_tui.tui.screens.run import RunEvent


def tiny_plan(tmp_path, runtime: int = 3, clients: list[int] | None = None, patterns=None) -> Plan:
    return Plan(name="tiny", runtimes=["bare"], patterns=patterns or ["read"], block_sizes=[65536],
                clients=clients or [2], directory=str(tmp_path / "fio"),
                fio=FioParams(iodepth=4, numjobs=1, filesize=8 << 20, runtime=runtime, ramp_time=0))


def cells(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def wait_for(pilot, condition, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await pilot.pause(0.1)


async def test_a_real_local_run_streams_and_saves(make_app, isolated):
    seen = []
    app = make_app()
    app.run_out_dir = isolated / "runs"
    plan = tiny_plan(isolated, runtime=3)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        app.call_later(app.start_run, plan)
        await wait_for(pilot, lambda: app.current_mode == "run" and len(cells(app, "#clients")) == 2)
        # live per-client bandwidth while the scenario runs
        await wait_for(pilot, lambda: all(r[1] not in ("", "-", "0.0") for r in cells(app, "#clients")))
        summary = str(app.screen.query_one("#run-summary").content)
        assert "scenario 1/1: bare read 64k x2" in summary and "MiB/s over 2 client(s)" in summary
        await wait_for(pilot, lambda: not app.screen.active)
        await settle(pilot)
        kinds = [type(m.event).__name__ for m in seen if isinstance(m, RunEvent)]
        assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished" and "ScenarioFinished" in kinds
        assert "ClientProgress" not in kinds  # folded into the polled state, not one message each
        assert cells(app, "#queue")[0][1] == "✔ ok"
        finished = next(m.event for m in seen if isinstance(m, RunEvent) and isinstance(m.event, ev.RunFinished))
        saved = ResultSet.load(finished.result_set)
        assert [s.status for s in saved.manifest.scenarios] == ["ok"]
        # the table and the CDF filled in from the saved result set
        assert cells(app, "#sofar-bw")[0][:2] == ["read", "2"]
        assert [s.label for s in app.screen.query_one("#sofar-cdf").series] == ["bare"]


async def test_stop_asks_then_cancels_and_cleans_up(make_app, isolated):
    app = make_app()
    app.run_out_dir = isolated / "runs"
    plan = tiny_plan(isolated, runtime=30, clients=[1])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.call_later(app.start_run, plan)
        await wait_for(pilot, lambda: app.current_mode == "run" and len(cells(app, "#clients")) == 1)
        await pilot.press("s")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("n")
        assert app.screen.active
        await pilot.press("s", "y")
        await wait_for(pilot, lambda: not app.screen.active, timeout=20)
        assert app.screen.state.status == "cancelled"
        assert cells(app, "#queue")[0][1] == "■ interrupted"
        # the runner removed the clients' data directories
        assert not any((isolated / "fio").glob("kataio-*/client-*"))


async def test_failure_shows_its_diagnosis(make_app, isolated):
    app = make_app()
    app.run_out_dir = isolated / "runs"
    plan = tiny_plan(isolated).model_copy(update={"runtimes": ["bare", "kata"]})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.call_later(app.start_run, plan)
        await wait_for(pilot, lambda: app.current_mode == "run" and app.screen.state.finished, timeout=60)
        await settle(pilot)
        failures = str(app.screen.query_one("#failures").content)
        # Kata cannot run here (no vmx/svm): the runner's own reason and remedy are shown
        assert "✘ kata read 64k x2: runtime kata is unavailable on this host" in failures
        assert "remedy: install or fix the runtime" in failures
        assert [r[1] for r in cells(app, "#queue")] == ["✔ ok", "✘ failed"]
