"""Start skew and progress cadence of the clients: figures the tests do not assert (both depend on
the machine's load; on the shared 2-core development machine a gVisor start skew has exceeded 1 s
and fio has skipped a status document).

For each round, one run of a small plan (randread, 2 s, clients 2 and 4) under bare, runC and gVisor
through the driver and the local runner as `kataio run` does, or with --kubeconfig the Kubernetes
runner (pods in --namespace, which must exist; runtimes are then RuntimeClass names, bare the
privileged baseline pod). Prints per runtime and client count:
- the start skew (spread of the clients' measured-I/O start times) as the driver records it, median
  and worst over the rounds, and its ratio to the bare baseline's median of the same run;
- the intervals between one client's progress events (fio's --status-interval=1 documents), median
  and worst, against the 1 s interval fio is asked for; and the load average at the start.

Run as root:  .venv/bin/python bench/start_skew.py [--rounds 3] [--runtimes bare,runc,gvisor]
              [--kubeconfig PATH --namespace NS --image IMAGE]   (scripts/k8s-lab env: the lab's)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
from collections import defaultdict
from pathlib import Path

from kataio_tui.model.plan import FioParams, KubernetesTarget, Plan
from kataio_tui.runners import events as ev
from kataio_tui.runners.driver import run_plan
from kataio_tui.runners.factory import make_runner

Key = tuple[str, int]  # runtime, clients


def one_round(plan: Plan, base: Path, skews: dict[Key, list[float]], gaps: dict[Key, list[float]]) -> None:
    last: dict[tuple[str, int, int], float] = {}
    events: list[ev.Event] = []

    def emit(event: ev.Event) -> None:
        events.append(event)
        if isinstance(event, ev.ClientProgress):
            at = (event.key.runtime, event.key.clients, event.client)
            if at in last:
                gaps[(event.key.runtime, event.key.clients)].append(event.elapsed_s - last[at])
            last[at] = event.elapsed_s

    result = run_plan(plan, make_runner(plan), emit, threading.Event(), out_dir=base / "sets")
    for record in result.result_set.manifest.scenarios:
        if record.status != "ok" or record.start_skew_s is None:
            raise SystemExit(f"{record.key.label()}: {record.status}: {record.failure}")
        skews[(record.runtime, record.clients)].append(record.start_skew_s)


def small_plan(args: argparse.Namespace, base: Path) -> Plan:
    fio = FioParams(filesize="8m", runtime=2, ramp_time=0, numjobs=2, iodepth=4)
    plan = Plan(name="skew", runtimes=args.runtimes.split(","), patterns=["randread"], clients=[2, 4],
                directory=str(base), fio=fio)
    if args.kubeconfig:
        target = KubernetesTarget(kubeconfig=args.kubeconfig, namespace=args.namespace, image=args.image,
                                  image_pull_policy="Never", baseline="privileged-pod")
        plan = plan.model_copy(update={"target": "kubernetes", "kubernetes": target})
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runtimes", default="bare,runc,gvisor")
    parser.add_argument("--directory", type=Path, default=Path("/var/tmp"))
    parser.add_argument("--kubeconfig")
    parser.add_argument("--namespace", default="kataio-bench")
    parser.add_argument("--image", default="kataio.local/fio:3.33")
    args = parser.parse_args()
    skews: dict[Key, list[float]] = defaultdict(list)
    gaps: dict[Key, list[float]] = defaultdict(list)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    for round_no in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=args.directory) as tmp:
            one_round(small_plan(args, Path(tmp)), Path(tmp), skews, gaps)
        print(f"round {round_no + 1}/{args.rounds} done")
    print(f"{'runtime':<8} {'clients':>7} {'skew median':>12} {'worst':>8} {'x bare':>7} "
          f"{'progress gap median':>20} {'worst':>7}")
    for key in sorted(skews):
        base = statistics.median(skews[("bare", key[1])]) if ("bare", key[1]) in skews else None
        median = statistics.median(skews[key])
        ratio = f"{median / base:.1f}" if base else "-"
        gap = gaps.get(key) or [float("nan")]
        print(f"{key[0]:<8} {key[1]:>7} {median * 1000:>9.0f} ms {max(skews[key]) * 1000:>5.0f} ms {ratio:>7} "
              f"{statistics.median(gap):>18.2f} s {max(gap):>5.2f} s")
    print("baseline: bare (host fio processes) for the skew; the 1 s status interval for the progress gap")


if __name__ == "__main__":
    main()
