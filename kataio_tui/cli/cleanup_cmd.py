"""`kataio cleanup`: delete what a crashed Kubernetes run left (pods, ConfigMaps, claims), by label."""

from __future__ import annotations

import argparse
import re

from kataio_tui.errors import KataioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cleanup", help="delete kataio's leftover pods, ConfigMaps and claims from a cluster",
                       description="Delete every object labelled app.kubernetes.io/name=kataio (of one run with "
                                   "--run-id) and wait until it is gone. Namespaces are never deleted.")
    p.add_argument("--run-id", metavar="ID", help="only this run's objects (the run id is in the result set's "
                                                  "provenance and in the objects' kataio.io/run-id label)")
    p.add_argument("--kubeconfig", metavar="FILE")
    p.add_argument("--context", metavar="NAME")
    p.add_argument("--namespace", metavar="NS", help="only this namespace (default: every namespace the user "
                                                     "may list, else the context's namespace)")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    p.set_defaults(handler=cmd_cleanup)


def cmd_cleanup(args: argparse.Namespace) -> int:
    from kataio_tui.runners.kubernetes.cleanup import cleanup_leftovers, find_leftovers
    from kataio_tui.runners.kubernetes.session import open_cluster

    if args.run_id is not None and not re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", args.run_id):
        raise KataioError(f"--run-id {args.run_id!r} is not a run id (letters, digits, '-', '_', '.')")
    cluster = open_cluster(args.kubeconfig, args.context, args.namespace or "default")
    try:
        namespace = args.namespace
        found = find_leftovers(cluster, namespace, args.run_id)
        if namespace is None and found.problems:  # may not list cluster-wide: the context's namespace
            namespace = cluster.namespace
            found = find_leftovers(cluster, namespace, args.run_id)
        if found.problems:
            raise KataioError("; ".join(found.problems))
        where = f"namespace {namespace}" if namespace else "all namespaces"
        which = f"run {args.run_id}" if args.run_id else "every run"
        if not found.objects:
            print(f"nothing of kataio's ({which}) in {where}")
            return 0
        for ns, kind, name, run in found.objects:
            print(f"{'would delete' if args.dry_run else 'deleting'} {kind} {ns}/{name} (run {run})")
        if args.dry_run:
            return 0
        _, remaining = cleanup_leftovers(cluster, namespace, args.run_id)
        if remaining.objects or remaining.problems:
            left = ", ".join(f"{kind} {ns}/{name}" for ns, kind, name, _ in remaining.objects)
            raise KataioError(f"cleanup incomplete: {'; '.join(remaining.problems)} {left}".strip())
        print(f"deleted {found.count()} objects ({which}) in {where}")
        return 0
    finally:
        cluster.close()
