"""`kataio plan` (write or show a plan) and `kataio run` (run one, headless with a rich progress bar)."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from kataio_tui.printable import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="write a plan from a preset, or show a plan and its fio job files")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--preset", metavar="NAME", help="stackhpc-2019 (the 2019 study) or quick (a few minutes)")
    group.add_argument("--show", metavar="FILE", help="validate a plan and print its scenarios and job files")
    p.add_argument("-o", "--output", metavar="FILE", help="with --preset: write here instead of stdout")
    p.set_defaults(handler=cmd_plan)

    p = sub.add_parser("run", help="run a plan's fio scenarios and save a result set")
    p.add_argument("plan", metavar="PLAN", nargs="?", help="plan file (TOML); optional with --resume")
    p.add_argument("--headless", action="store_true", help="no TUI: a progress bar, then the report")
    p.add_argument("--out", metavar="DIR", help="where the result set goes (default: the user data directory)")
    p.add_argument("--keep-files", action="store_true", help="keep fio's data files after the run")
    p.add_argument("--resume", metavar="SET", help="continue an interrupted result set (re-runs what is not ok)")
    p.set_defaults(handler=cmd_run)


def cmd_plan(args: argparse.Namespace) -> int:
    from kataio_tui.model.plan import load_plan, preset, save_plan

    if args.preset:
        plan = preset(args.preset)
        if args.output:
            out = Path(args.output)
            if out.exists():
                print(f"kataio: error: {out}: already exists; remove it or choose another file", file=sys.stderr)
                return 2
            save_plan(plan, out)
            print(f"wrote {out}: {len(plan.scenarios())} scenarios, about {_duration(plan.estimate_seconds())} "
                  "of fio plus start-up and file layout")
        else:
            sys.stdout.write(plan.to_toml())
        return 0
    if args.output:
        print("kataio: error: -o/--output goes with --preset", file=sys.stderr)
        return 2
    show_plan(load_plan(args.show))
    return 0


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


SHOW_JOBFILES_IN_FULL = 8


def show_plan(plan) -> None:
    """The plan's dimensions, counts and estimates, every job configuration in run order (with the
    runtimes each runs on), and its job files: all in full when there are a few, else the first in
    full and the others by the lines that differ from it."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from kataio_tui.fio.jobfile import render_jobfile
    from kataio_tui.units import format_bytes, format_size

    console = Console(highlight=False, soft_wrap=True)
    keys = plan.scenarios()
    console.print(f"[bold]{escape(plan.name)}[/bold]  target {plan.target}  {escape(plan.description)}")
    console.print(f"runtimes {', '.join(plan.runtimes)} | patterns {', '.join(plan.patterns)} | block sizes "
                  f"{', '.join(format_size(b) for b in plan.block_sizes)} | iodepth "
                  f"{', '.join(map(str, plan.fio.iodepth))} | numjobs {', '.join(map(str, plan.fio.numjobs))} | "
                  f"clients {', '.join(map(str, plan.clients))} | repeats {plan.repeats}")
    product = " x ".join(f"{len(values)} {name}" for name, values in plan.sweeps().items())
    console.print(f"{len(keys)} scenarios{f' ({product})' if product else ''}, about "
                  f"{_duration(plan.estimate_seconds())} of fio (plus container start-up and laying out the data "
                  "files)")
    nrfiles = plan.fio.extra.get("nrfiles")
    files = f" x {nrfiles} files" if nrfiles and nrfiles != "1" else ""
    console.print(f"space: {format_bytes(plan.data_bytes())} of data files at once (the largest clients x numjobs "
                  f"x filesize: {max(plan.clients)} x {max(plan.fio.numjobs)}{files} x {format_size(plan.fio.filesize)}), "
                  f"about {format_bytes(plan.results_bytes())} of results")
    configurations: dict[tuple, list[str]] = {}
    for key in keys:
        if key.repeat == 0:
            configurations.setdefault((key.pattern, key.block_size, key.iodepth, key.numjobs, key.clients),
                                      []).append(key.runtime)
    table = Table(title=f"combinations in run order{f', each x {plan.repeats} repeats' if plan.repeats > 1 else ''}",
                  title_justify="left")
    for header in ("#", "pattern", "bs", "iodepth", "numjobs", "clients", "runtimes"):
        table.add_column(header, justify="right" if header in ("#", "iodepth", "numjobs", "clients") else "left")
    for i, ((pattern, bs, iodepth, numjobs, clients), runtimes) in enumerate(configurations.items(), 1):
        table.add_row(str(i), pattern, format_size(bs), str(iodepth), str(numjobs), str(clients),
                      escape(", ".join(runtimes)))
    console.print(table)
    first: list[str] | None = None
    jobs = {(k.pattern, k.block_size, k.iodepth, k.numjobs): k for k in reversed(keys)}
    in_full = len(jobs) <= SHOW_JOBFILES_IN_FULL
    seen = set()
    for key in keys:
        job = (key.pattern, key.block_size, key.iodepth, key.numjobs)
        if job in seen:
            continue
        seen.add(job)
        text = render_jobfile(plan, key)
        title = f"job file: {key.pattern} {format_size(key.block_size)} iodepth {key.iodepth} numjobs {key.numjobs}"
        if first is None or in_full:
            first = text.splitlines()
            console.rule(title)
            sys.stdout.flush()
            print(text, flush=True)  # verbatim: this is the file fio reads
        else:
            lines = text.splitlines()
            changed = [line for line in lines[1:] if line not in first]
            console.print(f"{escape(title)}: as the first, with {escape(', '.join(changed))}")


def _plan_for_run(args: argparse.Namespace):
    from kataio_tui.errors import KataioError
    from kataio_tui.model.plan import load_plan
    from kataio_tui.results.store import ResultSet
    from kataio_tui.runners.driver import plan_of_set

    if args.resume:
        stored = plan_of_set(ResultSet.load(args.resume))
        if args.plan and load_plan(args.plan) != stored:
            raise KataioError(f"{args.plan}: differs from the plan stored in {args.resume}; resume without PLAN "
                              "to use the stored plan")
        return stored
    if not args.plan:
        raise KataioError("run: give a PLAN file (kataio plan --preset quick -o quick.toml) or --resume SET")
    return load_plan(args.plan)


def cmd_run(args: argparse.Namespace) -> int:
    from kataio_tui.paths import results_dir

    plan = _plan_for_run(args)
    out = Path(args.out) if args.out else results_dir()
    if in_tui(args):
        from kataio_tui.cli.tui_cmd import run_plan_in_tui

        return run_plan_in_tui(plan, out, Path(args.resume) if args.resume else None)
    return run_headless(plan, out, Path(args.resume) if args.resume else None, args.keep_files)


def in_tui(args: argparse.Namespace) -> bool:
    """Where `kataio run` runs, decided once: the TUI's run screen in a terminal (also to resume a
    set), else headless. Keeping the data files is a headless-only option, so such runs stay headless."""
    return not (args.headless or args.keep_files) and sys.stdout.isatty()


CLEANUP_BUDGET_S = 60.0  # after a stop signal; past it the run's watchdog completes the clean-up


def run_headless(plan, out: Path, resume: Path | None, keep_files: bool) -> int:
    """Run in a worker thread; the main thread draws progress and turns Ctrl-C, SIGTERM and SIGHUP
    into the same orderly cancel (a second signal does not cut the clean-up short)."""
    import signal
    import time

    from kataio_tui.runners.driver import run_plan
    from kataio_tui.runners.factory import make_runner
    from kataio_tui.safety.signals import CancelOnSignals, exit_status

    cancel = threading.Event()
    done = threading.Event()
    outcome: dict = {}
    stopping: list[float] = []
    budget = max(CLEANUP_BUDGET_S, 4 * plan.timeouts.stop)
    with RunProgress() as progress:

        def say(text: str) -> None:
            try:
                progress.console.print(text)
            except OSError:  # the terminal is gone (SIGHUP)
                pass

        def on_signal(signum: int, count: int) -> None:
            name = signal.Signals(signum).name
            if count == 1:
                stopping.append(time.monotonic())
                say(f"{name}: stopping: ending fio, removing containers and data files ...")
            else:
                say(f"{name}: still cleaning up ({time.monotonic() - stopping[0]:.1f} s); kataio finishes that first")

        def work() -> None:
            try:
                outcome["result"] = run_plan(plan, make_runner(plan), progress.emit, cancel, out_dir=out,
                                             resume=resume, keep_files=keep_files or None)
            except BaseException as exc:  # re-raised in the main thread
                outcome["error"] = exc
            finally:
                done.set()

        with CancelOnSignals(cancel, on_signal) as caught:
            threading.Thread(target=work, name="kataio-run", daemon=True).start()
            while not done.wait(0.2):
                if stopping and time.monotonic() - stopping[0] > budget:
                    say(f"clean-up did not finish within {budget:.0f} s; the run's watchdog completes it")
                    return exit_status(caught.first or signal.SIGINT)
    cleanup_s = time.monotonic() - stopping[0] if stopping else None
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    code = exit_status(caught.first or signal.SIGINT) if result.status == "cancelled" else 1 if result.failed else 0
    try:
        _tell_outcome(plan, result, caught.first, cleanup_s)
    except OSError:  # the terminal hung up (SIGHUP from a dropped SSH session): the run is saved all the same
        pass
    return code


def _tell_outcome(plan, result, signum: int | None, cleanup_s: float | None) -> None:
    import signal

    for note in result.notes:
        print(f"note: {printable(note)}", file=sys.stderr)
    if result.completed or any(s.status == "ok" for s in result.result_set.manifest.scenarios):
        _print_report(result.result_set.path, "bare" if "bare" in plan.runtimes else plan.runtimes[0])
    print(f"result set: {result.result_set.path}")
    if signum is not None:
        print(f"stopped by {signal.Signals(signum).name}: clean-up took {cleanup_s:.1f} s", file=sys.stderr)
    if result.status == "cancelled":
        print(f"interrupted; continue with: kataio run --resume {result.result_set.path}", file=sys.stderr)


def _print_report(path: Path, baseline: str) -> None:
    from kataio_tui.cli.results_cmd import cmd_report

    cmd_report(argparse.Namespace(set=str(path), format="table", baseline=baseline, latency="clat"))


class RunProgress:
    """rich progress for a run: the whole run, the current scenario with its live bandwidth, and a
    line per finished scenario. ``emit`` is called from the run's thread (rich is thread-safe)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(stderr=True, highlight=False)
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), console=self.console, transient=True)
        self._run_task = None
        self._scenario_task = None
        self._live_bw: dict[int, float] = {}
        self._label = ""

    def __enter__(self) -> RunProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._progress.__exit__(*exc)
        except OSError:  # the terminal hung up
            pass

    def emit(self, event) -> None:
        from kataio_tui.cli.render import shown
        from kataio_tui.runners import events as ev

        p = self._progress
        if isinstance(event, ev.RunStarted):
            self._run_task = p.add_task(f"run {event.run_id}", total=len(event.scenarios))
            self.console.print(f"running {len(event.scenarios)} scenario(s) into {shown(event.result_set)}")
        elif isinstance(event, ev.ScenarioStarted):
            self._label = shown(event.key.label())
            self._live_bw = {}
            if self._scenario_task is not None:
                p.remove_task(self._scenario_task)
            self._scenario_task = p.add_task(f"{self._label}: starting", total=int(event.expected_s or 1))
        elif isinstance(event, ev.ClientProgress) and self._scenario_task is not None:
            self._live_bw[event.client] = event.bw_bytes
            mib = sum(self._live_bw.values()) / 1048576
            p.update(self._scenario_task, completed=min(event.elapsed_s, p.tasks[-1].total or 0),
                     description=f"{self._label}: {mib:,.1f} MiB/s")
        elif isinstance(event, ev.ScenarioFinished):
            if self._run_task is not None:
                p.advance(self._run_task)
            skew = f", start skew {event.start_skew_s * 1000:.0f} ms" if event.start_skew_s is not None else ""
            mark = "[green]ok[/]" if event.status == "ok" else f"[red]{event.status}[/]"
            self.console.print(f"{mark} {shown(event.key.label())}: {event.bw_bytes / 1048576:,.1f} MiB/s{skew}")
        elif isinstance(event, ev.Failure):
            where = event.key.label() if event.key else "run"
            self.console.print(f"  [red]{shown(where)}:[/] {shown(event.message)}")
            if event.remedy:
                self.console.print(f"  remedy: {shown(event.remedy)}")
