"""Which kubeconfig kataio uses, and its current context read as YAML (without the Kubernetes client)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class KubeContext:
    file: Path | None
    context: str | None = None
    cluster: str | None = None
    server: str | None = None
    namespace: str | None = None
    error: str | None = None


def kubeconfig_candidates(explicit: str | None) -> tuple[str | None, list[str]]:
    """(the value to load, the files looked at). None to load: no file exists."""
    if explicit:
        return (explicit if Path(explicit).expanduser().is_file() else None), [explicit]
    env = os.environ.get("KUBECONFIG", "")
    looked = [p for p in env.split(os.pathsep) if p] if env else [str(Path("~/.kube/config").expanduser())]
    existing = [p for p in looked if Path(p).expanduser().is_file()]
    return (os.pathsep.join(existing) if existing else None), looked


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
