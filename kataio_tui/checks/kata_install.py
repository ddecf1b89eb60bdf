"""The Kata installations (Go runtime and runtime-rs) and every configuration file they ship, each
loaded with its drop-ins and judged by its own runtime's rules (kataio_tui.kata)."""

from __future__ import annotations

from dataclasses import replace

from kataio_tui.checks.engine import CheckContext, Finding, failed, passed, skipped, warned
from kataio_tui.checks.kata_verdicts import host_root, installations, kata_binary, verdict_finding
from kataio_tui.kata import rules
from kataio_tui.kata.config import Hypervisor, KataSettings
from kataio_tui.kata.configload import dropin_dir, load_config
from kataio_tui.kata.installations import ConfigFile
from kataio_tui.kata.layout import SHIM, Runtime, config_dir, default_config_lookup

TOOLS = ("kata-runtime", "kata-ctl")


def check_binaries(ctx: CheckContext) -> Finding:
    installs = installations(ctx)
    found = {name: kata_binary(ctx, name) for name in (SHIM, *TOOLS)}
    lines = [i.describe() for i in installs] or [f"{SHIM}: {found[SHIM] or 'not found'}"]
    observed = "\n".join([*lines, "; ".join(f"{t}: {found[t] or 'not found'}" for t in TOOLS)])
    if not installs and found[SHIM] is None:
        return failed(observed, f"Kata is not installed here: containerd cannot start kata pods "
                                f"(`binary not installed \"{SHIM}\"`)",
                      "install Kata: kata-deploy on Kubernetes, or a release tarball unpacked into /opt/kata")
    if all(found[t] is None for t in TOOLS):
        return warned(observed, "the shim is installed but neither kata-runtime nor kata-ctl: Kata's own host "
                                "check cannot be run", "install the kata-runtime or kata-ctl tool of the same release")
    runtimes = [i.runtime for i in installs]
    if Runtime.GO in runtimes and Runtime.RUST not in runtimes:
        return passed(observed, "the Go runtime is installed, not runtime-rs: Kata 4.x's default RuntimeClass "
                                "kata-qemu-runtime-rs needs /opt/kata/runtime-rs/bin/containerd-shim-kata-v2")
    return passed(observed, "Kata is installed: " + (" and ".join(r.label for r in runtimes) or "the shim"))


def _config_key(config: ConfigFile, used: set[str]) -> str:
    """configuration-<shim>.toml -> <shim> (a kata-deploy 4.x per-shim copy: <shim>.deployed);
    /etc overrides -> etc / etc-runtime-rs."""
    key = config.shim or "default"
    if config.kind == "override":
        key = "etc" if config.runtime is Runtime.GO else "etc-runtime-rs"
    elif config.kind == "per-shim":
        key += ".deployed"
    elif config.kind == "custom":
        key = "custom." + config.path.rsplit("/", 2)[-2]
    base, n = key, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    used.add(key)
    return key


def _missing_files(ctx: CheckContext, settings: KataSettings) -> list[str]:
    """Files the configuration points to that are not there: the VM cannot start without them."""
    keys = ["path", "kernel", "image", "initrd"]
    if settings.hypervisor is not Hypervisor.FIRECRACKER and settings.shared_fs in ("virtio-fs", "virtio-fs-nydus"):
        keys.append("virtio_fs_daemon")
    values = [(k, settings.raw(k)) for k in keys]
    return [f"{k} = {v}" for k, v in values if isinstance(v, str) and v and not ctx.path(v).exists()]


def _ok_meaning(settings: KataSettings) -> str:
    shared = settings.shared_fs
    if shared == "inline-virtio-fs":
        return "inline-virtio-fs: files and volumes reach the VM through Dragonball's built-in virtio-fs"
    if shared in ("virtio-fs", "virtio-fs-nydus"):
        return f"{shared}: files and volumes reach the VM through virtiofsd"
    return f"{settings.runtime.label} can start VMs with it"


def _config_finding(ctx: CheckContext, config: ConfigFile, key: str) -> Finding:
    kw = {"key": key, "title": f"Kata configuration {config.path.rsplit('/', 1)[-1]} ({config.runtime.label})"}
    loaded = load_config(host_root(ctx), config.path, config.runtime)
    if not loaded.ok:
        return failed(f"{config.shown()}: {loaded.error}", "Kata loads its configuration first, so a broken file "
                      "fails every pod that uses it", f"fix {loaded.error.split(':', 1)[0].removeprefix('drop-in ')}",
                      **kw)
    settings = KataSettings.of(loaded)
    if settings.table is None:
        return failed(f"{config.shown()}: no [hypervisor.<name>] table", "Kata does not know which hypervisor to "
                      "start", f"reinstall {config.path} from the Kata release", **kw)
    lines = [f"{config.shown()}: {settings.describe()}"]
    if loaded.dropins:
        lines.append("drop-ins: " + ", ".join(loaded.dropins))
    lines.append("; ".join(rules.effective(settings)))
    missing = _missing_files(ctx, settings)
    if missing:
        lines.append("missing: " + ", ".join(f"{m} (missing)" for m in missing))
        return failed("\n".join(lines), f"files this configuration points to are missing ({', '.join(missing)}): its "
                      "pods fail to launch the VM", "reinstall Kata (kata-deploy) or fix the paths", **kw)
    where = f"in a drop-in in {dropin_dir(host_root(ctx), config.path)}" if config.kind in ("per-shim", "custom") \
        else f"in {config.resolved}"
    verdicts = [replace(v, fix=f"{v.fix} ({where})") if v.fix.startswith("set ") else v
                for v in rules.evaluate(settings)]
    return verdict_finding("\n".join(lines), verdicts, _ok_meaning(settings), **kw)


def check_configs(ctx: CheckContext) -> list[Finding]:
    files = [c for install in installations(ctx) for c in install.configs]
    if not files:
        searched = ", ".join([*default_config_lookup(Runtime.GO), f"{config_dir(Runtime.GO)}/configuration-*.toml",
                              f"{config_dir(Runtime.RUST)}/configuration-*.toml"])
        if kata_binary(ctx, SHIM) is None:
            return [skipped(f"no Kata configuration file ({searched}) and no Kata shim",
                            "Kata is not installed (see kata.binaries)")]
        return [failed(f"no Kata configuration file in {searched}",
                       "the shim is installed but has no configuration to start VMs with",
                       "reinstall Kata; kata-deploy writes configuration-<shim>.toml files")]
    used: set[str] = set()
    return [_config_finding(ctx, config, _config_key(config, used)) for config in files]
