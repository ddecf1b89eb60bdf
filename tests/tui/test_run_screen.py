"""Run screen: a real local run (bare fio) driven from the plan: live per-client rates and the
scenario's phase, results filling in, failures with their diagnosis on screen at 80x24, an error
before the start kept with its remedy, and stop with confirmation."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable
from tui.tui_support import screen_text, settle

from kataio_tui.fio.reader import read_fio_output
from kataio_tui.fio.summary import client_summaries

from kataio_tui.model.plan import FioParams, KubernetesTarget, Plan
from kataio_tui.results.store import ResultSet
from kataio_tui.runners import events as ev
from kataio_tui.tui.screens.run import RunEvent


def tiny_plan(tmp_path, runtime: int = 3, clients: list[int] | None = None, patterns=None, ramp: int = 0) -> Plan:
    return Plan(name="tiny", runtimes=["bare"], patterns=patterns or ["read"], block_sizes=[65536],
                clients=clients or [2], directory=str(tmp_path / "fio"),
                fio=FioParams(iodepth=4, numjobs=1, filesize=8 << 20, runtime=runtime, ramp_time=ramp))


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
        assert "scenario 1/1 bare read 64k x2 qd4 j1: " in summary and "MiB/s from 2/2 clients" in summary
        await wait_for(pilot, lambda: not app.screen.active)
        await settle(pilot)
        kinds = [type(m.event).__name__ for m in seen if isinstance(m, RunEvent)]
        assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished" and "ScenarioFinished" in kinds
        assert "ClientProgress" not in kinds  # folded into the polled state, not one message each
        assert cells(app, "#queue")[0][1] == "✔ ok"
        finished = next(m.event for m in seen if isinstance(m, RunEvent) and isinstance(m.event, ev.RunFinished))
        saved = ResultSet.load(finished.result_set)
        assert [s.status for s in saved.manifest.scenarios] == ["ok"]
        # once a client has ended its row holds its final numbers (from its result file), not the last
        # interval's or zero
        (record,) = saved.manifest.scenarios
        for row in cells(app, "#clients"):
            rel = next(f for f in record.files if f.endswith(f"client-{row[0]}.json"))
            (summary,) = client_summaries(read_fio_output(saved.read_raw(rel), rel), rel)
            assert row[1:3] == [f"{summary.bw_mib_s:,.1f}", f"{summary.iops:,.0f}"] and row[4] == "ok"
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
        assert "✘ kata read 64k x2 qd4 j1: runtime kata is unavailable on this host" in failures
        assert "remedy: install or fix the runtime" in failures
        assert [r[1] for r in cells(app, "#queue")] == ["✔ ok", "✘ failed"]


async def test_at_80x24_every_client_the_phase_and_the_failure_are_on_screen(make_app, isolated):
    """Eight clients, a scenario that fails: without pressing anything the 80x24 live view shows all
    eight client rows, what the scenario is doing, and the failure with its reason and remedy."""
    app = make_app()
    app.run_out_dir = isolated / "runs"
    plan = tiny_plan(isolated, runtime=3, clients=[8], ramp=1).model_copy(update={"runtimes": ["bare", "kata"]})
    phases: set[str] = set()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.call_later(app.start_run, plan)

        def measuring_with_eight() -> bool:
            if app.current_mode != "run":
                return False
            summary = str(app.screen.query_one("#run-summary").content)
            phases.update(p for p in ("laying out files", "starting clients", "ramp", "measuring") if p in summary)
            return "measuring" in summary and len(cells(app, "#clients")) == 8

        await wait_for(pilot, measuring_with_eight)
        text = screen_text(app)
        assert "over 0 client(s)" not in text
        client_lines = [line.split()[0] for line in text.splitlines()
                        if line.split() and line.split()[-1] == "running" and line.split()[0].isdigit()]
        assert client_lines == [str(i) for i in range(8)], text
        assert "measuring" in phases and len(phases) >= 2, phases  # it moved through its phases
        await wait_for(pilot, lambda: app.screen.state.finished)
        await settle(pilot)
        text = screen_text(app)
        assert app.screen.has_class("narrow") and not app.screen.has_class("show-sofar")
        assert "✘ kata read 64k x8 qd4 j1: runtime kata is unavailable on this host" in text
        assert "remedy: install or fix the runtime" in text


async def test_an_error_before_the_start_stays_on_the_run_screen_with_its_remedy(make_app, isolated):
    """No kubeconfig: the run cannot start. The reason and the remedy stay on the Run screen (not
    only in a toast), in the TUI's words (no --kubeconfig flag, which the TUI does not have)."""
    app = make_app()
    app.run_out_dir = isolated / "runs"
    plan = Plan(name="k8s", target="kubernetes", runtimes=["runc"], patterns=["read"], block_sizes=[65536],
                clients=[1], kubernetes=KubernetesTarget(), fio=FioParams(filesize=8 << 20, runtime=1, ramp_time=0))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.call_later(app.start_run, plan)
        await wait_for(pilot, lambda: app.current_mode == "run" and app.screen.state.finished)
        await settle(pilot)
        problem = str(app.screen.query_one("#run-problem").content)
        assert app.screen.query_one("#run-problem").display
        assert problem.startswith("✘ run: no kubeconfig:")
        assert "remedy: start kataio with KUBECONFIG=FILE set, or write ~/.kube/config" in problem
        assert "--kubeconfig" not in problem
        assert "the run failed before its first scenario" in str(app.screen.query_one("#run-summary").content)
        assert "no kubeconfig" in screen_text(app)
        # and the message log keeps it with its time
        assert any("no kubeconfig" in m.message and m.severity == "error" for m in app.message_log.entries())
