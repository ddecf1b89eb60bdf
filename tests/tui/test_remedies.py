"""Remedies shown in the TUI name the TUI's actions, not command-line flags the TUI lacks: the real
messages of the code that raises them, through the screens that show them."""

from __future__ import annotations

import re

import pytest
from tui.tui_support import REPO, settle

from kataio_tui.errors import KataioError
from kataio_tui.model.plan import load_plan
from kataio_tui.tui import remedies
from kataio_tui.tui.remedies import for_tui

CORE_SOURCES = [p for p in (REPO / "kataio_tui").rglob("*.py") if p.relative_to(REPO / "kataio_tui").parts[0] != "tui"]
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def test_every_rewrite_still_matches_the_cores_wording():
    """When the core rewords a remedy, its rewrite here must follow (or the flag would show again)."""
    source = "\n".join(p.read_text() for p in CORE_SOURCES)
    for pattern, replacement in remedies._REWRITES:
        assert pattern.search(source), f"no core message says {pattern.pattern!r} any more"
        assert not FLAG.search(replacement.replace("--target-dir", "")), replacement


def test_no_kubeconfig_remedy_names_no_flag(monkeypatch, tmp_path):
    from kataio_tui.kube.connect import ClusterAccessError, connect

    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ClusterAccessError) as caught:
        connect()
    assert "--kubeconfig" in caught.value.remedy  # the CLI's words ...
    shown = for_tui(caught.value.remedy)
    assert "--kubeconfig" not in shown and "KUBECONFIG=FILE" in shown  # ... and the TUI's


def test_loading_a_missing_plan_names_the_plan_screens_actions(tmp_path):
    with pytest.raises(KataioError) as caught:
        load_plan(tmp_path / "nope.toml")
    assert "kataio plan --preset" in str(caught.value)
    shown = for_tui(str(caught.value))
    assert shown.startswith(f"{tmp_path / 'nope.toml'}: no such plan file (")
    assert "choose the quick preset on Plan and save it there with ctrl+s" in shown and "kataio plan" not in shown


async def test_checks_screen_shows_remedies_in_the_tuis_words(checks_app):
    app = checks_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert "--host-only" in screen.rows["cluster.api"]["result"].remedy  # what `kataio check` says
        screen.query_one("#checks").move_cursor(row=screen.shown_keys.index("cluster.api"))
        await pilot.pause()
        detail = str(screen.query_one("#check-detail").content)
        assert "fix: " in detail and "KUBECONFIG=FILE" in detail
        assert not FLAG.search(detail), detail


async def test_loading_a_missing_plan_on_the_plan_screen(make_app, isolated):
    app = make_app(start="plan")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        app.screen.query_one("#prompt-input").value = str(isolated / "nope.toml")
        await pilot.press("enter")
        await settle(pilot)
        (entry,) = [m for m in app.message_log.entries() if "nope.toml" in m.message]
        assert "ctrl+s" in entry.message and "kataio plan" not in entry.message
