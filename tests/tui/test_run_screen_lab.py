"""Run screen with the Kubernetes runner on the real lab cluster (marked lab): the same screen and
flow as the local runner, live per-client rates from pods, a Kata scenario's failure diagnosis."""

from __future__ import annotations

import pytest
from test_k8s_runner import k8s_plan  # the k8s runner tests' tiny plan for the lab
from tui.test_run_screen import cells, wait_for
from tui.tui_support import settle

from kataio_tui.results.store import ResultSet

pytestmark = pytest.mark.lab


async def test_kubernetes_run_streams_saves_and_diagnoses(make_app, isolated, lab, lab_namespace,
                                                          lab_runtime_classes):
    plan = k8s_plan(lab, lab_namespace, ["runc", "kata-qemu"], [2], runtime=3, start=30)
    app = make_app()
    app.run_out_dir = isolated / "runs"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.call_later(app.start_run, plan)
        await wait_for(pilot, lambda: app.current_mode == "run" and len(cells(app, "#clients")) == 2, timeout=120)
        await wait_for(pilot, lambda: any(r[1] not in ("", "-", "0.0") for r in cells(app, "#clients")), timeout=60)
        await wait_for(pilot, lambda: app.screen.state.finished, timeout=240)
        await settle(pilot)
        assert [r[1] for r in cells(app, "#queue")] == ["✔ ok", "✘ failed"]
        failures = str(app.screen.query_one("#failures").content)
        assert "kata-qemu" in failures and "diagnosis:" in failures  # the runner's diagnosis of the missing handler
        saved = ResultSet.load(app.screen.state.result_set)
        assert [s.status for s in saved.manifest.scenarios] == ["ok", "failed"]
        assert cells(app, "#sofar-bw")[0][:2] == ["randread", "2"]
