"""Snapshots at 80x24 and 120x40 of the recorded real result set (deterministic: fixed data, relative
paths, no clock). Update after an intended change with `pytest tests/tui --snapshot-update`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input
from tui.tui_support import REPO, SAMPLE_SET, settle

from kataio_tui.kube.kubeconfig import KubeContext
from kataio_tui.tui import facts

SIZES = [(80, 24), (120, 40)]
LAB_SET = "lab-k8s-20261125-194812-b775"


@pytest.fixture
def snap_app(make_app, monkeypatch, tmp_path):
    # the set shows as tests/tui/data/sample-set wherever the clone is; a copy, because opening a set
    # writes its derived summary cache, and tests never write into the repository
    shutil.copytree(SAMPLE_SET, tmp_path / "tests" / "tui" / "data" / "sample-set")
    monkeypatch.chdir(tmp_path)
    # host facts differ per machine; the home snapshot uses fixed ones
    monkeypatch.setattr(facts, "gather", lambda: facts.HostFacts(
        hostname="node-1", kernel="6.1.0-28-amd64", virtualization=None, kvm=True, fio="fio-3.33",
        runtimes={"bare": facts.RuntimeGlance(True, "fio at /usr/bin/fio"),
                  "runc": facts.RuntimeGlance(True, "/usr/sbin/runc found (not probed)"),
                  "crun": facts.RuntimeGlance(False, "crun is not installed"),
                  "gvisor": facts.RuntimeGlance(True, "/usr/bin/runsc found (not probed)"),
                  "kata": facts.RuntimeGlance(False, "the CPU flags show no vmx/svm")},
        kube=KubeContext(Path("/root/.kube/config"), "lab", "lab", "https://127.0.0.1:6443", "kataio"),
    ))

    def make(**kwargs):
        # shown by the help screen; nothing is written there (the snapshot apps do not persist)
        kwargs.setdefault("config_path", Path("~/.config/kataio/config.toml"))
        return make_app(set_paths=[Path("tests/tui/data")], **kwargs)

    return make


async def _open_first(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, snap_app, size):
    assert snap_compare(snap_app(start="home"), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_browse(snap_compare, snap_app, size):
    assert snap_compare(snap_app(start="browse"), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_results(snap_compare, snap_app, size):
    assert snap_compare(snap_app(start="browse"), terminal_size=size, run_before=_open_first)


def test_results_cdf_alone_at_80x24(snap_compare, snap_app):
    async def run_before(pilot):
        await _open_first(pilot)
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(snap_app(start="browse"), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(100, 30), (120, 40)])
def test_results_with_four_runtimes(snap_compare, snap_app, monkeypatch, tmp_path, size):
    """The real lab set (bare, gVisor, Kata failing, runC): the tables keep their width, the CDF yields."""
    shutil.copytree(REPO / "sample_results" / LAB_SET, tmp_path / "lab" / LAB_SET)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("slash", *"lab", "enter", "enter")
        await settle(pilot)

    app = snap_app(start="browse")
    app.set_paths.append(Path("lab"))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("theme", ["kataio-light", "kataio-contrast"])
def test_results_in_other_themes(snap_compare, snap_app, theme):
    assert snap_compare(snap_app(start="browse", theme=theme), terminal_size=(120, 40), run_before=_open_first)


def test_scenario_drill_down(snap_compare, snap_app):
    async def run_before(pilot):
        await _open_first(pilot)
        await pilot.press("down", "right", "enter")
        await settle(pilot)

    assert snap_compare(snap_app(start="browse"), terminal_size=(80, 24), run_before=run_before)


def test_help(snap_compare, snap_app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(snap_app(start="browse"), terminal_size=(80, 24), run_before=run_before)


def test_results_with_no_color(snap_compare, snap_app, monkeypatch):
    """NO_COLOR: everything grey; better/worse still read from ▲/▼/= and the curves from their markers."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = snap_app(start="browse")
    assert app.no_color
    assert snap_compare(app, terminal_size=(120, 40), run_before=_open_first)


@pytest.mark.parametrize("size", SIZES)
def test_plan(snap_compare, snap_app, monkeypatch, size):
    # which runtimes this machine has differs per machine; the snapshot shows fixed answers
    from kataio_tui.local import availability

    monkeypatch.setattr(availability, "local_runtime_status", lambda name, **_: availability.RuntimeStatus(
        name, name in ("bare", "runc", "gvisor"), "fixed for the snapshot"))
    async def run_before(pilot):
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is never the same twice
        await pilot.pause()

    assert snap_compare(snap_app(start="plan"), terminal_size=size, run_before=run_before)
