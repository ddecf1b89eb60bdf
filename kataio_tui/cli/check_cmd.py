"""`kataio check`: can Kata work here? Host and cluster prerequisites, as a table or as JSON.

Exit status: 0 when nothing FAILs, 1 when something FAILs, 2 when the checks could not run at all
(bad options, or every check skipped).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kataio_tui.errors import KataioError

PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check this host and the cluster for Kata prerequisites",
                       description="Check this host and a Kubernetes cluster for what Kata Containers and "
                                   "kataio's benchmarks need. Exit 0: nothing failed; 1: something failed; "
                                   "2: the checks could not run.")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--host-only", action="store_true", help="only the host checks")
    scope.add_argument("--cluster-only", action="store_true", help="only the cluster checks")
    p.add_argument("--canary", action="store_true",
                   help="start one tiny pod per RuntimeClass and watch it (always deleted afterwards)")
    p.add_argument("--json", action="store_true", help="print the stable JSON document (docs/checks.md)")
    p.add_argument("--plan", metavar="FILE", help="take target directory, sizes and cluster settings from a plan")
    host = p.add_argument_group("host")
    host.add_argument("--root", metavar="DIR", help="read /proc, /sys, /etc, /opt under DIR (default /)")
    host.add_argument("--target-dir", metavar="DIR", help="where fio will write: O_DIRECT and room are tried")
    host.add_argument("--clients", type=int, metavar="N", help="clients planned (room check; default 1)")
    host.add_argument("--numjobs", type=int, metavar="N", help="fio jobs per client (default 4)")
    host.add_argument("--file-size", metavar="SIZE", help="file size per job, e.g. 1g (default 32g, the study's)")
    host.add_argument("--containerd-config", metavar="FILE", help="containerd's main config "
                                                                 "(default /etc/containerd/config.toml)")
    cluster = p.add_argument_group("cluster")
    cluster.add_argument("--kubeconfig", metavar="FILE")
    cluster.add_argument("--context", metavar="NAME")
    cluster.add_argument("--namespace", "-n", metavar="NAME")
    cluster.add_argument("--runtime-class", action="append", metavar="NAME", dest="runtime_classes",
                         help="a RuntimeClass to check (repeatable; default: all that exist)")
    storage = cluster.add_mutually_exclusive_group()
    storage.add_argument("--pvc", metavar="NAME", help="storage target: an existing claim")
    storage.add_argument("--storage-class", metavar="NAME", help="storage target: a StorageClass")
    storage.add_argument("--host-path", metavar="DIR", help="storage target: a directory on the nodes")
    cluster.add_argument("--canary-image", metavar="IMAGE", help="image of the canary pods")
    cluster.add_argument("--image-pull-policy", choices=PULL_POLICIES, help="default IfNotPresent")
    cluster.add_argument("--canary-timeout", type=float, metavar="SECONDS", help="default 120")
    p.set_defaults(handler=cmd_check)


def build_options(args: argparse.Namespace):
    """CheckOptions from the command line (and --plan); KataioError for bad values."""
    from kataio_tui.checks.options import CheckOptions, options_from_plan
    from kataio_tui.model.plan import KubernetesStorage, load_plan
    from kataio_tui.units import parse_size

    overrides: dict = {}
    if args.root:
        root = Path(args.root)
        if not root.is_dir():
            raise KataioError(f"--root {args.root}: not a directory")
        overrides["root"] = root
    if args.target_dir:
        overrides["target_dir"] = Path(args.target_dir).expanduser().absolute()
    for name in ("clients", "numjobs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise KataioError(f"--{name} {value}: must be 1 or more")
        overrides[name] = value
    if args.file_size:
        try:
            overrides["file_size"] = parse_size(args.file_size)
        except ValueError as exc:
            raise KataioError(f"--file-size: {exc}") from None
    if args.containerd_config:
        overrides["containerd_config"] = Path("/" + args.containerd_config.lstrip("/"))
    if args.kubeconfig and not Path(args.kubeconfig).expanduser().is_file():
        raise KataioError(f"--kubeconfig {args.kubeconfig}: no such file")
    if args.canary_timeout is not None and args.canary_timeout <= 0:
        raise KataioError(f"--canary-timeout {args.canary_timeout:g}: must be more than 0 seconds")
    if args.canary and args.host_only:
        raise KataioError("--canary needs the cluster checks: drop --host-only")
    try:
        if args.pvc:
            overrides["storage"] = KubernetesStorage(kind="pvc", claim=args.pvc)
        elif args.storage_class:
            overrides["storage"] = KubernetesStorage(kind="storageclass", storage_class=args.storage_class)
        elif args.host_path:
            overrides["storage"] = KubernetesStorage(kind="hostPath", path=args.host_path)
    except ValueError as exc:
        raise KataioError(f"storage target: {exc}") from None
    overrides.update(kubeconfig=args.kubeconfig, context=args.context, namespace=args.namespace,
                     canary_image=args.canary_image, image_pull_policy=args.image_pull_policy,
                     canary_timeout_s=args.canary_timeout, canary=args.canary or None,
                     runtime_classes=tuple(args.runtime_classes) if args.runtime_classes else None)
    overrides["require_cluster"] = bool(args.cluster_only or args.kubeconfig or args.context or args.canary
                                        or args.runtime_classes) or None
    if args.plan:
        return options_from_plan(load_plan(args.plan), **overrides)
    return CheckOptions(**{k: v for k, v in overrides.items() if v is not None})


def cmd_check(args: argparse.Namespace) -> int:
    """The checks; SIGTERM and SIGHUP stop them as Ctrl-C does (running probes and canaries clean up)."""
    from kataio_tui.safety.signals import InterruptOnSignals, SignalInterrupt, exit_status

    try:
        with InterruptOnSignals():
            return _check(args)
    except SignalInterrupt as exc:
        print(f"kataio: stopped by {exc}", file=sys.stderr)
        return exit_status(exc.signum)


def leftovers_report() -> list[dict]:
    """What dead kataio runs of this user left on this host (dead probes are cleared on the way)."""
    from kataio_tui.safety.reaper import dead_leftovers, reap_dead_probes

    try:
        reap_dead_probes()
        return [{"run_id": view.run_id, "left": left} for view, left in dead_leftovers() if left]
    except KataioError as exc:  # an unusable state directory is itself worth saying
        return [{"run_id": None, "left": [str(exc)]}]


def print_leftovers(found: list[dict]) -> None:
    if not found:
        return
    print(f"\nleft behind by {len(found)} dead kataio run(s) of this user; remove with `kataio cleanup`:")
    for item in found:
        for what in item["left"]:
            print(f"  {'run ' + item['run_id'] + ': ' if item['run_id'] else ''}{what}")


def _check(args: argparse.Namespace) -> int:
    from kataio_tui.checks.engine import exit_code, report_document, run_checks
    from kataio_tui.checks.registry import Selection, plan_checks

    options = build_options(args)
    found = leftovers_report() if not args.cluster_only else []
    selection = Selection(host=not args.cluster_only, cluster=not args.host_only)
    checks = plan_checks(selection, options)
    if args.json:
        results = run_checks(checks, options)
        context = {"root": str(options.root), "target_dir": str(options.target_dir) if options.target_dir else None,
                   "kubeconfig": options.kubeconfig, "context": options.context, "namespace": options.namespace,
                   "runtime_classes": list(options.runtime_classes), "canary": options.canary}
        document = report_document(results, context)
        document["leftovers"] = found
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return exit_code(results)
    from kataio_tui.checks.render import print_results, run_with_progress

    results = run_with_progress(checks, options)
    print_results(results, options)
    print_leftovers(found)
    return exit_code(results)
