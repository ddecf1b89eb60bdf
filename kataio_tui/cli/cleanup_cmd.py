"""`kataio cleanup`: remove what dead runs of this user left, on this host (from their journals:
processes, containers, bundles, data files; no cluster needed) and in a cluster (pods, ConfigMaps,
claims, by label). A live run (its journal is locked) and other users' runs are never touched."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from kataio_tui.errors import KataioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cleanup", help="remove what dead kataio runs left: on this host, and in a cluster",
                       description="On this host: every dead run of this user that left processes, containers, "
                                   "bundles or data files (from the run journals in the private state directory; "
                                   "live runs hold a lock and are left alone). In a cluster (when a kubeconfig "
                                   "is given or found): every object labelled app.kubernetes.io/name=kataio (of "
                                   "one run with --run-id); namespaces are never deleted.")
    p.add_argument("--run-id", metavar="ID", help="only this run (its id is in the result set's provenance, the "
                                                  "journal's name and the objects' kataio.io/run-id label)")
    p.add_argument("--local", action="store_true", help="only this host; do not contact a cluster")
    p.add_argument("--kubeconfig", metavar="FILE")
    p.add_argument("--context", metavar="NAME")
    p.add_argument("--namespace", metavar="NS", help="only this namespace (default: every namespace the user "
                                                     "may list, else the context's namespace)")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed")
    p.set_defaults(handler=cmd_cleanup)


def cmd_cleanup(args: argparse.Namespace) -> int:
    if args.run_id is not None and not re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", args.run_id):
        raise KataioError(f"--run-id {args.run_id!r} is not a run id (letters, digits, '-', '_', '.')")
    code = cleanup_local(args.run_id, args.dry_run)
    asked = bool(args.kubeconfig or args.context or args.namespace)
    if args.local or not (asked or _kubeconfig_present()):
        return code
    try:
        return max(code, cleanup_cluster(args))
    except KataioError as exc:
        if asked:
            raise
        print(f"cluster: not cleaned ({exc}); `kataio cleanup --local` skips the cluster", file=sys.stderr)
        return max(code, 1)


def _kubeconfig_present() -> bool:
    env = os.environ.get("KUBECONFIG", "")
    paths = [p for p in env.split(os.pathsep) if p] if env else [str(Path("~/.kube/config").expanduser())]
    return any(Path(p).is_file() for p in paths)


def cleanup_local(run_id: str | None, dry_run: bool, directory: Path | None = None) -> int:
    """This host's part; 0 when nothing is left, 1 when something could not be removed."""
    from kataio_tui.safety.journal import list_journals
    from kataio_tui.safety.reaper import leftovers, load_handlers, reap

    views = [v for v in list_journals(directory) if run_id is None or v.run_id == run_id]
    live = [v for v in views if v.alive]
    for view in live:
        if run_id is not None:
            holder = view.holder.describe() if view.holder else "a live process"
            print(f"run {view.run_id} is alive ({holder}): left alone")
    dead = [v for v in views if not v.alive]
    if not dead:
        which = f"run {run_id}" if run_id else "dead kataio runs of this user"
        more = f"; {len(live)} live run(s) left alone" if live and run_id is None else ""
        print(f"this host: nothing left by {which}{more}")
        return 0
    started, failed = time.monotonic(), False
    for view in dead:
        load_handlers(view)
        left = leftovers(view)
        what = ", ".join(left) or "nothing (only its journal)"
        if dry_run:
            print(f"would remove (run {view.run_id}, {view.meta.get('kind', 'run')}): {what}")
            continue
        result = reap(view)
        if result is None:
            print(f"run {view.run_id}: came alive or was cleaned meanwhile; left alone")
            continue
        print(f"removed (run {view.run_id}): {what}")
        for problem in result.problems:
            failed = True
            print(f"  not removed: {problem}", file=sys.stderr)
    if not dry_run:
        print(f"this host: {len(dead)} dead run(s) cleaned in {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


def cleanup_cluster(args: argparse.Namespace) -> int:
    from kataio_tui.runners.kubernetes.cleanup import cleanup_leftovers, find_leftovers
    from kataio_tui.runners.kubernetes.session import open_cluster

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
            print(f"cluster: nothing of kataio's ({which}) in {where}")
            return 0
        for ns, kind, name, run in found.objects:
            print(f"{'would delete' if args.dry_run else 'deleting'} {kind} {ns}/{name} (run {run})")
        if args.dry_run:
            return 0
        _, remaining = cleanup_leftovers(cluster, namespace, args.run_id)
        if remaining.objects or remaining.problems:
            left = ", ".join(f"{kind} {ns}/{name}" for ns, kind, name, _ in remaining.objects)
            raise KataioError(f"cleanup incomplete: {'; '.join(remaining.problems)} {left}".strip())
        print(f"cluster: deleted {found.count()} objects ({which}) in {where}")
        return 0
    finally:
        cluster.close()
