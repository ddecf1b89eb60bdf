"""Container runtimes on the host: containerd's and CRI-O's runtime handlers (which are Kata), and
the OCI runtimes runc, crun and runsc with their versions."""

from __future__ import annotations

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, passed, warned
from kataio_tui.checks.host import find_binary, run_command
from kataio_tui.checks.kata_verdicts import host_root, installations
from kataio_tui.kata.handlers import (
    CONTAINERD_CONFIG,
    CRI_PLUGIN_IDS,
    CRIO_CONFIG,
    CRIO_DROP_IN_DIR,
    Handler,
    HandlerFileError,
    containerd_files,
    containerd_handlers,
    crio_handlers,
    resolve_handler,
)

OCI_RUNTIMES = (("runc", "runC baseline (the study's)"), ("crun", "crun comparison"),
                ("runsc", "gVisor comparison"))
LOCAL_NAMES = ("runc", "crun", "gvisor")  # the same runtimes by their plan names (local/availability.py)


def _kata_handler_problems(ctx: CheckContext, handler: Handler) -> list[str]:
    use = resolve_handler(host_root(ctx), handler, installations(ctx))
    return [f"{handler.name}: {problem}" for problem in use.problems]


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
        files = containerd_files(host_root(ctx), main)
    except HandlerFileError as exc:
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


def check_crio(ctx: CheckContext) -> Finding:
    binary = find_binary(ctx, "crio")
    try:
        paths, runtimes = crio_handlers(host_root(ctx))
    except HandlerFileError as exc:
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
    problems = [p for r in kata for p in _kata_handler_problems(ctx, r)]
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
