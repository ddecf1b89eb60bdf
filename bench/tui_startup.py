"""Benchmark the TUI as a user meets it, whole process in tmux (80x24), against named baselines.

1. First paint of `kataio` (no arguments) against a minimal Textual app (a Static and a Footer,
   same interpreter): time from starting the process to the first screen that shows the footer.
   Target: kataio <= 0.6 s.
2. Opening a result set of 800+ client files (the real fio set bench/report_speed.py makes under
   ~/.cache/kataio-bench/; its generator is reused): `kataio tui SET` shows Browse, enter opens it;
   time from the key to the bandwidth table on screen. Target <= 1 s. Baseline: `kataio report SET
   --format csv`, the same work without a UI, whole process.
3. Input latency while a 64-client live run streams: a SIMULATED event stream (bench/tui_replay.py:
   64 clients x one ClientProgress a second, real bandwidth values and raw files, no fio running;
   --real runs 64 real bare fio clients instead). A key toggles the view; latency is the time until
   tmux shows the change. Baseline: the same toggle on the idle run screen. Target < 100 ms.

    .venv/bin/python bench/tui_startup.py [--rounds 7] [--real]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import report_speed  # noqa: E402  (its generator of the 876-client real fio set)

PYTHON = sys.executable
KATAIO = str(Path(sys.executable).with_name("kataio"))
SESSION = "kataio-bench"
POLL_S = 0.005

MINIMAL_APP = textwrap.dedent("""
    from textual.app import App
    from textual.widgets import Footer, Static

    class Minimal(App):
        BINDINGS = [("q", "quit", "Back/Quit")]
        def compose(self):
            yield Static("hello")
            yield Footer()

    Minimal().run()
""")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def kill() -> None:
    tmux("kill-session", "-t", SESSION)


def start(command: list[str], env: dict[str, str], width: int = 80, height: int = 24) -> float:
    kill()
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    shell = f"env {exports} {' '.join(command)}; sleep 600"
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", str(width), "-y", str(height), shell],
                   check=True)
    return started


def wait_for(predicate, since: float, timeout: float = 30.0) -> float:
    while True:
        text = screen()
        if predicate(text):
            return time.perf_counter() - since
        if time.perf_counter() - since > timeout:
            raise SystemExit(f"timed out; screen was:\n{text}")
        time.sleep(POLL_S)


def first_paint(command: list[str], marker: str, env: dict[str, str]) -> float:
    since = start(command, env)
    took = wait_for(lambda text: marker in text, since)
    kill()
    return took


def bench_first_paint(rounds: int, env: dict[str, str], tmp: Path) -> None:
    minimal = tmp / "minimal.py"
    minimal.write_text(MINIMAL_APP)
    # a settings file (the theme persists there once chosen) means validating it with pydantic at start
    configured = tmp / "configured"
    configured.mkdir()
    (configured / "config.toml").write_text('theme = "kataio-dark"\n[keymap]\n"app.help" = "question_mark,f1"\n')
    env_configured = {**env, "KATAIO_CONFIG_DIR": str(configured)}
    times: dict[str, list[float]] = {"minimal Textual app": [], "kataio": [], "kataio, settings file": []}
    first_paint([KATAIO], "Back/Quit", env)  # warm the page cache for both
    first_paint([PYTHON, str(minimal)], "hello", env)
    for _ in range(rounds):
        times["minimal Textual app"].append(first_paint([PYTHON, str(minimal)], "Back/Quit", env))
        times["kataio"].append(first_paint([KATAIO], "Back/Quit", env))
        times["kataio, settings file"].append(first_paint([KATAIO], "Back/Quit", env_configured))
    floor = statistics.median(times["minimal Textual app"])
    print(f"\n1. first paint, whole process in tmux 80x24, median of {rounds} (min..max)")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"   {name:22} {med:6.3f} s  ({min(values):.3f}..{max(values):.3f})  x{med / floor:.2f} of the floor")
    print("   target: kataio <= 0.6 s")


def bench_open(rounds: int, env: dict[str, str]) -> None:
    cache = Path.home() / ".cache" / "kataio-bench"
    tree = report_speed.ensure_tree(cache)
    result_set = report_speed.ensure_set(cache, tree)
    files = len(report_speed.tree_files(tree))
    derived = result_set / ".cache"
    opened: dict[str, list[float]] = {"cold": [], "warm": []}
    for _ in range(rounds):
        for kind in ("cold", "warm"):
            if kind == "cold":
                shutil.rmtree(derived, ignore_errors=True)  # no derived summaries: every file is parsed
            since = start([KATAIO, "tui", str(result_set)], env)
            wait_for(lambda text: "bench 876 clients" in text and "1 of 1 set(s)" in text, since)
            time.sleep(0.5)  # let Browse settle
            pressed = time.perf_counter()
            tmux("send-keys", "-t", SESSION, "Enter")
            opened[kind].append(wait_for(lambda text: "Aggregate bandwidth" in text and "kata-qemu" in text,
                                         pressed))
            kill()
    report_times = []
    for _ in range(rounds):
        shutil.rmtree(derived, ignore_errors=True)
        t = time.perf_counter()
        proc = subprocess.run([KATAIO, "report", str(result_set), "--format", "csv"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
        if proc.returncode:
            print(f"   (baseline kataio report failed: {proc.stderr.strip().splitlines()[-1:]})")
            break
        report_times.append(time.perf_counter() - t)
    med = statistics.median(opened["cold"])
    print(f"\n2. open a result set of {files} real fio client files (enter -> bandwidth table on screen), "
          f"median of {rounds}")
    for kind, what in (("cold", "no summary cache: every file parsed"), ("warm", "the cache the first open wrote")):
        values = opened[kind]
        print(f"   kataio tui, {kind:4}          {statistics.median(values):6.3f} s  "
              f"({min(values):.3f}..{max(values):.3f})  {what}")
    if report_times:
        base = statistics.median(report_times)
        print(f"   kataio report --format csv {base:6.3f} s  (whole process, no UI, no cache: the baseline)  "
              f"cold ratio {med / base:.2f}")
    print("   target: <= 1 s")


def toggle_latencies(samples: int, live_marker: str) -> list[float]:
    """Press g (live view <-> results view) repeatedly; each time, how long until the live view's
    marker has appeared or gone."""
    latencies = []
    for _ in range(samples):
        shown = live_marker in screen()
        pressed = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "g")
        latencies.append(wait_for(lambda text: (live_marker in text) != shown, pressed, timeout=5))
        time.sleep(0.05)
    return latencies


def bench_input_latency(samples: int, env: dict[str, str], tmp: Path, real: bool) -> None:
    cache = Path.home() / ".cache" / "kataio-bench"
    source = report_speed.ensure_set(cache, report_speed.ensure_tree(cache))
    live_marker = "MiB/s now"  # the per-client table's header
    # idle baseline: the run screen with nothing running
    since = start([KATAIO, "tui", "--start", "run"], env)
    wait_for(lambda text: "No run yet" in text, since)
    kill()
    if real:
        plan_path = tmp / "real64.toml"
        from kataio_tui.model.plan import FioParams, Plan

        plan_path.write_text(Plan(name="real64", runtimes=["bare"], patterns=["read"], block_sizes=[65536],
                                  clients=[64], directory=str(tmp / "fio"),
                                  fio=FioParams(iodepth=8, numjobs=1, filesize=4 << 20, runtime=40,
                                                ramp_time=0)).to_toml())
        command = [PYTHON, str(REPO / "bench" / "tui_replay.py"), "real", str(plan_path), str(tmp / "runs")]
    else:
        command = [PYTHON, str(REPO / "bench" / "tui_replay.py"), "replay", str(source), "64", "60", str(tmp / "runs")]
    since = start(command, env, 120, 40)
    wait_for(lambda text: "over 64 client(s)" in text and live_marker in text, since, timeout=120)
    time.sleep(1.0)
    during = toggle_latencies(samples, live_marker)
    still_running = "[running]" in screen()
    kill()
    # baseline: the same toggle with the same app idle (no run, nothing streaming)
    since = start([KATAIO, "tui", "--start", "run"], env, 120, 40)
    wait_for(lambda text: "No run yet" in text and live_marker in text, since)
    time.sleep(1.0)  # past the warm-up imports that follow the first paint
    idle = toggle_latencies(samples, live_marker)
    kill()
    kind = "REAL 64 bare fio clients" if real else "SIMULATED stream (64 clients x 1 event/s, real values)"
    print(f"\n3. input latency (key -> change on screen, tmux 120x40), {samples} presses; {kind}")
    for name, values in (("during the 64-client run", during), ("idle run screen (baseline)", idle)):
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(f"   {name:28} median {1000 * statistics.median(values):6.1f} ms  p95 {1000 * p95:6.1f} ms  "
              f"max {1000 * values[-1]:6.1f} ms")
    print(f"   target: < 100 ms; the run was {'still streaming' if still_running else 'over'} at the end; "
          f"tmux polling adds up to {1000 * POLL_S:.0f} ms plus a capture (a few ms) to every figure")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--real", action="store_true", help="input latency during a real 64-client fio run")
    parser.add_argument("--only", choices=("paint", "open", "input"))
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed (Debian: apt-get install tmux)")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at the start (figures are "
          "wall times: other work on the machine inflates them)")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = {"KATAIO_DATA_DIR": str(tmp / "data"), "KATAIO_CONFIG_DIR": str(tmp / "config"),
               "TERM": "xterm-256color"}
        try:
            if args.only in (None, "paint"):
                bench_first_paint(args.rounds, env, tmp)
            if args.only in (None, "open"):
                bench_open(args.rounds, env)
            if args.only in (None, "input"):
                bench_input_latency(args.samples, env, tmp, args.real)
        finally:
            kill()
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
