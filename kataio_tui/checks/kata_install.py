"""The Kata installation: binaries, configuration files (TOML), and Kata's own `kata-runtime check`."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, Status, failed, passed, skipped, warned
from kataio_tui.checks.host import KATA_BIN_DIR, find_binary, run_command

SHIM = "containerd-shim-kata-v2"
TOOLS = ("kata-runtime", "kata-ctl")
# kata-runtime's own lookup order when no configuration path is given.
DEFAULT_CONFIGS = ("/etc/kata-containers/configuration.toml",
                   "/usr/share/defaults/kata-containers/configuration.toml")
KATA_DEPLOY_CONFIG_DIR = "/opt/kata/share/defaults/kata-containers"
SHARED_FS_VALUES = ("virtio-fs", "virtio-9p", "virtio-fs-nydus", "none")
CAPABLE = "System is capable of running Kata Containers"
CAN_CREATE = "System can currently create Kata Containers"
NOT_CAPABLE = "System is not capable of running Kata Containers"


def kata_binary(ctx: CheckContext, name: str) -> str | None:
    return find_binary(ctx, name, extra_dirs=(KATA_BIN_DIR,))


def check_binaries(ctx: CheckContext) -> Finding:
    found = {name: kata_binary(ctx, name) for name in (SHIM, *TOOLS)}
    observed = "; ".join(f"{name}: {path or 'not found'}" for name, path in found.items())
    if found[SHIM] is None:
        return failed(observed, f"Kata is not installed here: containerd cannot start kata pods "
                                f"(`binary not installed \"{SHIM}\"`)",
                      "install Kata: kata-deploy on Kubernetes, or a release tarball unpacked into /opt/kata")
    missing = [t for t in TOOLS if found[t] is None]
    if len(missing) == len(TOOLS):
        return warned(observed, "the shim is installed but neither kata-runtime nor kata-ctl: Kata's own host "
                                "check cannot be run", "install the kata-runtime or kata-ctl tool of the same release")
    return passed(observed, "the Kata shim and Kata's tools are installed")


# ---- configuration files ------------------------------------------------------------------------

@dataclass
class KataConfig:
    path: str  # host path
    shown: str  # host path, with the symlink it came through
    data: dict | None = None
    error: str = ""
    hypervisor: str | None = None
    settings: dict = field(default_factory=dict)


def _resolve(ctx: CheckContext, host_path: str) -> str:
    """Follow symlinks of a host path inside the root (absolute link targets stay under root)."""
    current = host_path
    for _ in range(16):
        candidate = ctx.path(current)
        if not candidate.is_symlink():
            return current
        target = str(candidate.readlink())
        current = target if target.startswith("/") else str(Path(current).parent / target)
    return current


def find_configs(ctx: CheckContext) -> list[tuple[str, str]]:
    """(shown name, resolved host path) of every Kata configuration file, default lookup order first,
    then kata-deploy's per-shim files; each real file once."""
    candidates = list(DEFAULT_CONFIGS) + [f"{KATA_DEPLOY_CONFIG_DIR}/configuration.toml"]
    for pattern_dir in (KATA_DEPLOY_CONFIG_DIR, f"{KATA_DEPLOY_CONFIG_DIR}/runtime-rs"):
        directory = ctx.path(pattern_dir)
        if directory.is_dir():
            candidates += [f"{pattern_dir}/{p.name}" for p in sorted(directory.glob("configuration-*.toml"))]
    seen: dict[str, int] = {}
    found: list[tuple[str, str]] = []
    for host_path in candidates:
        if not ctx.path(host_path).exists():
            continue
        real = _resolve(ctx, host_path)
        if real in seen:
            continue
        seen[real] = len(found)
        found.append((host_path if real == host_path else f"{host_path} -> {real}", real))
    return found


def load_config(ctx: CheckContext, shown: str, host_path: str) -> KataConfig:
    config = KataConfig(path=host_path, shown=shown)
    try:
        config.data = tomllib.loads(ctx.path(host_path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        config.error = f"not valid TOML: {exc}"
        return config
    except (OSError, UnicodeDecodeError) as exc:
        config.error = f"cannot be read: {exc}"
        return config
    tables = config.data.get("hypervisor")
    if isinstance(tables, dict) and tables:
        config.hypervisor = next(iter(tables))
        config.settings = tables[config.hypervisor] if isinstance(tables[config.hypervisor], dict) else {}
    return config


def _config_key(real_path: str, used: set[str]) -> str:
    """configuration-<shim>.toml -> <shim>; a plain configuration.toml -> where it lives (etc, usr, opt)."""
    name = Path(real_path).name
    if name == "configuration.toml":
        key = {"/etc": "etc", "/usr": "usr"}.get(real_path[:4], "opt")
    else:
        key = name.removeprefix("configuration-").removesuffix(".toml")
    base, n = key, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    used.add(key)
    return key


def _shared_fs_verdict(hypervisor: str, shared_fs: str | None, cache: str | None) -> tuple[str, str, str]:
    """(status, meaning, remedy) of a configuration's shared file system."""
    cache_note = f" (virtio_fs_cache = {cache})" if cache else ""
    if hypervisor == "firecracker":
        return ("PASS", "Firecracker has no shared file system device: container file systems reach the VM as "
                        "block devices (devmapper snapshotter)", "")
    if shared_fs is None:
        return ("PASS", "shared_fs is not set: kata-runtime's built-in default applies (`kata-runtime env` shows "
                        "it as Hypervisor.SharedFS)", "")
    if shared_fs == "virtio-9p":
        if hypervisor == "clh":
            return ("FAIL", "Cloud Hypervisor rejects virtio-9p: kata-clh pods cannot start",
                    'set shared_fs = "virtio-fs"')
        return ("WARN", "virtio-9p: the shared file system of the StackHPC 2019 study, and its bottleneck (Kata "
                        "reached about 15 % of bare-metal read bandwidth at 64 clients)",
                'set shared_fs = "virtio-fs" (the default since Kata 2) to measure the fast path')
    if shared_fs in ("virtio-fs", "virtio-fs-nydus"):
        return ("PASS", f"{shared_fs}: files and volumes reach the VM through virtiofsd{cache_note}", "")
    if shared_fs == "none":
        return ("WARN", "no shared file system (confidential-computing set-ups): host directories are not shared "
                        "into the VM over virtio-fs or 9p", "use a virtio-fs configuration to measure shared-file-"
                                                           "system I/O")
    return ("FAIL", f"shared_fs = {shared_fs!r} is not one Kata knows ({', '.join(SHARED_FS_VALUES)})",
            'set shared_fs = "virtio-fs"')


def _config_finding(ctx: CheckContext, config: KataConfig, key: str) -> Finding:
    title = f"Kata configuration {Path(config.path).name}"
    if config.error:
        return failed(f"{config.shown}: {config.error}", "kata-runtime loads its configuration first, so a broken "
                      "file fails every pod that uses it", f"fix {config.path}", key=key, title=title)
    if config.hypervisor is None:
        return failed(f"{config.shown}: no [hypervisor.<name>] table", "Kata does not know which hypervisor to start",
                      f"reinstall {config.path} from the Kata release", key=key, title=title)
    s = config.settings
    facts = [f"[hypervisor.{config.hypervisor}]"]
    missing = []
    for setting in ("path", "kernel", "image", "initrd"):
        value = s.get(setting)
        if isinstance(value, str) and value:
            exists = ctx.path(value).exists()
            facts.append(f"{setting} = {value}" + ("" if exists else " (missing)"))
            if not exists:
                missing.append(f"{setting} {value}")
    shared_fs = s.get("shared_fs")
    cache = s.get("virtio_fs_cache")
    for setting in ("shared_fs", "virtio_fs_cache", "virtio_fs_cache_size", "virtio_fs_extra_args",
                    "block_device_driver", "block_device_aio"):
        if setting in s:
            facts.append(f"{setting} = {json.dumps(s[setting])}")
    observed = f"{config.shown}: " + "; ".join(facts)
    if missing:
        return failed(observed, f"files this configuration points to are missing ({', '.join(missing)}): its pods "
                                "fail to launch the VM", "reinstall Kata (kata-deploy) or fix the paths",
                      key=key, title=title)
    status, meaning, remedy = _shared_fs_verdict(config.hypervisor, shared_fs if isinstance(shared_fs, str) else None,
                                                 cache if isinstance(cache, str) else None)
    return Finding(Status(status), observed, meaning, f"{remedy} in {config.path}" if remedy else "",
                   key=key, title=title)


def check_configs(ctx: CheckContext) -> list[Finding]:
    files = find_configs(ctx)
    if not files:
        searched = ", ".join([*DEFAULT_CONFIGS, f"{KATA_DEPLOY_CONFIG_DIR}/configuration-*.toml"])
        if kata_binary(ctx, SHIM) is None:
            return [skipped(f"no Kata configuration file ({searched}) and no Kata shim",
                            "Kata is not installed (see kata.binaries)")]
        return [failed(f"no Kata configuration file in {searched}",
                       "the shim is installed but has no configuration to start VMs with",
                       "reinstall Kata; kata-deploy writes configuration-<shim>.toml files")]
    used: set[str] = set()
    return [_config_finding(ctx, load_config(ctx, shown, real), _config_key(real, used)) for shown, real in files]


# ---- kata-runtime check / env -------------------------------------------------------------------

@dataclass(frozen=True)
class KataCheckVerdict:
    capable: bool
    can_create: bool
    problems: tuple[str, ...]


_LOGFMT_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse_kata_check(stdout: str, stderr: str) -> KataCheckVerdict:
    """Verdict and error lines of `kata-runtime check` (plain lines plus logrus key=value lines)."""
    text = stdout + "\n" + stderr
    problems = []
    for line in text.splitlines():
        fields = {k: v.strip('"') for k, v in _LOGFMT_FIELD.findall(line)}
        if fields.get("level") in ("error", "fatal") and "msg" in fields:
            detail = ", ".join(f"{k}={fields[k]}" for k in ("name", "description", "reason", "parameter", "value",
                                                            "expected") if k in fields)
            problems.append(fields["msg"] + (f" ({detail})" if detail else ""))
        elif line.startswith("ERROR:") and not fields.get("level"):
            problems.append(line.strip())
    capable = CAPABLE in text and NOT_CAPABLE not in text
    return KataCheckVerdict(capable, capable and CAN_CREATE in text, tuple(dict.fromkeys(problems)))


def summarize_kata_env(document: dict) -> list[str]:
    """The `kata-runtime env --json` facts that matter for I/O and for where it reads its config."""
    def get(*path: str):
        node = document
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        return node

    facts = [
        ("version", get("Runtime", "Version", "Semver")),
        ("config", get("Runtime", "Config", "Path")),
        ("hypervisor", get("Hypervisor", "Path")),
        ("SharedFS", get("Hypervisor", "SharedFS")),
        ("block device driver", get("Hypervisor", "BlockDeviceDriver")),
        ("VMContainerCapable", get("Host", "VMContainerCapable")),
    ]
    return [f"{name} {value}" for name, value in facts if value not in (None, "")]


def check_kata_runtime(ctx: CheckContext) -> Finding:
    if not ctx.live_host:
        raise SkipCheck(f"--root is {ctx.root}: kataio runs host commands only when checking this machine (/)")
    binary = kata_binary(ctx, "kata-runtime")
    if binary is None:
        raise SkipCheck("kata-runtime is not installed (see kata.binaries)")
    timeout = ctx.options.command_timeout_s
    check = run_command([binary, "check", "--no-network-checks"], timeout)
    env = run_command([binary, "env", "--json"], timeout)
    env_facts: list[str] = []
    if env.ok:
        try:
            env_facts = summarize_kata_env(json.loads(env.stdout))
        except json.JSONDecodeError as exc:
            env_facts = [f"`kata-runtime env --json` printed no JSON ({exc})"]
    else:
        env_facts = [env.describe()]
    if check.returncode is None:
        return failed(check.describe() + "; " + "; ".join(env_facts), "Kata's own check did not finish",
                      "run `kata-runtime check` by hand to see where it stops")
    verdict = parse_kata_check(check.stdout, check.stderr)
    said = [CAPABLE if verdict.capable else NOT_CAPABLE] + ([CAN_CREATE] if verdict.can_create else [])
    observed = "; ".join(said + list(verdict.problems[:8]) + env_facts)
    if not verdict.capable or check.returncode != 0:
        return failed(observed, "Kata's own host check fails: the problems it lists stop Kata VMs here",
                      "fix what it lists (details: `kata-runtime check --verbose`)")
    if not verdict.can_create:
        return warned(observed, "capable in principle, but it could not create a VM now (it must run as root for "
                                "that part)", "run kataio check as root")
    return passed(observed, "Kata's own host check passes, including creating a VM")
