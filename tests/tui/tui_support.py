"""Shared by the TUI tests: where the recorded data is, and waiting for workers."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_SET = DATA / "sample-set"
REPO = Path(__file__).resolve().parents[2]


async def settle(pilot) -> None:
    """Wait for every worker the app started and for the messages they posted to be handled."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen_text(app) -> str:
    """The visible screen as plain text (what a user reads)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
