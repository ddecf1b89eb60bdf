"""Per-pod Kata configuration through ``io.katacontainers.config.hypervisor.<key>`` annotations.

An annotation reaches the runtime only when containerd's handler passes it (``pod_annotations``,
glob patterns; kata-deploy writes ``["io.katacontainers.*"]``, runtime/containerd.rs). Then:
- Go (src/runtime/pkg/oci/utils.go addAnnotations): a hypervisor annotation whose key matches no
  ``enable_annotations`` pattern fails the pod: "annotation <name> is not enabled".
- runtime-rs (kata-types src/annotations/mod.rs update_config_by_annotation): it is skipped with a
  log line "Annotation <name> not enabled" and the pod runs the file's configuration: the silent trap.
Patterns are regular expressions searched in the key (Go regexp.MatchString, Rust RegexSet::is_match).
Values are parsed per runtime as the same sources do; the configuration file's own rules still apply
to the result (``apply`` then ``rules.evaluate``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kataio_tui.kata.config import Hypervisor, KataSettings
from kataio_tui.kata.configload import LoadedConfig
from kataio_tui.kata.layout import Runtime
from kataio_tui.kata.rules import BLOCK_DRIVERS, CACHE_MODES, GO_BLOCK_AIO, SHARED_FS
from kataio_tui.kata.verdicts import Severity, Verdict

PREFIX = "io.katacontainers.config.hypervisor."
KATA_DEPLOY_POD_ANNOTATIONS = ("io.katacontainers.*",)
GO_ANNOTATION_SHARED_FS = ("virtio-9p", "virtio-fs")  # addHypervisorVirtioFsOverrides: a shorter list
GO_MIN_MEMORY_MIB = 256
RUST_MIN_MEMORY_MIB = {Hypervisor.QEMU: 64, Hypervisor.CLH: 64, Hypervisor.DRAGONBALL: 64,
                       Hypervisor.FIRECRACKER: 128}  # kata-types default.rs MIN_<HV>_MEMORY_SIZE_MB

Parsed = tuple[Any, str]  # (value to set, error: "" when the runtime accepts it)


GO_NUMBER_ERROR = "Error parsing annotation for {name}: Please specify positive numeric value"
GO_BOOL_ERROR = "Error parsing annotation for {name}: Please specify boolean value 'true|false'"


def _go_bool(name: str) -> Callable[[str, KataSettings], Parsed]:  # strconv.ParseBool
    def parse(text: str, s: KataSettings) -> Parsed:
        if text in ("1", "t", "T", "TRUE", "true", "True"):
            return True, ""
        if text in ("0", "f", "F", "FALSE", "false", "False"):
            return False, ""
        return None, GO_BOOL_ERROR.format(name=PREFIX + name)
    return parse


def _rust_bool(text: str, s: KataSettings) -> Parsed:  # str::parse::<bool>
    return (text == "true", "") if text in ("true", "false") else (None, "parse bool error")


def _go_uint(name: str) -> Callable[[str, KataSettings], Parsed]:  # strconv.ParseUint
    return lambda text, s: (int(text), "") if text.isdigit() else (None, GO_NUMBER_ERROR.format(name=PREFIX + name))


def _rust_uint(error: str) -> Callable[[str, KataSettings], Parsed]:
    return lambda text, s: (int(text), "") if text.isdigit() else (None, error)


_BYTE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6, "mib": 2**20,
               "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12, "tib": 2**40}


def rust_memory_mib(text: str) -> int | None:
    """byte_unit::Byte::parse_str as runtime-rs calls it: a bare number is *bytes*, KB/MB/GB powers of
    1000, KiB/MiB/GiB powers of 1024, in any case; None when it does not parse."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).lower() not in _BYTE_UNITS:
        return None
    return int(float(match.group(1)) * _BYTE_UNITS[match.group(2).lower()] / 2**20)


@dataclass(frozen=True)
class Key:
    """How each runtime parses one annotation, and which setting it changes."""
    setting: str
    go: Callable[[str, KataSettings], Parsed] | None
    rust: Callable[[str, KataSettings], Parsed] | None
    appends: bool = False  # virtio_fs_extra_args: added to the file's list, not replacing it


def _go_shared_fs(text: str, s: KataSettings) -> Parsed:
    if text in GO_ANNOTATION_SHARED_FS:
        return text, ""
    return None, (f"Invalid hypervisor shared file system {text} specified for annotation shared_fs, "
                  f"(supported file systems: [{' '.join(GO_ANNOTATION_SHARED_FS)}])")


def _rust_cache(text: str, s: KataSettings) -> Parsed:
    # Annotations are applied after adjust_config, so `none` and "" are not mapped to the default here.
    return (text, "") if text in CACHE_MODES[Runtime.RUST] else (None, f"Invalid virtio-fs cache mode: {text}")


def _go_cache(text: str, s: KataSettings) -> Parsed:
    return (text or "auto", "") if text in ("", *CACHE_MODES[Runtime.GO]) else \
        (None, f"Invalid virtio-fs cache mode: {text}")


def _go_extra_args(text: str, s: KataSettings) -> Parsed:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"Error parsing virtiofsd extra arguments: {exc.msg}"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, "Error parsing virtiofsd extra arguments: not a JSON array of strings"
    return value, ""


def _go_block_driver(text: str, s: KataSettings) -> Parsed:
    drivers = BLOCK_DRIVERS[Runtime.GO]
    if text in drivers:
        return text, ""
    return None, (f"Invalid hypervisor block storage driver {text} specified in annotation (supported drivers: "
                  f"[{' '.join(drivers)}])")


def _go_aio(text: str, s: KataSettings) -> Parsed:
    if text in GO_BLOCK_AIO:
        return text, ""
    return None, f"Invalid AIO mechanism  {text} specified in annotation (supported IO mechanism : [native threads io_uring])"


def _go_memory(text: str, s: KataSettings) -> Parsed:
    if not text.isdigit():
        return None, GO_NUMBER_ERROR.format(name=PREFIX + "default_memory")
    if int(text) < GO_MIN_MEMORY_MIB:
        return None, (f"Memory specified in annotation {PREFIX}default_memory is less than minimum required "
                      f"{GO_MIN_MEMORY_MIB}, please specify a larger value")
    return int(text), ""


def _rust_memory(text: str, s: KataSettings) -> Parsed:
    mib = rust_memory_mib(text)
    if mib is None:
        return None, ""  # runtime-rs logs "failed to parse byte from string" and keeps the file's value
    minimum = RUST_MIN_MEMORY_MIB.get(s.hypervisor, 64)
    if mib < minimum:
        return None, f"memory specified in annotation {mib} is less than minimum limitation {minimum}"
    return mib, ""


def _go_msize(text: str, s: KataSettings) -> Parsed:
    if not text.isdigit() or int(text) == 0:
        return None, "Error parsing annotation for msize_9p, please specify positive numeric value"
    return int(text), ""


def _go_vcpus(text: str, s: KataSettings) -> Parsed:  # setFloat32WithCheck
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    return (value, "") if value >= 0 else (None, GO_NUMBER_ERROR.format(name=PREFIX + "default_vcpus"))


def _flag(name: str) -> Key:
    return Key(name, _go_bool(name), _rust_bool)


KEYS: dict[str, Key] = {
    "shared_fs": Key("shared_fs", _go_shared_fs, lambda t, s: (t, "")),
    "virtio_fs_cache": Key("virtio_fs_cache", _go_cache, _rust_cache),
    "virtio_fs_cache_size": Key("virtio_fs_cache_size", _go_uint("virtio_fs_cache_size"),
                                _rust_uint("parse u32 error")),
    "virtio_fs_extra_args": Key("virtio_fs_extra_args", _go_extra_args,
                                lambda t, s: (t.split(","), ""), appends=True),
    "msize_9p": Key("msize_9p", _go_msize, _rust_uint("parse u32 error")),
    "block_device_driver": Key("block_device_driver", _go_block_driver, lambda t, s: (t, "")),
    "block_device_aio": Key("block_device_aio", _go_aio, None),  # runtime-rs has no such annotation
    "block_device_cache_set": _flag("block_device_cache_set"),
    "block_device_cache_direct": _flag("block_device_cache_direct"),
    "block_device_cache_noflush": _flag("block_device_cache_noflush"),
    "disable_block_device_use": _flag("disable_block_device_use"),
    "enable_iothreads": _flag("enable_iothreads"),
    "default_memory": Key("default_memory", _go_memory, _rust_memory),
    "default_vcpus": Key("default_vcpus", _go_vcpus, _rust_uint("parse i32 error")),
}


def enabled(patterns: Sequence[str], key: str, runtime: Runtime) -> bool:
    """Does ``enable_annotations`` let the hypervisor annotation with this key (after the prefix) through?"""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error:
            if runtime is Runtime.RUST:
                return False  # RegexSet::new fails for the whole list: nothing is enabled
    return any(p.search(key) for p in compiled)


def passed_by_containerd(pod_annotations: Sequence[str], name: str) -> bool:
    """containerd copies a pod annotation into the OCI spec when a pod_annotations glob matches it."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in pod_annotations)


@dataclass(frozen=True)
class Outcome:
    name: str
    value: str
    verdict: Verdict
    applied: bool  # the runtime runs with the value


def judge(settings: KataSettings, name: str, value: str, pod_annotations: Sequence[str] | None) -> Outcome:
    """What happens to one annotation on a pod of this handler (pod_annotations None: not containerd)."""
    runtime = settings.runtime
    subject = f"{name}={value!r}"

    def out(severity: Severity, rule: str, reason: str, fix: str = "", error: str = "", applied: bool = False):
        return Outcome(name, value, Verdict(f"annotation.{rule}", severity, subject, reason, fix, error), applied)

    if not name.startswith(PREFIX):
        return out(Severity.WARN, "prefix", f"not a Kata hypervisor annotation (they start with {PREFIX})",
                   f"use {PREFIX}<key>")
    key = name.removeprefix(PREFIX)
    if pod_annotations is not None and not passed_by_containerd(pod_annotations, name):
        return out(Severity.WARN, "not-passed", "containerd does not pass it to Kata (no pod_annotations pattern "
                   "matches): the pod silently runs the node's configuration",
                   'add pod_annotations = ["io.katacontainers.*"] to the containerd handler (kata-deploy does)')
    if not enabled(settings.enable_annotations, key, runtime):
        listed = ", ".join(settings.enable_annotations) or "nothing"
        if runtime is Runtime.GO:
            return out(Severity.FAIL, "not-enabled", f"enable_annotations ({listed}) does not list {key}: the Go "
                       "runtime refuses the pod", f"add \"{key}\" to enable_annotations (kata-deploy: "
                       "allowedHypervisorAnnotations)", f"annotation {name} is not enabled")
        return out(Severity.WARN, "not-enabled", f"enable_annotations ({listed}) does not list {key}: runtime-rs "
                   "ignores it and the pod silently runs the node's configuration",
                   f"add \"{key}\" to enable_annotations (kata-deploy: allowedHypervisorAnnotations)",
                   f"Annotation {name} not enabled")
    spec = KEYS.get(key)
    parse = None if spec is None else (spec.go if runtime is Runtime.GO else spec.rust)
    if parse is None:
        if runtime is Runtime.RUST:
            return out(Severity.FAIL, "unknown", f"runtime-rs has no annotation {key}: it refuses the pod",
                       "remove it", f"Invalid annotation type {name}")
        return out(Severity.WARN, "unknown", f"kataio does not know what the Go runtime does with {key}")
    parsed, error = parse(value.strip(), settings)
    if error:
        return out(Severity.FAIL, "value", f"{runtime.label} refuses this value: the pod does not start",
                   "fix the value", error)
    if parsed is None:
        return out(Severity.WARN, "value", f"{runtime.label} cannot parse it and keeps the file's value",
                   "write a size with a unit, such as 2048MiB")
    return out(Severity.OK, "applied", f"{runtime.label} applies it", applied=True)


def apply(settings: KataSettings, annotations: Mapping[str, str]) -> KataSettings:
    """The configuration a pod with these annotations gets (only those the runtime accepts)."""
    table = dict(settings.settings)
    for name, value in annotations.items():
        key = name.removeprefix(PREFIX)
        spec = KEYS.get(key)
        parse = None if spec is None else (spec.go if settings.runtime is Runtime.GO else spec.rust)
        if not name.startswith(PREFIX) or spec is None or parse is None:
            continue
        if not enabled(settings.enable_annotations, key, settings.runtime):
            continue
        parsed, error = parse(value.strip(), settings)
        if error or parsed is None:
            continue
        old = table.get(spec.setting)
        table[spec.setting] = [*old, *parsed] if spec.appends and isinstance(old, list) else parsed
    return replace(settings, settings=table)


def validate_for(runtime: Runtime, name: str, value: str) -> str:
    """The runtime's error for this value alone (no node configuration needed), "" when it parses."""
    key = name.removeprefix(PREFIX)
    spec = KEYS.get(key)
    if not name.startswith(PREFIX) or spec is None:
        return f"{name}: not an annotation kataio knows"
    parse = spec.go if runtime is Runtime.GO else spec.rust
    if parse is None:
        return f"Invalid annotation type {name}"
    blank = KataSettings(LoadedConfig("", "", runtime), "qemu", {})
    parsed, error = parse(value.strip(), blank)
    if not error and key == "shared_fs" and runtime is Runtime.RUST and value not in SHARED_FS[Runtime.RUST]:
        error = f"Invalid shared_fs type {value}"
    return error or ("" if parsed is not None else f"{name}={value!r}: {runtime.label} cannot parse it")
