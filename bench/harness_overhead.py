"""Harness overhead of the local runner, against plain fio run by hand.

1. Bandwidth: the same job (one client, the quick preset's fio settings) run by `kataio`'s driver
   with the local runner (bare) and by plain `fio` in the same directory on the same files, arms
   rotated per round.
   Prints each round and the median ratio kataio / plain fio (target: >= 97 %).
2. Container start overhead: wall time of `<runtime> run` of `fio --version` in the local
   runner's OCI bundle, against `fio --version` run directly (baseline), median of N.

Run as root on an idle machine:  .venv/bin/python bench/harness_overhead.py [--rounds 6] [--runtime 5]
(/dev/shm is tmpfs, which has O_DIRECT since Linux 6.6: CPU-bound, so harness CPU cost shows most.)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from kataio_tui.fio.jobfile import FIO_ARGS, LAYOUT_ARGS, render_jobfile
from kataio_tui.fio.reader import read_fio_output
from kataio_tui.fio.summary import client_summaries
from kataio_tui.model.plan import FioParams, Plan
from kataio_tui.local.availability import local_runtime_status, oci_tool
from kataio_tui.runners.driver import aggregate_bw, run_plan
from kataio_tui.runners.local import LocalRunner
from kataio_tui.local.oci import force_delete, oci_config, write_bundle


RUN_ID = "harness-bench"


def kataio_bw(plan: Plan, base: Path, round_no: int) -> float:
    """One `kataio run` (driver + local runner, bare); its files are kept for the plain arms."""
    result = run_plan(plan, LocalRunner(state_root=base / "state"), lambda e: None, threading.Event(),
                      out_dir=base / "sets" / f"r{round_no}", run_id=RUN_ID, keep_files=True)
    (record,) = result.result_set.manifest.scenarios
    if record.status != "ok":
        raise SystemExit(f"kataio run failed: {record.failure}")
    return aggregate_bw([(f, result.result_set.read_raw(f)) for f in record.files])


def plain_bw(job: Path, work: Path, status: bool) -> float:
    """fio by hand in the very directory kataio's client used (same files, same place on disk)."""
    args = FIO_ARGS if status else FIO_ARGS[:1]
    out = subprocess.run(["fio", *args, str(job)], cwd=work, capture_output=True, check=True).stdout
    return sum(s.bw_bytes for s in client_summaries(read_fio_output(out, "plain"), "plain"))


ARMS = ("kataio", "plain", "plain+status")


def bandwidth(rounds: int, runtime: int, pattern: str, directory: Path) -> None:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        base = Path(tmp)
        plan = Plan(name="bench", runtimes=["bare"], patterns=[pattern], clients=[1], directory=str(base),
                    fio=FioParams(filesize="256m", runtime=runtime, ramp_time=1, numjobs=4, iodepth=8))
        key = plan.scenarios()[0]
        work = base / f"kataio-{RUN_ID}" / "client-0"  # the local runner's directory of client 0
        work.mkdir(parents=True)
        job = base / "job.fio"
        job.write_text(render_jobfile(plan, key))
        subprocess.run(["fio", *LAYOUT_ARGS, str(job)], cwd=work, capture_output=True, check=True)
        print(f"bandwidth in {directory}: {pattern} {plan.fio.numjobs} jobs x iodepth {plan.fio.iodepth}, 64k, "
              f"direct=1, {runtime} s (+1 s ramp), {rounds} rounds, arms rotated, same data files; baseline: "
              "plain fio (`fio --output-format=json+ job.fio`); plain+status adds kataio's --status-interval=1")
        ratios, status_ratios = [], []
        for i in range(rounds):
            order = ARMS[i % 3:] + ARMS[:i % 3]
            got = {}
            for arm in order:
                got[arm] = kataio_bw(plan, base, i) if arm == "kataio" else plain_bw(job, work, arm != "plain")
            ratios.append(got["kataio"] / got["plain"])
            status_ratios.append(got["plain+status"] / got["plain"])
            print(f"  round {i + 1:2}: " + "  ".join(f"{a} {got[a] / 2**20:8.1f}" for a in ARMS) +
                  f" MiB/s  kataio/plain {ratios[-1] * 100:6.1f} %", flush=True)
        median = statistics.median(ratios)
        verdict = "meets" if median >= 0.97 else "MISSES"
        print(f"  median kataio / plain fio: {median * 100:.1f} % ({verdict} the 97 % target); spread "
              f"{min(ratios) * 100:.1f} to {max(ratios) * 100:.1f} %")
        print(f"  median plain+status / plain fio: {statistics.median(status_ratios) * 100:.1f} % "
              "(fio's own cost of the live status documents)")


def start_overhead(samples: int) -> None:
    print(f"container start: `<runtime> run` of `fio --version`, median of {samples}; baseline: fio --version")
    baseline = []
    for _ in range(samples):
        t = time.perf_counter()
        subprocess.run(["fio", "--version"], capture_output=True, check=True)
        baseline.append(time.perf_counter() - t)
    base_s = statistics.median(baseline)
    print(f"  bare     {base_s * 1000:8.1f} ms")
    for name in ("runc", "crun", "gvisor"):
        status = local_runtime_status(name, probe=True)
        if not status.available:
            print(f"  {name:8} unavailable: {status.reason}")
            continue
        tool = oci_tool(name)
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            (base / "ctl").mkdir()
            (base / "data").mkdir()
            write_bundle(base / "b", oci_config(["/usr/bin/fio", "--version"], base / "data", base / "ctl", "b"))
            times = []
            for i in range(samples):
                cid = f"kataio-bench-{name}-{i}"
                t = time.perf_counter()
                proc = subprocess.run(tool.command("run", "--bundle", str(base / "b"), cid), capture_output=True)
                times.append(time.perf_counter() - t)
                force_delete(tool, cid)
                if proc.returncode != 0:
                    raise SystemExit(f"{name}: {proc.stderr.decode()}")
        med = statistics.median(times)
        print(f"  {name:8} {med * 1000:8.1f} ms  (+{(med - base_s) * 1000:.1f} ms over bare; "
              f"min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runtime", type=int, default=5)
    parser.add_argument("--pattern", default="randread")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--directory", type=Path, action="append",
                        help="where the files go; repeat for several (default: /var/tmp and /dev/shm)")
    args = parser.parse_args()
    start_overhead(args.samples)
    for directory in args.directory or [Path("/var/tmp"), Path("/dev/shm")]:
        bandwidth(args.rounds, args.runtime, args.pattern, directory)


if __name__ == "__main__":
    main()
