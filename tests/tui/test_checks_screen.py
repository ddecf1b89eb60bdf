"""Checks screen: the real check engine in a worker, on a real host file tree (tests/fixtures/hosts)."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import DataTable
from tui.tui_support import REPO, settle

from kataio_tui.checks.engine import run_checks
from kataio_tui.checks.options import CheckOptions
from kataio_tui.checks.registry import Selection, plan_checks
from kataio_tui.tui.screens.checks import CheckProgress, ChecksDone

HOSTS = REPO / "tests" / "fixtures" / "hosts"


@pytest.fixture
def host_root(tmp_path):
    root = tmp_path / "vm-no-nested"
    shutil.copytree(HOSTS / "vm-no-nested", root, symlinks=True)
    return root


def rows(app) -> list[list[str]]:
    table = app.screen.query_one("#checks", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_live_status_then_details_and_remedy(make_app, host_root):
    options = CheckOptions(root=host_root)
    expected = {r.id: r for r in run_checks(plan_checks(Selection(), options), options)}
    seen = []
    app = make_app(start="checks")
    app.check_options = options
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        states = [m.update.state for m in seen if isinstance(m, CheckProgress)]
        assert {"pending", "running", "done"} <= set(states)
        assert any(isinstance(m, ChecksDone) for m in seen)
        shown = {r[2]: r[0] for r in rows(app)}
        assert set(shown) == set(expected)
        for check_id, status in shown.items():
            assert status.endswith(expected[check_id].status.value)
        failing = [i for i, r in enumerate(rows(app)) if r[0].endswith("FAIL")]
        assert failing, "a VM without nested virtualisation fails some Kata prerequisites"
        table = app.screen.query_one("#checks", DataTable)
        table.move_cursor(row=failing[0])
        await pilot.pause()
        result = expected[rows(app)[failing[0]][2]]
        detail = str(app.screen.query_one("#check-detail").content)
        assert result.observed in detail and result.remedy in detail and "fix:" in detail


async def test_rerun_one_and_canary_toggle(make_app, host_root):
    app = make_app(start="checks")
    app.check_options = CheckOptions(root=host_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = rows(app)
        assert "cluster.canary" not in [r[2] for r in before]
        await pilot.press("e")  # the first check again
        await settle(pilot)
        assert rows(app) == before
        await pilot.press("t", "r")
        await settle(pilot)
        after = {r[2]: r[0] for r in rows(app)}
        # no kubeconfig in the isolated home: the canary is planned and skipped, never silently absent
        assert after["cluster.canary"].endswith("SKIP")
        assert "canary on" in str(app.screen.query_one("#checks-summary").content)
