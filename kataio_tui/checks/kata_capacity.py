"""Will the plan's Kata pods fit this node? Guest RAM against /dev/shm, VM footprint against RAM.

For each Kata runtime of the plan (``--plan``), ``clients`` pods at once with the configuration its
handler really loads (kataio_tui.kata.capacity). /dev/shm: statvfs on this machine; in a --root
tree the ``size=`` of its /dev/shm line in proc/mounts (no free space known there).
"""

from __future__ import annotations

from pathlib import Path

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, warned
from kataio_tui.checks.host import read_text
from kataio_tui.checks.kata_handlers import kata_handlers
from kataio_tui.checks.kata_verdicts import host_root, installations, verdict_finding
from kataio_tui.kata import capacity
from kataio_tui.kata.config import DEV_SHM, KataSettings
from kataio_tui.kata.configload import load_config
from kataio_tui.kata.handlers import Handler, resolve_handler
from kataio_tui.kata.layout import SHIM

LOCAL_SHIM_DIRS = ("/opt/kata/bin", "/usr/local/bin", "/usr/bin")
_SIZE_SUFFIX = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def tmpfs_size(mounts_text: str, mount_point: str) -> int | None:
    """The size= option of the tmpfs at mount_point in /proc/mounts, in bytes."""
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == mount_point:
            for option in fields[3].split(","):
                if option.startswith("size="):
                    value = option[5:].lower()
                    number, suffix = value.rstrip("kmg"), value[len(value.rstrip("kmg")):]
                    if number.isdigit() and suffix in _SIZE_SUFFIX:
                        return int(number) * _SIZE_SUFFIX[suffix]
    return None


def node_memory(ctx: CheckContext, backing_dir: str) -> capacity.NodeMemory:
    meminfo = capacity.parse_meminfo(read_text(ctx, "/proc/meminfo") or "")
    if ctx.live_host:
        sizes = capacity.shm_sizes(Path(backing_dir))
        shm_total, shm_free = sizes if sizes else (None, None)
    else:
        shm_total, shm_free = tmpfs_size(read_text(ctx, "/proc/mounts") or "", backing_dir), None
    return capacity.NodeMemory(meminfo.mem_total, meminfo.mem_available, shm_total, shm_free)


def local_handler(ctx: CheckContext, name: str) -> Handler:
    """What the local runner starts for a kata-* runtime: ``ctr run --runtime`` with the shim it finds
    (runners/local_kata.py, availability.py: containerd-shim-<name>-v2, else containerd-shim-kata-v2, in
    these directories); no CRI handler, so no ConfigPath: the runtime's default lookup applies."""
    for shim in (f"containerd-shim-{name}-v2", SHIM):
        for directory in LOCAL_SHIM_DIRS:
            if ctx.path(f"{directory}/{shim}").is_file():
                runtime = shim.removeprefix("containerd-shim-").removesuffix("-v2")
                return Handler(name, "containerd", f"io.containerd.{runtime}.v2", "ctr run (the local runner)",
                               runtime_path=f"{directory}/{shim}")
    return Handler(name, "containerd", f"io.containerd.{name}.v2", "ctr run (the local runner)")


def planned_handlers(ctx: CheckContext) -> list[Handler]:
    """The plan's Kata runtimes as handlers: for a Kubernetes plan containerd's or CRI-O's handler of
    that name (kata-deploy names the RuntimeClass after it), for a local plan what ctr runs."""
    if ctx.options.plan_target == "local":
        return [local_handler(ctx, name) for name in ctx.options.kata_runtimes]
    configured: dict[str, Handler] = {}
    for handler in kata_handlers(ctx):  # containerd's first, then CRI-O's
        configured.setdefault(handler.name, handler)
    return [configured.get(name) or Handler(name, "containerd", f"io.containerd.{name}.v2", "(no such handler)")
            for name in ctx.options.kata_runtimes]


def check_capacity(ctx: CheckContext) -> list[Finding]:
    if not ctx.options.kata_runtimes:
        raise SkipCheck("no Kata runtime planned (give --plan with a kata-* runtime)")
    root = host_root(ctx)
    findings = []
    for handler in planned_handlers(ctx):
        kw = {"key": handler.name, "title": f"Kata capacity for {handler.name}"}
        use = resolve_handler(root, handler, installations(ctx))
        loaded = load_config(root, use.config, use.runtime) if use.config and use.runtime else None
        if loaded is None or not loaded.ok:
            why = loaded.error if loaded else "; ".join(use.problems) or use.runtime_how
            findings.append(warned(f"{use.describe()}; {why}", "kataio cannot tell how much memory these VMs "
                                   "take without their configuration", "see kata.handlers", **kw))
            continue
        load = capacity.kata_load(KataSettings.of(loaded), ctx.options.clients, handler.name)
        node = node_memory(ctx, load.backing_dir or DEV_SHM)
        verdicts = capacity.capacity(load, node)
        observed = "\n".join([use.describe(), f"loads {loaded.shown()}",
                              *(v.subject for v in verdicts)])
        findings.append(verdict_finding(observed, verdicts, f"{load.pods} {handler.name} pods fit this node", **kw))
    return findings
