"""What the run screen says about the live run, as text (no Textual): where the run is, what the
scenario is doing, and the failures with their diagnosis and the remedy in the TUI's words."""

from __future__ import annotations

import time

from rich.text import Text

from kataio_tui.printable import printable
from kataio_tui.tui.plan_form import format_duration
from kataio_tui.tui.remedies import for_tui
from kataio_tui.tui.run_state import ClientLive, FailureNote, RunState, ScenarioLive

PHASE_TEXT = {
    "layout": "laying out files",
    "start": "starting clients",
    "ramp": "ramp, not measured,",
    "measure": "measuring",
    "stop": "clients finishing",
    "save": "saving the results",
}


def mib(bw_bytes: float | None) -> str:
    return "-" if bw_bytes is None else f"{bw_bytes / 1048576:,.1f}"


def phase_text(scenario: ScenarioLive, now: float) -> str:
    """e.g. "measuring 0m 03s of 0m 06s"; before the runner says a phase: "preparing"."""
    if scenario.phase is None or scenario.phase_started is None:
        return "preparing"
    text = f"{PHASE_TEXT.get(scenario.phase, scenario.phase)} {format_duration(now - scenario.phase_started)}"
    if scenario.phase_expected_s:
        text += f" of {format_duration(scenario.phase_expected_s)}"
    return text


def summary_text(state: RunState, clients: list[ClientLive], scenarios: list[ScenarioLive],
                 now: float | None = None) -> Text:
    now = time.monotonic() if now is None else now
    text = Text()
    text.append(printable(f"saving to {state.result_set}") if state.result_set else "run starting", style="bold")
    current = scenarios[state.current] if state.current is not None and scenarios else None
    text.append("\n")
    if current is not None:
        text.append(f"scenario {state.current + 1}/{len(scenarios)} {printable(current.key.label())}: ")
        if current.state == "running":
            text.append(phase_text(current, now), style="bold")
            reporting = [c for c in clients if c.state == "running" and c.io_bytes]
            text.append(f"\n{mib(sum(c.bw_bytes for c in reporting))} MiB/s from {len(reporting)}/"
                        f"{current.key.clients} clients  " if reporting else "\n")
        else:
            text.append(current.state, style="bold")
            text.append("\n")
    elif state.finished and state.failures:
        text.append("the run failed before its first scenario\n", style="bold")
    text.append(f"elapsed {format_duration(state.elapsed_s)}")
    _, _, remaining = state.progress(now)
    if remaining is not None:
        text.append(f", ~{format_duration(remaining)} left")
    text.append(f"  [{state.status}]", style="bold")
    return text


def failure_text(note: FailureNote, prefix: str = "") -> Text:
    text = Text()
    # fio's and the API's words: shown as text (their lines kept, never their escapes)
    message, diagnosis, remedy = (printable(for_tui(part), lines=True) for part in (note.message, note.diagnosis,
                                                                                    note.remedy))
    if remedy and message.endswith(f"; {remedy}"):  # some errors carry their remedy in the message too
        message = message[: -len(remedy) - 2]
    text.append(f"✘ {prefix}{printable(note.key.label()) if note.key else 'run'}: {message}", style="bold")
    if diagnosis and diagnosis not in message:
        text.append(f"\n  diagnosis: {diagnosis}")
    if remedy:
        text.append(f"\n  remedy: {remedy}")
    return text


def failures_text(failures: list[FailureNote], last: int = 5) -> Text:
    text = Text()
    for i, note in enumerate(failures[-last:]):
        if i:
            text.append("\n")
        text.append_text(failure_text(note))
    return text


def latest_failure_text(failures: list[FailureNote]) -> Text:
    """The newest failure (with its diagnosis and remedy), and how many there are in all."""
    more = f"{len(failures)} failures (v shows all), newest " if len(failures) > 1 else ""
    return failure_text(failures[-1], more)


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 60 else format_duration(s)


def header_text(state: RunState, now: float | None = None) -> str:
    """One line for every other screen (80 columns): the key that shows it, which scenario, what it
    does, how fast. E.g. "● run (5) 1/2 bare read 64k x2 · measuring 4 of 8 s · 1,548.4 MiB/s"."""
    now = time.monotonic() if now is None else now
    clients, scenarios, _ = state.snapshot()
    index = state.current
    if index is None or not scenarios:
        return "● run (5) starting"
    current = scenarios[index]
    text = f"● run (5) {index + 1}/{len(scenarios)} {printable(current.key.label())}"
    if current.phase is not None and current.phase_started is not None:
        text += f" · {current.phase} {_seconds(now - current.phase_started)}"
        if current.phase_expected_s:
            text = text.removesuffix(" s") + f" of {_seconds(current.phase_expected_s)}"
    reporting = [c for c in clients if c.state == "running" and c.io_bytes]
    if reporting:
        text += f" · {mib(sum(c.bw_bytes for c in reporting))} MiB/s"
    return text
