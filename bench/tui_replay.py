"""A ScenarioRunner that replays a live run's event stream at real rates (for bench/tui_startup.py).

It is a simulation, said so wherever its figures are printed: no fio runs. Each of N clients emits
ClientProgress once a second (fio's --status-interval=1), spread over the second as real clients
are, with bandwidth values taken from a real result set's clients (the bench set's 64-client
scenario), and the scenario ends with the real raw files of that scenario, so the results pane
fills in from real data.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from kataio_tui import __version__
from kataio_tui.model.plan import Plan
from kataio_tui.model.results import Provenance, ScenarioKey
from kataio_tui.results.store import ResultSet
from kataio_tui.runners.driver import ScenarioOutcome
from kataio_tui.runners.events import ClientProgress, ClientResult, Emit


class ReplayRunner:
    def __init__(self, source: Path, seconds: float) -> None:
        self.source = ResultSet.load(source)
        self.seconds = seconds

    def prepare(self, plan: Plan, run_id: str) -> Provenance:
        return Provenance(made_by="bench/tui_replay.py (simulated event stream, real raw files)",
                          kataio_version=__version__)

    def _raw(self, key: ScenarioKey) -> list[tuple[str, bytes]]:
        record = next(s for s in self.source.manifest.scenarios
                      if (s.pattern, s.clients) == (key.pattern, key.clients) and s.runtime == key.runtime)
        return [(Path(rel).name, self.source.read_raw(rel)) for rel in record.files]

    def run_scenario(self, plan: Plan, key: ScenarioKey, jobfile: str, emit: Emit,
                     cancel: threading.Event) -> ScenarioOutcome:
        from kataio_tui.fio.reader import read_fio_output
        from kataio_tui.fio.summary import client_summaries

        raw = self._raw(key)
        rates = [client_summaries(read_fio_output(data, name), name)[0] for name, data in raw]
        start = time.monotonic()
        tick = 0
        while not cancel.is_set():
            elapsed = time.monotonic() - start
            if elapsed >= self.seconds:
                break
            for i in range(key.clients):  # one status document per client per second, spread out
                due = start + tick + i / key.clients
                delay = due - time.monotonic()
                if delay > 0 and cancel.wait(delay):
                    break
                c = rates[i % len(rates)]
                emit(ClientProgress(key, i, tick + i / key.clients, max(0.0, self.seconds - tick), c.bw_bytes,
                                    c.iops, int(c.bw_bytes * (tick + 1))))
            tick += 1
        if cancel.is_set():
            return ScenarioOutcome("interrupted")
        for i in range(key.clients):
            emit(ClientResult(key, i, True, rates[i % len(rates)].bw_bytes))
        return ScenarioOutcome("ok", raw)

    def close(self, keep_files: bool) -> list[str]:
        return []


def make_app(source: Path, clients: int, seconds: float, out_dir: Path):
    """The kataio app with the replay runner, starting a one-scenario plan at once."""
    from kataio_tui.tui.app import KataioApp

    plan = Plan(name="replay", runtimes=["bare"], patterns=["read"], block_sizes=[65536], clients=[clients])
    app = KataioApp(persist_theme=False)
    app.runner_factory = lambda _plan: ReplayRunner(source, seconds)
    app.run_out_dir = out_dir
    app.call_later(app.start_run, plan)
    return app


def make_real_app(plan_path: Path, out_dir: Path):
    """The kataio app running a real plan with the local runner (real fio), started at once."""
    from kataio_tui.model.plan import load_plan
    from kataio_tui.tui.app import KataioApp

    app = KataioApp(persist_theme=False)
    app.run_out_dir = out_dir
    app.call_later(app.start_run, load_plan(plan_path))
    return app


if __name__ == "__main__":
    import sys

    if sys.argv[1] == "real":  # real PLAN OUT_DIR
        make_real_app(Path(sys.argv[2]), Path(sys.argv[3])).run()
    else:  # replay SOURCE_SET CLIENTS SECONDS OUT_DIR
        make_app(Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), Path(sys.argv[5])).run()
