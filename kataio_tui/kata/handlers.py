"""Which Kata runtime, and which configuration file, each containerd or CRI-O handler really uses.

containerd (config v1 "cri", v2 "io.containerd.grpc.v1.cri", v3 "io.containerd.cri.v1.runtime"):
``runtime_type = "io.containerd.kata-<shim>.v2"`` runs ``runtime_path`` when set, else
``containerd-shim-kata-<shim>-v2`` from PATH (often a wrapper script setting KATA_CONF_FILE);
``options.ConfigPath`` names the configuration; ``pod_annotations`` are the annotations passed on.
kata-deploy writes both (runtime/containerd.rs). CRI-O: ``[crio.runtime.runtimes.<name>]`` with
runtime_type "vm", runtime_path and runtime_config_path (runtime/crio.rs).
Configuration precedence (after a pod's io.katacontainers.config_path annotation):
Go: ConfigPath, then KATA_CONF_FILE, then the default lookup (containerd-shim-v2/create.go
loadRuntimeConfig); runtime-rs: KATA_CONF_FILE (recent releases accept only shipped files there),
then ConfigPath, then its default list (runtime-rs shim load_config).
"""

from __future__ import annotations

import glob
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from kataio_tui.errors import KataioError
from kataio_tui.kata.configload import parse_toml
from kataio_tui.kata.hostroot import HostRoot
from kataio_tui.kata.installations import Installation, runtime_of_shim
from kataio_tui.kata.layout import SEARCH_PATH, SHIM, Runtime, default_config_lookup

CONTAINERD_CONFIG = "/etc/containerd/config.toml"
CRI_PLUGIN_IDS = {1: "cri", 2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime"}
CRIO_CONFIG = "/etc/crio/crio.conf"
CRIO_DROP_IN_DIR = "/etc/crio/crio.conf.d"
KATA_RUNTIME_TYPE = re.compile(r"^io\.containerd\.kata(-[a-z0-9-]+)?\.v2$")


class HandlerFileError(KataioError):
    """A containerd or CRI-O configuration file cannot be read or parsed; the message names it."""


@dataclass(frozen=True)
class Handler:
    name: str
    cri: str  # "containerd" or "cri-o"
    runtime_type: str
    source: str  # host path of the file that defines it
    plugin_id: str = ""
    runtime_path: str = ""
    config_path: str = ""  # containerd options.ConfigPath / CRI-O runtime_config_path
    pod_annotations: tuple[str, ...] | None = None  # None: CRI-O (no such filter)

    @property
    def is_kata(self) -> bool:
        return (bool(KATA_RUNTIME_TYPE.match(self.runtime_type)) or SHIM in self.runtime_path
                or (self.runtime_type == "vm" and self.name.startswith("kata")))

    def shim_binary(self) -> str:
        """What containerd executes: runtime_path, else containerd-shim-<name>-<version> on its PATH."""
        if self.runtime_path:
            return self.runtime_path
        if self.cri == "cri-o":
            return self.name
        parts = self.runtime_type.split(".")
        if len(parts) >= 4 and parts[0] == "io" and parts[1] == "containerd":
            return f"containerd-shim-{'.'.join(parts[2:-1])}-{parts[-1]}"
        return ""

    def describe(self) -> str:
        extra = [x for x in (self.runtime_path and f"shim {self.runtime_path}",
                             self.config_path and f"config {self.config_path}") if x]
        return f"{self.name} ({self.runtime_type}{'; ' + '; '.join(extra) if extra else ''})"


def _load(root: HostRoot, host_path: str) -> dict[str, Any]:
    data, error = parse_toml(root, host_path)
    if data is None:
        raise HandlerFileError(error)
    return data


def _dig(data: Any, *path: str) -> dict[str, Any]:
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def containerd_files(root: HostRoot, main: str = CONTAINERD_CONFIG) -> list[tuple[str, dict[str, Any]]]:
    """The main config and, recursively, its ``imports`` (globs, relative to the importing file)."""
    files: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()

    def load(host_path: str) -> None:
        if host_path in seen:
            return
        seen.add(host_path)
        data = _load(root, host_path)
        files.append((host_path, data))
        imports = data.get("imports")
        for pattern in imports if isinstance(imports, list) else []:
            if isinstance(pattern, str):
                absolute = pattern if pattern.startswith("/") else posixpath.join(posixpath.dirname(host_path), pattern)
                for match in sorted(glob.glob(str(root.path(absolute)))):
                    load("/" + posixpath.relpath(match, root.root))

    load(main)
    return files


def containerd_handlers(files: list[tuple[str, dict[str, Any]]]) -> list[Handler]:
    handlers: dict[str, Handler] = {}
    for source, data in files:
        for plugin_id in CRI_PLUGIN_IDS.values():
            for name, table in _dig(data, "plugins", plugin_id, "containerd", "runtimes").items():
                if not isinstance(table, dict):
                    continue
                patterns = table.get("pod_annotations")
                handlers[name] = Handler(
                    name=name, cri="containerd", runtime_type=str(table.get("runtime_type", "")), source=source,
                    plugin_id=plugin_id, runtime_path=str(table.get("runtime_path", "")),
                    config_path=str(_dig(table, "options").get("ConfigPath", "")),
                    pod_annotations=tuple(p for p in patterns if isinstance(p, str)) if isinstance(patterns, list)
                    else ())
    return list(handlers.values())


def crio_handlers(root: HostRoot) -> tuple[list[str], list[Handler]]:
    """(files read, runtimes) from crio.conf and the drop-ins in lexical order (later files win)."""
    paths = [CRIO_CONFIG] if root.is_file(CRIO_CONFIG) else []
    paths += [f"{CRIO_DROP_IN_DIR}/{n}" for n in root.listdir(CRIO_DROP_IN_DIR) if root.is_file(f"{CRIO_DROP_IN_DIR}/{n}")]
    runtimes: dict[str, Handler] = {}
    for path in paths:
        for name, table in _dig(_load(root, path), "crio", "runtime", "runtimes").items():
            if isinstance(table, dict):
                runtimes[name] = Handler(name=name, cri="cri-o", runtime_type=str(table.get("runtime_type", "oci")),
                                         source=path, runtime_path=str(table.get("runtime_path", "")),
                                         config_path=str(table.get("runtime_config_path", "")))
    return paths, list(runtimes.values())


@dataclass(frozen=True)
class Wrapper:
    """A shell script standing in for the shim: ``KATA_CONF_FILE=<cfg> /opt/kata/bin/containerd-shim-kata-v2``."""
    path: str
    conf_file: str | None
    target: str | None


def read_wrapper(root: HostRoot, host_path: str) -> Wrapper | None:
    try:
        text = root.read_text(host_path)
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("#!"):
        return None
    conf = re.search(r"KATA_CONF_FILE=[\"']?([^\s\"']+)", text)
    target = re.search(rf"(/[^\s\"']*{re.escape(SHIM)})\b", text)
    return Wrapper(host_path, conf.group(1) if conf else None, target.group(1) if target else None)


@dataclass(frozen=True)
class HandlerUse:
    handler: Handler
    shim: str | None  # host path of the binary that runs, symlinks and wrapper followed
    shim_how: str
    runtime: Runtime | None
    runtime_how: str
    config: str | None  # host path of the configuration file it loads
    config_how: str
    problems: tuple[str, ...] = ()

    def describe(self) -> str:
        runtime = self.runtime.label if self.runtime else "runtime unknown"
        return f"{self.handler.name}: {runtime} ({self.runtime_how}); shim {self.shim or 'missing'} " \
               f"({self.shim_how}); config {self.config or 'none'} ({self.config_how})"


def _find_on_path(root: HostRoot, name: str, dirs: tuple[str, ...]) -> str | None:
    return next((f"{d}/{name}" for d in dirs if root.is_file(f"{d}/{name}")), None)


def resolve_handler(root: HostRoot, handler: Handler, installs: list[Installation],
                    search_dirs: tuple[str, ...] = SEARCH_PATH) -> HandlerUse:
    problems: list[str] = []
    binary = handler.shim_binary()
    if binary.startswith("/"):
        found: str | None = binary if root.is_file(binary) else None
        how = "runtime_path" if handler.runtime_path else "absolute"
        if found is None:
            problems.append(f"shim {binary} is missing")
    else:
        found = _find_on_path(root, binary, search_dirs) if binary else None
        how = f"{binary} on PATH"
        if found is None:
            problems.append(f"{binary or 'no shim'} is not on PATH (containerd looks it up there)")
    wrapper = None
    shim = None
    if found is not None:
        shim = root.resolve(found)
        if shim != found:
            how += f", {found} -> {shim}"
        wrapper = read_wrapper(root, shim)
        if wrapper is not None and wrapper.target:
            how += f", a script running {wrapper.target}"
            shim = root.resolve(wrapper.target)
            if not root.is_file(shim):
                problems.append(f"{wrapper.target} (run by {wrapper.path}) is missing")

    runtime = runtime_of_shim(installs, shim) if shim else None
    runtime_how = f"{shim} belongs to that installation" if runtime else ""
    if runtime is None and shim and shim.endswith(f"/runtime-rs/bin/{SHIM}"):
        runtime, runtime_how = Runtime.RUST, "its shim is in runtime-rs/bin"
    configured = handler.config_path or (wrapper.conf_file if wrapper else None) or ""
    if runtime is None and "/runtime-rs/" in configured:
        runtime, runtime_how = Runtime.RUST, "its configuration is runtime-rs's"
    if runtime is None and shim and shim.endswith(f"/bin/{SHIM}"):
        runtime, runtime_how = Runtime.GO, "its shim is the Go runtime's bin/ path"
    if runtime is None:
        runtime_how = "kataio cannot tell Go from runtime-rs for this shim"

    env = wrapper.conf_file if wrapper else None
    option_name = "ConfigPath" if handler.cri == "containerd" else "runtime_config_path"
    order = [(env, f"KATA_CONF_FILE in {wrapper.path if wrapper else ''}"), (handler.config_path or None, option_name)]
    if runtime is not Runtime.RUST:
        order.reverse()
    config, config_how = next(((p, h) for p, h in order if p), (None, ""))
    if config is None:
        install = next((i for i in installs if i.shim == shim), None)
        lookup = install.lookup if install else default_config_lookup(runtime or Runtime.GO)
        config = next((p for p in lookup if root.is_file(p)), None)
        config_how = "default lookup: " + ", ".join(lookup)
    if config is None:
        problems.append("no configuration file: " + config_how)
    elif not root.is_file(config):
        problems.append(f"{config_how} {config} is missing")
    return HandlerUse(handler, shim, how, runtime, runtime_how, config, config_how, tuple(problems))
