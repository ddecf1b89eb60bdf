"""The runner for a plan's target: the one place `kataio run` and the TUI's run screen get it from."""

from __future__ import annotations

from kataio_tui.model.plan import Plan
from kataio_tui.runners.driver import ScenarioRunner


def make_runner(plan: Plan) -> ScenarioRunner:
    """The ScenarioRunner for plan.target (the runners are imported only when used)."""
    if plan.target == "kubernetes":
        from kataio_tui.runners.kubernetes.runner import KubernetesRunner

        return KubernetesRunner()
    from kataio_tui.runners.local import LocalRunner

    return LocalRunner()
