#!/usr/bin/env python3
"""Launch overhead of the Kubernetes runner: create N client pods and wait until all are Running.

For N in (1, 8, 64), interleaved, ``--repeats`` times:
- kataio: the runner's way: all creates at once from a thread pool, a watch for Running.
- baseline: ``kubectl apply -f`` of the same manifests, one object after another. The lab builds no
  kubectl (building it from the 1.20 tree would add minutes to the lab's cold build), so the baseline
  is the kubernetes Python client doing what ``kubectl apply`` does per object: a GET (404: not there
  yet) then a POST, sequentially; the same watch tells when all are Running.

The pods are the runner's real client pods (start gate, job-file ConfigMap, least-privilege security
context, runc or the chosen RuntimeClass); they wait at the gate, so Running is a steady state. Prints
the median create time and create-to-all-Running time per N and the ratio kataio / baseline.

Usage: bench/k8s_launch.py --kubeconfig PATH [--namespace kataio-bench] [--runtime-class NAME]
       [--repeats 3] [--counts 1,8,64]     (scripts/k8s-lab env prints the lab's kubeconfig)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kataio_tui.model.plan import KubernetesTarget  # noqa: E402
from kataio_tui.model.results import ScenarioKey  # noqa: E402
from kataio_tui.runners.kubernetes import manifests  # noqa: E402
from kataio_tui.runners.kubernetes.cleanup import delete_run  # noqa: E402
from kataio_tui.runners.kubernetes.scenario import create_pods  # noqa: E402
from kataio_tui.runners.kubernetes.session import ensure_namespace, open_cluster  # noqa: E402
from kataio_tui.runners.kubernetes.watching import Watcher  # noqa: E402

JOB = "[global]\nfilesize=4k\nsize=4k\nbs=4k\nrw=read\n[kataio]\n"


def sequential_apply(core, namespace: str, specs: list[dict]) -> None:
    for spec in specs:
        try:
            core.read_namespaced_pod(spec["metadata"]["name"], namespace)
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "status", None) != 404:
                raise
        response = core.create_namespaced_pod(namespace, spec, _preload_content=False)
        response.drain_conn()
        response.release_conn()


def launch(cluster, target: KubernetesTarget, count: int, runtime_class: str | None, concurrent: bool,
           timeout: float) -> tuple[float, float]:
    """(seconds until every create answered, seconds until every pod's container runs)."""
    core = cluster.core()
    names = manifests.RunNames(f"b{uuid.uuid4().hex[:8]}")
    owner = core.create_namespaced_config_map(target.namespace,
                                              manifests.owner_configmap(names, target.namespace, "bench"))
    ref = manifests.owner_reference(names, owner.metadata.uid)
    key = ScenarioKey(runtime_class or "default", "read", 4096, count)
    core.create_namespaced_config_map(target.namespace,
                                      manifests.jobfile_configmap(names, target.namespace, 0, key, JOB, ref))
    specs = [manifests.client_pod(names, target, manifests.ClientSpec(0, key, i, runtime_class), ref)
             for i in range(count)]
    running: set[str] = set()
    done = threading.Event()
    last = [0.0]

    def on_pod(kind: str, pod) -> None:
        for status in pod.status.container_statuses or []:
            if status.state and status.state.running and pod.metadata.name not in running:
                running.add(pod.metadata.name)
                last[0] = time.monotonic()
        if len(running) == count:
            done.set()

    watcher = Watcher(core.list_namespaced_pod, target.namespace, on_pod,
                      label_selector=manifests.selector(names.run_id)).start()
    try:
        watcher.listed.wait(15)
        t0 = time.monotonic()
        if concurrent:
            errors = create_pods(core, target.namespace, specs)
            if errors:
                raise errors[0]
        else:
            sequential_apply(core, target.namespace, specs)
        created = time.monotonic() - t0
        if not done.wait(timeout):
            raise TimeoutError(f"only {len(running)} of {count} pods running after {timeout:.0f} s")
        return created, last[0] - t0
    finally:
        watcher.stop()
        settle(cluster, target.namespace, names.run_id)


def settle(cluster, namespace: str, run_id: str, timeout: float = 300) -> None:
    """Delete the pods gracefully (1 s) and wait until they are gone: a graceful delete completes only once
    the kubelet has stopped the containers, so the next measurement starts on a quiet node."""
    core = cluster.core()
    selector = manifests.selector(run_id)
    core.delete_collection_namespaced_pod(namespace, label_selector=selector, grace_period_seconds=1,
                                          body={"gracePeriodSeconds": 1})
    deadline = time.monotonic() + timeout
    while core.list_namespaced_pod(namespace, label_selector=selector).items and time.monotonic() < deadline:
        time.sleep(0.5)
    delete_run(cluster, namespace, run_id)
    time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--context")
    parser.add_argument("--namespace", default="kataio-bench")
    parser.add_argument("--runtime-class", default=None)
    parser.add_argument("--image", default="kataio.local/fio:3.33")
    parser.add_argument("--pull-policy", default="Never")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--counts", default="1,8,64")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    target = KubernetesTarget(kubeconfig=args.kubeconfig, context=args.context, namespace=args.namespace,
                              create_namespace=True, image=args.image, image_pull_policy=args.pull_policy)
    cluster = open_cluster(args.kubeconfig, args.context, args.namespace)
    ensure_namespace(cluster, args.namespace, True)
    counts = [int(c) for c in args.counts.split(",")]
    results: dict[tuple[int, str], list[tuple[float, float]]] = {}
    print(f"cluster: {cluster.description}; runtime class: {args.runtime_class or '(default)'}")
    for repeat in range(args.repeats):
        for count in counts:
            ways = (("kataio", True), ("apply-sequential", False))
            for way, concurrent in ways if repeat % 2 == 0 else ways[::-1]:  # alternate which goes first
                created, running = launch(cluster, target, count, args.runtime_class, concurrent, args.timeout)
                results.setdefault((count, way), []).append((created, running))
                print(f"  run {repeat + 1} N={count:3d} {way:17s} create {created:7.3f} s  all Running {running:7.3f} s",
                      flush=True)
    print("\nmedians (seconds)          create   all Running")
    for count in counts:
        k = [statistics.median(v) for v in zip(*results[(count, "kataio")])]
        b = [statistics.median(v) for v in zip(*results[(count, "apply-sequential")])]
        print(f"N={count:3d} kataio            {k[0]:7.3f}   {k[1]:7.3f}")
        print(f"N={count:3d} apply-sequential  {b[0]:7.3f}   {b[1]:7.3f}")
        print(f"N={count:3d} ratio kataio/baseline: create {k[0] / b[0]:.2f}, all Running {k[1] / b[1]:.2f}")
    cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
