"""Load one Kata configuration file the way its runtime does, ``config.d/`` drop-ins merged.

Both runtimes resolve the path first (Go: ResolvePath = filepath.EvalSymlinks in
src/runtime/pkg/katautils/config.go; Rust: fs::canonicalize in kata-types TomlConfig::load_raw_from_file)
and read ``config.d/`` next to the *resolved* file. That is why kata-deploy 4.x copies
configuration-<shim>.toml into its per-shim directory instead of symlinking it
(tools/packaging/kata-deploy/binary/src/artifacts/install.rs, setup_runtime_directory).

Every entry of config.d is applied in byte order of its name, whatever its suffix (Go:
decodeDropIns over os.ReadDir; Rust: kata-types config/drop_in.rs, sort_by_key(file_name)). Tables
merge key by key; any other value, arrays included, is replaced. runtime-rs appends
``guest_extension_images`` arrays instead (src/runtime-rs/config/drop-in-examples/README.md).
runtime-rs refuses an entry that is not a regular file (DirEntry::file_type does not follow symlinks).
"""

from __future__ import annotations

import posixpath
import tomllib
from dataclasses import dataclass, field
from typing import Any

from kataio_tui.kata.hostroot import HostRoot
from kataio_tui.kata.layout import Runtime

RUST_APPENDED_ARRAYS = frozenset({"guest_extension_images"})
RUST_NOT_REGULAR = "drop-in cfg file can only be a regular file or a symlink"  # drop_in.rs, verbatim


@dataclass(frozen=True)
class LoadedConfig:
    path: str  # the host path as given (ConfigPath, or a default lookup entry)
    resolved: str  # after symlinks: the file really read
    runtime: Runtime
    dropins: tuple[str, ...] = ()  # host paths applied, in order
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # why the runtime cannot load it, naming the file; "" when it loads

    @property
    def ok(self) -> bool:
        return not self.error

    def shown(self) -> str:
        return self.path if self.path == self.resolved else f"{self.path} -> {self.resolved}"


def dropin_dir(root: HostRoot, path: str) -> str:
    return posixpath.join(posixpath.dirname(root.resolve(path)), "config.d")


def merge(base: dict[str, Any], dropin: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """A new dict: ``dropin`` merged into ``base`` as the runtime merges drop-ins."""
    merged = dict(base)
    for key, value in dropin.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = merge(old, value, runtime)
        elif (runtime is Runtime.RUST and key in RUST_APPENDED_ARRAYS and isinstance(value, list)
              and isinstance(old, list)):
            merged[key] = [*old, *value]
        else:
            merged[key] = value
    return merged


def parse_toml(root: HostRoot, host_path: str) -> tuple[dict[str, Any] | None, str]:
    try:
        return tomllib.loads(root.read_text(host_path)), ""
    except tomllib.TOMLDecodeError as exc:
        return None, f"{host_path}: not valid TOML: {exc}"
    except IsADirectoryError:
        return None, f"{host_path}: is a directory, not a file"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{host_path}: cannot be read: {getattr(exc, 'strerror', None) or exc}"


def load_config(root: HostRoot, path: str, runtime: Runtime) -> LoadedConfig:
    resolved = root.resolve(path)
    if not root.exists(resolved):
        return LoadedConfig(path, resolved, runtime, error=f"{path}: no such file")
    data, error = parse_toml(root, resolved)
    if data is None:
        return LoadedConfig(path, resolved, runtime, error=error)
    directory = dropin_dir(root, path)
    applied: list[str] = []
    for name in root.listdir(directory):
        entry = f"{directory}/{name}"
        real = root.path(entry)
        if runtime is Runtime.RUST and (real.is_symlink() or not real.is_file()):
            why = " (it is a symlink, which runtime-rs does not follow here)" if real.is_symlink() else ""
            return LoadedConfig(path, resolved, runtime, tuple(applied), data,
                                error=f"{entry}: {RUST_NOT_REGULAR}{why}")
        dropin, error = parse_toml(root, entry)
        if dropin is None:
            return LoadedConfig(path, resolved, runtime, tuple(applied), data, error=f"drop-in {error}")
        data = merge(data, dropin, runtime)
        applied.append(entry)
    return LoadedConfig(path, resolved, runtime, tuple(applied), data)
