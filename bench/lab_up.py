#!/usr/bin/env python3
"""Warm start of the Kubernetes lab: one node against a baseline revision's scripts, and two nodes.

Per round, interleaved (so that the machine's load hits all alike):
- baseline: ``scripts/k8s-lab up`` of ``--baseline`` (a git revision; default: the commit before two-node
  support came in), exported with ``git archive`` into a temporary directory;
- current 1 node: ``scripts/k8s-lab up`` of this tree;
- current 2 nodes: ``scripts/k8s-lab up --nodes 2``, then node 2's kubelet stopped (SIGTERM through
  ``k8s-lab stop``) until the node is no longer Ready, and started again until it is Ready and untainted.
Each ``up`` is timed from the call until it returns (the node(s) Ready and untainted), then ``down``.
All use the same cache and their own state dir, bridge and subnet (never the default lab's).
Prints medians (min-max) and the ratio current / baseline for one node.

Usage: bench/lab_up.py [--rounds 3] [--baseline REV]     (root, lab cache built: scripts/k8s-lab build)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def first_two_node_commit_parent() -> str:
    added = subprocess.run(["git", "-C", str(REPO), "log", "--diff-filter=A", "--format=%H", "--",
                            "scripts/lab/component.sh"], capture_output=True, text=True, check=True).stdout.split()
    if not added:
        sys.exit("bench: no commit adds scripts/lab/component.sh; pass --baseline REV")
    return f"{added[-1]}^"


def lab_env() -> dict:
    """One lab at a time (each is down before the next is up), never the default lab's state or bridge."""
    cache = os.environ.get("KATAIO_LAB_CACHE") or str(Path.home() / ".cache" / "kataio-lab")
    return dict(os.environ, KATAIO_LAB_CACHE=cache, KATAIO_LAB_STATE=f"{cache}/state-bench",
                KATAIO_LAB_BRIDGE="kataiolabb0", KATAIO_LAB_POD_SUBNET="10.244.97.0/24")


CURRENT = REPO / "scripts" / "k8s-lab"


def run(script: Path, *args: str, env: dict) -> float:
    t0 = time.monotonic()
    out = subprocess.run([str(script), *args], env=env, check=False, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        subprocess.run([str(CURRENT), "down"], env=env, check=False, capture_output=True, timeout=300)
        sys.exit(f"bench: {script} {' '.join(args)} failed ({out.returncode}): {out.stdout[-500:]}{out.stderr[-2000:]}")
    return time.monotonic() - t0


def down(script: Path, env: dict) -> None:
    """The baseline's own down; the current one after it if state is left (older scripts could stop
    half-way when the k8s.io cgroup they created was not empty because another lab used it)."""
    subprocess.run([str(script), "down"], env=env, check=False, capture_output=True, timeout=300)
    if Path(env["KATAIO_LAB_STATE"]).exists():
        run(CURRENT, "down", env=env)


def node_fault(script: Path, env: dict) -> tuple[float, float]:
    """(s from SIGTERM to node 2 not Ready, s from restart to Ready and untainted)."""
    from kubernetes import client, config
    info = dict(line.split("=", 1) for line in subprocess.run([str(script), "env"], env=env, capture_output=True,
                                                              text=True, check=True).stdout.splitlines())
    api = config.new_client_from_config(config_file=info["KUBECONFIG"])
    core = client.CoreV1Api(api)
    node = info["KATAIO_LAB_NODES"].split(",")[1]

    def state() -> tuple[str, list]:
        n = core.read_node(node)
        return next(c.status for c in n.status.conditions if c.type == "Ready"), n.spec.taints or []

    t0 = time.monotonic()
    run(script, "stop", "kubelet", "--node", "2", env=env)
    while state()[0] == "True":
        time.sleep(0.1)
    down = time.monotonic() - t0
    t1 = time.monotonic()
    run(script, "start", "kubelet", "--node", "2", env=env)
    while state() != ("True", []):
        time.sleep(0.1)
    back = time.monotonic() - t1
    api.close()
    return down, back


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):5.1f} s ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", default=None, help="git revision of the baseline scripts")
    args = ap.parse_args()
    baseline_rev = args.baseline or first_two_node_commit_parent()
    current = CURRENT
    results: dict[str, list[float]] = {"baseline": [], "current": [], "current2": [], "notready": [], "back": []}
    with tempfile.TemporaryDirectory(prefix="kataio-bench-lab-") as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", baseline_rev, "scripts"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        baseline = Path(tmp) / "scripts" / "k8s-lab"
        short = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", baseline_rev],
                               capture_output=True, text=True, check=True).stdout.strip()
        print(f"baseline {baseline_rev} ({short}), {args.rounds} rounds, load average at start {os.getloadavg()[0]:.1f}")
        for r in range(args.rounds):
            for name, script, up_args in (("baseline", baseline, ()), ("current", current, ()),
                                          ("current2", current, ("--nodes", "2"))):
                env = lab_env()
                results[name].append(run(script, "up", *up_args, env=env))
                if name == "current2":
                    not_ready, back = node_fault(script, env)
                    results["notready"].append(not_ready)
                    results["back"].append(back)
                down(script, env)
            print(f"round {r + 1}: baseline {results['baseline'][-1]:.1f} s, current {results['current'][-1]:.1f} s, "
                  f"2 nodes {results['current2'][-1]:.1f} s, NotReady {results['notready'][-1]:.1f} s, "
                  f"Ready again {results['back'][-1]:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    print(f"up, 1 node, baseline scripts : {summary(results['baseline'])}")
    print(f"up, 1 node, current scripts  : {summary(results['current'])}  "
          f"ratio current/baseline {statistics.median(results['current']) / statistics.median(results['baseline']):.2f}")
    print(f"up --nodes 2, current        : {summary(results['current2'])}")
    print(f"kubelet SIGTERM -> NotReady  : {summary(results['notready'])}")
    print(f"kubelet start -> Ready       : {summary(results['back'])}")


if __name__ == "__main__":
    main()
