"""Container runtimes on the host: containerd's and CRI-O's runtime handlers (which are Kata), and
the OCI runtimes runc, crun and runsc with their versions."""

from __future__ import annotations

import glob
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, passed, warned
from kataio_tui.checks.host import find_binary, run_command
from kataio_tui.checks.kata_install import SHIM

CONTAINERD_CONFIG = "/etc/containerd/config.toml"
# CRI plugin id that holds `containerd.runtimes` per containerd config version.
CRI_PLUGIN_IDS = {1: "cri", 2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime"}
CRIO_CONFIG = "/etc/crio/crio.conf"
CRIO_DROP_IN_DIR = "/etc/crio/crio.conf.d"
KATA_RUNTIME_TYPE = re.compile(r"^io\.containerd\.kata(-[a-z0-9-]+)?\.v2$")
OCI_RUNTIMES = (("runc", "runC baseline (the study's)"), ("crun", "crun comparison"),
                ("runsc", "gVisor comparison"))
LOCAL_NAMES = ("runc", "crun", "gvisor")  # the same runtimes by their plan names (local/availability.py)


class ConfigError(Exception):
    """A runtime configuration file cannot be read or parsed; the message names the file."""


@dataclass(frozen=True)
class Handler:
    name: str
    runtime_type: str
    source: str  # host path of the file that defines it
    plugin_id: str = ""
    runtime_path: str = ""
    config_path: str = ""

    @property
    def is_kata(self) -> bool:
        return (bool(KATA_RUNTIME_TYPE.match(self.runtime_type)) or SHIM in self.runtime_path
                or (self.runtime_type == "vm" and self.name.startswith("kata")))

    def shim_binary(self) -> str:
        """What containerd executes: runtime_path, else containerd-shim-<name>-<version> on its PATH."""
        if self.runtime_path:
            return self.runtime_path
        parts = self.runtime_type.split(".")
        if len(parts) >= 4 and parts[0] == "io" and parts[1] == "containerd":
            return f"containerd-shim-{'.'.join(parts[2:-1])}-{parts[-1]}"
        return ""

    def describe(self) -> str:
        extra = [x for x in (self.runtime_path and f"shim {self.runtime_path}",
                             self.config_path and f"config {self.config_path}") if x]
        return f"{self.name} ({self.runtime_type}{'; ' + '; '.join(extra) if extra else ''})"


def _load_toml(ctx: CheckContext, host_path: str) -> dict:
    try:
        return tomllib.loads(ctx.path(host_path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{host_path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{host_path}: cannot be read: {exc}") from None


def _dig(data: dict, *path: str) -> dict:
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def containerd_files(ctx: CheckContext, main: str) -> list[tuple[str, dict]]:
    """The main config and, recursively, its `imports` (globs, relative to the importing file)."""
    files: list[tuple[str, dict]] = []
    seen: set[str] = set()

    def load(host_path: str) -> None:
        if host_path in seen:
            return
        seen.add(host_path)
        data = _load_toml(ctx, host_path)
        files.append((host_path, data))
        for pattern in data.get("imports", []) or []:
            if not isinstance(pattern, str):
                continue
            absolute = pattern if pattern.startswith("/") else str(Path(host_path).parent / pattern)
            for match in sorted(glob.glob(str(ctx.path(absolute)))):
                load("/" + str(Path(match).relative_to(ctx.root)))

    load(main)
    return files


def containerd_handlers(files: list[tuple[str, dict]]) -> list[Handler]:
    handlers: dict[str, Handler] = {}
    for source, data in files:
        plugins = data.get("plugins", {})
        for plugin_id in CRI_PLUGIN_IDS.values():
            runtimes = _dig(plugins, plugin_id, "containerd", "runtimes")
            for name, table in runtimes.items():
                if not isinstance(table, dict):
                    continue
                options = table.get("options", {}) if isinstance(table.get("options"), dict) else {}
                handlers[name] = Handler(name=name, runtime_type=str(table.get("runtime_type", "")), source=source,
                                         plugin_id=plugin_id, runtime_path=str(table.get("runtime_path", "")),
                                         config_path=str(options.get("ConfigPath", "")))
    return list(handlers.values())


def _kata_handler_problems(ctx: CheckContext, handler: Handler) -> list[str]:
    problems = []
    shim = handler.shim_binary()
    if shim.startswith("/"):
        if not ctx.path(shim).exists():
            problems.append(f"{handler.name}: shim {shim} is missing")
    elif shim and find_binary(ctx, shim) is None:
        problems.append(f"{handler.name}: {shim} is not on PATH (containerd looks it up there)")
    if handler.config_path and not ctx.path(handler.config_path).exists():
        problems.append(f"{handler.name}: ConfigPath {handler.config_path} is missing")
    return problems


def _version_line(ctx: CheckContext, binary: str, args: tuple[str, ...] = ("--version",)) -> str:
    if not ctx.live_host:
        return "version not run: --root is not /"
    result = run_command([binary, *args], ctx.options.command_timeout_s)
    if not result.ok:
        return result.describe()
    return (result.stdout.strip().splitlines() or ["?"])[0]


def check_containerd(ctx: CheckContext) -> Finding:
    main = str(ctx.options.containerd_config) if ctx.options.containerd_config else CONTAINERD_CONFIG
    binary = find_binary(ctx, "containerd")
    version = f"; {_version_line(ctx, binary)}" if binary else ""
    if not ctx.path(main).is_file():
        if binary is None:
            raise SkipCheck(f"containerd is not installed ({main} and the containerd binary are missing)")
        return warned(f"{binary}{version}; no {main}",
                      "containerd runs with its built-in defaults: a runc handler and no Kata handler",
                      "install Kata with kata-deploy (it adds kata-<shim> handlers) or add them to " + main)
    try:
        files = containerd_files(ctx, main)
    except ConfigError as exc:
        return failed(str(exc), "containerd refuses to start with a broken configuration", f"fix {main}")
    version_key = files[0][1].get("version", 1)
    handlers = containerd_handlers(files)
    kata = [h for h in handlers if h.is_kata]
    lines = [f"{main} (config version {version_key})" + (
        f", imports {', '.join(p for p, _ in files[1:])}" if len(files) > 1 else "") + version,
        "handlers: " + (", ".join(h.describe() for h in handlers) or "none configured (built-in runc only)")]
    observed = "\n".join(lines)
    if not kata:
        return warned(observed, "no Kata handler: pods with a kata-* RuntimeClass fail on this node with "
                                "`no runtime for \"kata-qemu\" is configured`",
                      "install Kata with kata-deploy, or add a kata handler with runtime_type "
                      "\"io.containerd.kata.v2\"")
    problems = [p for h in kata for p in _kata_handler_problems(ctx, h)]
    names = ", ".join(h.name for h in kata)
    if problems:
        return failed(observed + "\nproblems: " + "; ".join(problems),
                      f"Kata handlers ({names}) are configured but point to missing files: their pods fail",
                      "reinstall Kata (kata-deploy) or fix runtime_path / ConfigPath")
    expected_id = CRI_PLUGIN_IDS.get(version_key if isinstance(version_key, int) else 0)
    stray = [h.name for h in kata if expected_id and h.plugin_id != expected_id]
    if stray:
        return warned(observed, f"Kata handlers {', '.join(stray)} sit under a CRI plugin id that config version "
                                f"{version_key} does not read ({expected_id} is expected)",
                      f"move them under [plugins.\"{expected_id}\".containerd.runtimes]")
    return passed(observed, f"containerd has Kata handlers: {names}")


def crio_handlers(ctx: CheckContext) -> tuple[list[str], list[Handler]]:
    """(files read, runtimes) from crio.conf and the drop-ins in lexical order (later files win)."""
    paths = [CRIO_CONFIG] if ctx.path(CRIO_CONFIG).is_file() else []
    drop_ins = ctx.path(CRIO_DROP_IN_DIR)
    if drop_ins.is_dir():
        paths += [f"{CRIO_DROP_IN_DIR}/{p.name}" for p in sorted(drop_ins.iterdir()) if p.is_file()]
    runtimes: dict[str, Handler] = {}
    for path in paths:
        for name, table in _dig(_load_toml(ctx, path), "crio", "runtime", "runtimes").items():
            if isinstance(table, dict):
                runtimes[name] = Handler(name=name, runtime_type=str(table.get("runtime_type", "oci")), source=path,
                                         runtime_path=str(table.get("runtime_path", "")),
                                         config_path=str(table.get("runtime_config_path", "")))
    return paths, list(runtimes.values())


def check_crio(ctx: CheckContext) -> Finding:
    binary = find_binary(ctx, "crio")
    try:
        paths, runtimes = crio_handlers(ctx)
    except ConfigError as exc:
        return failed(str(exc), "CRI-O refuses to start with a broken configuration", "fix the file")
    if not paths:
        if binary is None:
            raise SkipCheck(f"CRI-O is not installed (no {CRIO_CONFIG}, no {CRIO_DROP_IN_DIR}, no crio binary)")
        return warned(f"{binary}; no configuration files", "CRI-O has only its built-in runtimes, no Kata",
                      "install Kata with kata-deploy (it writes /etc/crio/crio.conf.d/99-kata-deploy)")
    kata = [r for r in runtimes if r.is_kata]
    observed = (f"files: {', '.join(paths)}" + (f"; {_version_line(ctx, binary)}" if binary else "")
                + "\nruntimes: " + (", ".join(r.describe() for r in runtimes) or "none"))
    if not kata:
        return warned(observed, "no Kata runtime in CRI-O: kata-* RuntimeClasses fail on this node",
                      "install Kata with kata-deploy (writes /etc/crio/crio.conf.d/99-kata-deploy)")
    problems = [f"{r.name}: {what} {path} is missing" for r in kata
                for what, path in (("runtime_path", r.runtime_path), ("runtime_config_path", r.config_path))
                if path and not ctx.path(path).exists()]
    if problems:
        return failed(observed + "\nproblems: " + "; ".join(problems),
                      "Kata runtimes are configured but point to missing files", "reinstall Kata (kata-deploy)")
    return passed(observed, f"CRI-O has Kata runtimes: {', '.join(r.name for r in kata)}")


def check_oci_runtimes(ctx: CheckContext) -> Finding:
    """On this machine: the local runner's own availability probe (a real container running
    `fio --version` per runtime); in a file tree: which binaries are there."""
    if ctx.live_host:
        from kataio_tui.local.availability import local_runtime_status

        available = {}
        lines = []
        for (binary, purpose), runtime in zip(OCI_RUNTIMES, LOCAL_NAMES):
            status = local_runtime_status(runtime, probe=True)
            available[binary] = status.available
            version = f" ({status.version})" if status.version else ""
            lines.append(f"{binary}: {'usable' if status.available else 'not usable'}{version}: {status.reason}")
    else:
        available = {name: find_binary(ctx, name) is not None for name, _ in OCI_RUNTIMES}
        lines = [f"{name}: {find_binary(ctx, name) or 'not found'} (not run: --root is not /)"
                 if available[name] else f"{name}: not found" for name, _ in OCI_RUNTIMES]
    observed = "\n".join(lines)
    missing = [(name, purpose) for name, purpose in OCI_RUNTIMES if not available[name]]
    if not missing:
        return passed(observed, "runc, crun and runsc are usable: every local comparison runtime is available")
    unavailable = "; ".join(f"{name} is not usable, so no {purpose}" for name, purpose in missing)
    if missing[0][0] == "runc":
        return warned(observed, unavailable, "install runc (apt-get install runc) and run kataio as root")
    return passed(observed, f"runc is usable; {unavailable}")
