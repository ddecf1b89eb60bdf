"""What each way a run can end leaves behind: a real `kataio run --headless` of one small scenario
per runtime, stopped by a real signal at a chosen moment, then the host is inspected.

    .venv/bin/python bench/leftovers.py [--runtimes bare,runc,gvisor] [--signals INT,TERM,HUP,KILL,KILLALL]
                                        [--phases probe,layout,measure,save] [--markdown]

Moments, found by watching /proc and the set directory (10 ms polls):
  probe    a runtime probe container is being started (`<runtime> run ... kataio-probe-...`)
  layout   fio lays the data files out (`fio --create_only=1`)
  measure  the measured fio has been running for 1 s
  save     the measured fio processes have all ended (kataio assesses and saves the scenario)
"s to clean": from the signal until the run's watchdog (if it had to act) is done; for the
cleanup rows, how long `kataio cleanup` took.
For SIGKILL, `kataio cleanup --local` (when the command knows it) is run afterwards and what is
left after it is a second row. KILLALL: SIGKILL to kataio and to its watchdog at once.
Left: live processes of the run (fio, sh, runc/runsc), containers of the run, state/bundle
directories (/run/kataio/<run>, kataio-probe-*), data files (bytes).
Everything left is removed by this script after each trial. Needs root (runc, runsc).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KATAIO = [sys.executable, "-m", "kataio_tui"]
OCI = {"runc": ["runc"], "gvisor": ["runsc", "--network=none", "--platform=ptrace"]}
PLAN = """format = 1
name = "leftovers"
target = "local"
runtimes = ["{runtime}"]
patterns = ["randread"]
block_sizes = ["64k"]
clients = [2]
repeats = 1
directory = "{directory}"
[fio]
ioengine = "libaio"
iodepth = 4
numjobs = 2
direct = true
filesize = "{filesize}"
runtime = 4
ramp_time = 0
"""


def processes() -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            if cmd:
                found[int(entry.name)] = cmd
    return found


def cwd_of(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def running(container: tuple[str, list[str], str, str]) -> bool:
    """A client container (not a probe) whose fio has been started."""
    _, argv, cid, _ = container
    if "-probe-" in cid:
        return False
    state = subprocess.run([*argv, "state", cid], capture_output=True, text=True).stdout
    return '"status": "running"' in state


def containers() -> list[tuple[str, list[str], str, str]]:
    out = []
    for name, argv in OCI.items():
        if shutil.which(argv[0]) is None:
            continue
        proc = subprocess.run([*argv, "list", "--format", "json"], capture_output=True, text=True)
        for c in json.loads(proc.stdout or "null") or []:
            out.append((name, argv, c["id"], c.get("bundle", "")))
    return out


@dataclass
class Left:
    processes: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    data_bytes: int = 0

    def empty(self) -> bool:
        return not (self.processes or self.containers or self.dirs or self.data_bytes)

    def cells(self) -> list[str]:
        fio = sum("fio" in p for p in self.processes)
        procs = f"{len(self.processes)} ({fio} fio)" if self.processes else "-"
        return [procs, str(len(self.containers)) if self.containers else "-",
                str(len(self.dirs)) if self.dirs else "-",
                f"{self.data_bytes / 1048576:.0f} MiB" if self.data_bytes else "-"]


def run_ids(scratch: Path) -> list[str]:
    return [p.name.removeprefix("kataio-") for p in scratch.glob("kataio-*")] if scratch.is_dir() else []


def state_dirs(ids: list[str], before: set[str]) -> list[Path]:
    """Directories kataio made for this run or its probes: any entry named after the run id (up to
    three levels under the state roots), and kataio-probe-* directories new since the trial began
    in kataio's state directories (not /tmp, where other programs' probes come and go)."""
    roots = [Path("/run"), Path(tempfile.gettempdir()), Path("/var/tmp"), Path.home() / ".local/state"]
    if os.environ.get("XDG_RUNTIME_DIR"):
        roots.append(Path(os.environ["XDG_RUNTIME_DIR"]))
    found: list[Path] = []

    def walk(directory: Path, depth: int) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            path = Path(entry.path)
            new_probe = entry.name.startswith("kataio-probe-") and str(path) not in before \
                and directory != Path(tempfile.gettempdir())
            if any(i in entry.name for i in ids) or new_probe:
                found.append(path)
            elif entry.is_dir(follow_symlinks=False) and ((depth and "kataio" in str(path))
                                                          or (depth == 3 and entry.name.startswith(("kataio", "user")))):
                walk(path, depth - 1)

    for root in roots:
        walk(root, 3)
    return [p for p in found if "kataio-leftovers-" not in str(p)]


def probe_dirs() -> set[str]:
    found = set()
    for pattern in (f"{tempfile.gettempdir()}/kataio-probe-*", "/run/kataio/*/kataio-probe-*"):
        found |= set(glob.glob(pattern))
    return found


def inspect(scratch: Path, marker: str, before_dirs: set[str], ids: list[str]) -> Left:
    left = Left()
    for pid, cmd in processes().items():
        if pid == os.getpid():
            continue
        if marker in cmd or any(i in cmd for i in ids) or cwd_of(pid).startswith(str(scratch)):
            left.processes.append(f"{pid} {cmd[:100]}")
    for _, _, cid, bundle in containers():
        if any(i in cid or i in bundle for i in ids) or (bundle.startswith(str(scratch))):
            left.containers.append(cid)
    left.dirs = [str(p) for p in state_dirs(ids, before_dirs)]
    for dirpath, _, files in os.walk(scratch):
        for f in files:
            try:
                left.data_bytes += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
            except OSError:
                pass
    return left


def scrub(scratch: Path, marker: str, before_dirs: set[str], ids: list[str]) -> None:
    for pid, cmd in processes().items():
        if pid != os.getpid() and (marker in cmd or any(i in cmd for i in ids)
                                   or cwd_of(pid).startswith(str(scratch))):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for _, argv, cid, bundle in containers():
        if any(i in cid or i in bundle for i in ids):
            subprocess.run([*argv, "delete", "--force", cid], capture_output=True)
    for p in state_dirs(ids, before_dirs):
        shutil.rmtree(p, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)


def wait_for_phase(proc: subprocess.Popen, phase: str, scratch: Path, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    measuring_since = None
    seen_measure = False
    while time.monotonic() < deadline and proc.poll() is None:
        cmds = list(processes().values())
        ids = run_ids(scratch)
        if phase == "probe" and any("kataio-probe-" in c and " run " in c and any(i in c for i in ids) for c in cmds):
            return True
        if phase == "layout" and any("--create_only=1" in c for c in cmds) and any(scratch.glob("kataio-*/client-*/*")):
            return True
        measuring = any("--status-interval=1" in c and c.split()[0].endswith("fio") for c in cmds) or any(
            c[3] and any(i in c[2] for i in ids) and running(c) for c in containers()) if ids else False
        if measuring:
            seen_measure = True
            measuring_since = measuring_since or time.monotonic()
            if phase == "measure" and time.monotonic() - measuring_since > 1.0:
                return True
        elif phase == "save" and seen_measure:
            return True
        if phase == "save" and any(scratch.parent.glob("out/*/.staging-*")):
            return True
        time.sleep(0.01)
    return False


def details(left: Left) -> None:
    for what in (*left.processes, *left.containers, *left.dirs):
        print(f"    left: {what}", file=sys.stderr)


def trial(runtime: str, phase: str, sig: signal.Signals, env: dict[str, str],
          with_watchdog: bool = False) -> list[list[str]]:
    work = Path(tempfile.mkdtemp(prefix="kataio-leftovers-", dir="/var/tmp"))
    marker = work.name
    scratch = work / "scratch"
    filesize = "512m" if phase == "layout" else "32m"
    plan = work / "plan.toml"
    plan.write_text(PLAN.format(runtime=runtime, directory=scratch, filesize=filesize))
    before_dirs = probe_dirs()
    proc = subprocess.Popen([*KATAIO, "run", "--headless", str(plan), "--out", str(work / "out")],
                            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    rows = []
    try:
        hit = wait_for_phase(proc, phase, scratch)
        if not hit:
            proc.kill()
            proc.wait()
            err = proc.stderr.read().decode(errors="replace").strip().splitlines()
            return [[runtime, phase, sig.name, "moment not reached", "", "", "", "", "", err[-1][:60] if err else ""]]
        ids = run_ids(scratch)
        sent = time.monotonic()
        if with_watchdog:  # the run's watchdog too (as a reboot or a cgroup kill would)
            for pid, cmd in processes().items():
                if "kataio_tui.safety.watchdog" in cmd and any(i in cmd for i in ids):
                    os.kill(pid, signal.SIGKILL)
        proc.send_signal(sig)  # to kataio only, as `kill` does; its process group is not signalled
        try:
            code = proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        took = time.monotonic() - sent
        ids = ids or run_ids(scratch)
        for _ in range(2400):  # the run's watchdog, if one acts, until it is done (at most 120 s)
            if not any("kataio_tui.safety.watchdog" in c and any(i in c for i in ids) for c in processes().values()):
                break
            time.sleep(0.05)
        clean = time.monotonic() - sent
        time.sleep(1.0)  # orphans would still be running; let anything racing settle
        ids = ids or run_ids(scratch)
        left = inspect(scratch, marker, before_dirs, ids)
        details(left)
        label = "KILL+watchdog" if with_watchdog else sig.name
        rows.append([runtime, phase, label, str(code), f"{took:.2f}", f"{clean:.2f}", *left.cells()])
        if sig == signal.SIGKILL:
            started = time.monotonic()
            cleanup = subprocess.run([*KATAIO, "cleanup", "--local"], cwd=REPO, env=env, capture_output=True,
                                     text=True, stdin=subprocess.DEVNULL, timeout=120)
            spent = time.monotonic() - started
            note = "" if cleanup.returncode == 0 else (cleanup.stderr.strip().splitlines() or ["?"])[-1][:50]
            left = inspect(scratch, marker, before_dirs, ids)
            details(left)
            rows.append([runtime, phase, f"{label}, then kataio cleanup", str(cleanup.returncode), "",
                         f"{spent:.2f}", *left.cells(), note])
        return rows
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        scrub(scratch, marker, before_dirs, run_ids(scratch))
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtimes", default="bare,runc,gvisor")
    parser.add_argument("--signals", default="INT,TERM,HUP,KILL")
    parser.add_argument("--phases", default="probe,layout,measure,save")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (runc, runsc)", file=sys.stderr)
        return 2
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background job starts with SIGINT ignored: kataio would inherit it
    header = ["runtime", "moment", "signal", "exit", "s to exit", "s to clean", "processes", "containers",
              "state dirs", "data files", "note"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for runtime in args.runtimes.split(","):
        for phase in args.phases.split(","):
            if phase == "probe" and runtime == "bare":
                continue  # bare has no probe container
            for name in args.signals.split(","):
                sig = signal.SIGKILL if name == "KILLALL" else signal.Signals[f"SIG{name}"]
                for row in trial(runtime, phase, sig, env, with_watchdog=name == "KILLALL"):
                    row += [""] * (len(header) - len(row))
                    print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
