"""Which Kata runtimes are installed under a host root, and which configuration files each has.

Locations from ``layout``: the release tarball / kata-deploy under /opt/kata (Go shim in bin/,
runtime-rs shim in runtime-rs/bin/), distribution packages under /usr; configuration files are the
shipped configuration-<shim>.toml, kata-deploy 4.x's per-shim copies (runtimes/<shim>/) and custom
runtimes (custom-runtimes/<handler>/, install.rs), and the /etc override of the default lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

from kataio_tui.kata import layout
from kataio_tui.kata.hostroot import HostRoot
from kataio_tui.kata.layout import Runtime, config_dir, default_config_lookup, deploy_runtime, shim_of_config


@dataclass(frozen=True)
class ConfigFile:
    path: str  # host path as found
    resolved: str
    runtime: Runtime
    kind: str  # "shipped", "per-shim" (kata-deploy 4.x), "custom" (kata-deploy custom runtime), "override"
    aliases: tuple[str, ...] = ()  # other paths (symlinks) that lead to the same file

    @property
    def shim(self) -> str | None:
        return shim_of_config(self.path)

    def shown(self) -> str:
        links = [p for p in (self.path, *self.aliases) if p != self.resolved]
        return ", ".join([*(f"{p} -> {self.resolved}" for p in links)] or [self.path])


@dataclass(frozen=True)
class Installation:
    runtime: Runtime
    shim: str  # host path of containerd-shim-kata-v2
    prefix: str
    tool: str | None  # kata-runtime (Go) or kata-ctl (runtime-rs), where installed
    configs: tuple[ConfigFile, ...]
    lookup: tuple[str, ...]  # the runtime's default lookup when no path is given
    default_config: str | None  # the first of ``lookup`` that exists

    def describe(self) -> str:
        tool = self.tool or f"no {self.runtime.tool}"
        default = self.default_config or "none of " + ", ".join(self.lookup)
        return f"{self.runtime.label}: {self.shim}; {tool}; {len(self.configs)} configuration files; " \
               f"without a path it loads {default}"


def _tool(root: HostRoot, runtime: Runtime, prefix: str) -> str | None:
    dirs = [f"{prefix}/bin"] if runtime is Runtime.GO else [f"{prefix}/runtime-rs/bin", f"{prefix}/bin"]
    return next((f"{d}/{runtime.tool}" for d in dirs if root.is_file(f"{d}/{runtime.tool}")), None)


def config_files(root: HostRoot, runtime: Runtime, prefix: str) -> tuple[ConfigFile, ...]:
    base = config_dir(runtime, prefix)
    found: list[tuple[str, str]] = [(f"{base}/{n}", "shipped") for n in root.listdir(base)
                                    if n.startswith("configuration") and n.endswith(".toml")]
    for shim in root.listdir(f"{base}/runtimes"):
        found.append((f"{base}/runtimes/{shim}/configuration-{shim}.toml", "per-shim"))
    custom = f"{config_dir(Runtime.GO, prefix)}/custom-runtimes"  # under the Go tree, whichever runtime they use
    for handler in root.listdir(custom):
        found += [(f"{custom}/{handler}/{n}", "custom") for n in root.listdir(f"{custom}/{handler}")
                  if n.startswith("configuration-")]
    found.append((default_config_lookup(runtime, prefix)[0], "override"))
    groups: dict[str, list[tuple[str, str]]] = {}
    for path, kind in found:
        owner = deploy_runtime(shim_of_config(path) or "") if kind == "custom" else runtime
        if owner is runtime and root.is_file(path):
            groups.setdefault(root.resolve(path), []).append((path, kind))
    files = []
    for resolved, entries in groups.items():  # symlinks such as configuration.toml: with the file they lead to
        path, kind = next(((p, k) for p, k in entries if p == resolved), entries[0])
        files.append(ConfigFile(path, resolved, runtime, kind, tuple(p for p, _ in entries if p != path)))
    return tuple(files)


def _distro_runtime(root: HostRoot) -> Runtime:
    go_configs = [n for n in root.listdir(config_dir(Runtime.GO, layout.DISTRO_PREFIX)) if n.endswith(".toml")]
    rust_configs = root.listdir(config_dir(Runtime.RUST, layout.DISTRO_PREFIX))
    return Runtime.RUST if rust_configs and not go_configs else Runtime.GO


def find_installations(root: HostRoot) -> list[Installation]:
    candidates = [(runtime, layout.KATA_PREFIX, layout.shim_path(runtime)) for runtime in Runtime]
    candidates += [(_distro_runtime(root), layout.DISTRO_PREFIX, path) for path in layout.DISTRO_SHIMS]
    installs = []
    for runtime, prefix, shim in candidates:
        if not root.is_file(shim):
            continue
        lookup = default_config_lookup(runtime, prefix)
        default = next((p for p in lookup if root.is_file(p)), None)
        installs.append(Installation(runtime, shim, prefix, _tool(root, runtime, prefix),
                                     config_files(root, runtime, prefix), lookup, default))
    return installs


def runtime_of_shim(installs: list[Installation], shim: str) -> Runtime | None:
    return next((i.runtime for i in installs if i.shim == shim), None)
