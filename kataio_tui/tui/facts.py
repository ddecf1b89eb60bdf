"""Cheap facts for the home screen: host, kubeconfig context and namespace, which local runtimes can
run fio (the local runner's own availability answers, each probed with a throw-away container).

The kubeconfig is read as YAML here; the Kubernetes client is never imported for this.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

@dataclass(frozen=True, slots=True)
class RuntimeGlance:
    available: bool
    reason: str


@dataclass(frozen=True, slots=True)
class KubeContext:
    file: Path | None
    context: str | None = None
    cluster: str | None = None
    server: str | None = None
    namespace: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class HostFacts:
    hostname: str
    kernel: str
    virtualization: str | None  # "vmx", "svm" or None
    kvm: bool
    fio: str | None = None  # fio's version, None when it is missing
    runtimes: dict[str, RuntimeGlance] = field(default_factory=dict)
    kube: KubeContext | None = None


def kubeconfig_path(environ: dict[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    first = (env.get("KUBECONFIG") or "").split(os.pathsep)[0]
    path = Path(first).expanduser() if first else Path.home() / ".kube" / "config"
    return path if path.is_file() else None


def read_kube_context(path: Path | None) -> KubeContext:
    if path is None:
        return KubeContext(None, error="no kubeconfig (KUBECONFIG unset and ~/.kube/config missing)")
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        return KubeContext(path, error=f"cannot read: {exc}")
    except yaml.YAMLError as exc:
        return KubeContext(path, error=f"not valid YAML: {str(exc).splitlines()[0]}")
    if not isinstance(data, dict):
        return KubeContext(path, error="not a kubeconfig (top level is not a mapping)")
    current = data.get("current-context")
    if not current:
        return KubeContext(path, error="no current-context set")
    ctx = next((c.get("context") or {} for c in data.get("contexts") or []
                if isinstance(c, dict) and c.get("name") == current), None)
    if ctx is None:
        return KubeContext(path, current, error=f"current-context {current!r} is not among its contexts")
    cluster = ctx.get("cluster")
    server = next(((c.get("cluster") or {}).get("server") for c in data.get("clusters") or []
                   if isinstance(c, dict) and c.get("name") == cluster), None)
    return KubeContext(path, current, cluster, server, ctx.get("namespace") or "default")


def cpu_virtualization(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[-1].split())
            return "vmx" if "vmx" in flags else "svm" if "svm" in flags else None
    return None


def gather() -> HostFacts:
    from kataio_tui.model.plan import LOCAL_RUNTIMES
    from kataio_tui.runners.availability import fio_version, local_runtime_status

    from concurrent.futures import ThreadPoolExecutor

    uname = platform.uname()
    # probed for real (a throw-away container each, in parallel): an installed runtime that cannot
    # start a container here (crun on a hybrid cgroup host) must not show as available
    with ThreadPoolExecutor(max_workers=len(LOCAL_RUNTIMES)) as pool:
        statuses = list(pool.map(lambda name: local_runtime_status(name, probe=True), LOCAL_RUNTIMES))
    runtimes = {s.name: RuntimeGlance(s.available, s.reason) for s in statuses}
    return HostFacts(
        hostname=uname.node,
        kernel=uname.release,
        virtualization=cpu_virtualization(),
        kvm=Path("/dev/kvm").exists(),
        fio=fio_version(),
        runtimes=runtimes,
        kube=read_kube_context(kubeconfig_path()),
    )
