"""runtime-rs's own tool: ``kata-ctl check no-network-checks`` and ``kata-ctl env --json``.

kata-ctl (src/tools/kata-ctl): ``--json-logging`` writes its log as JSON lines on stdout
(libs/logging create_logger: slog-json keys ts, level, msg plus subsystem, pid, name, source; level
as slog's short names INFO/WARN/ERRO/CRIT); problems are WARN lines ("Missing CPU flags [...]") and a
final ERRO line with exit status 1. ``no-network-checks`` runs only the CPU check (check_ops.rs): the
module and KVM checks run only with ``all``, after the network checks, which reach the internet.
``env --json`` describes the runtime-rs *default* configuration (load_from_default), not a
handler's ConfigPath.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kataio_tui.checks.engine import CheckContext, Finding, failed, passed, warned
from kataio_tui.checks.kata_verdicts import dig, run_tool

TOOL = "kata-ctl"
PROBLEM_LEVELS = {"WARN": "warning", "WARNING": "warning", "ERRO": "error", "ERROR": "error", "CRIT": "error",
                  "CRITICAL": "error"}


@dataclass(frozen=True)
class CtlCheck:
    warnings: tuple[str, ...]
    errors: tuple[str, ...]


def parse_ctl_check(stdout: str, stderr: str) -> CtlCheck:
    """Problems from kata-ctl's JSON log lines (stdout) and any plain error lines (stderr)."""
    found: dict[str, list[str]] = {"warning": [], "error": []}
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = PROBLEM_LEVELS.get(str(record.get("level", "")).upper()) if isinstance(record, dict) else None
        if kind and record.get("msg"):
            found[kind].append(" ".join(str(record["msg"]).split()))
    found["error"] += [line.strip() for line in stderr.splitlines() if line.strip().upper().startswith("ERROR")]
    return CtlCheck(tuple(dict.fromkeys(found["warning"])), tuple(dict.fromkeys(found["error"])))


def summarize_ctl_env(document: dict[str, Any]) -> list[str]:
    """The ``kata-ctl env --json`` facts that matter for I/O (env_ops.rs EnvInfo, snake_case keys)."""
    facts = [
        ("version", dig(document, "runtime", "version", "semver")),
        ("default config", dig(document, "runtime", "config", "path")),
        ("hypervisor", dig(document, "hypervisor", "path")),
        ("shared_fs", dig(document, "hypervisor", "shared_fs")),
        ("virtio_fs_daemon", dig(document, "hypervisor", "virtio_fs_daemon")),
        ("block_device_driver", dig(document, "hypervisor", "block_device_driver")),
        ("enable_annotations", dig(document, "hypervisor", "security_info", "enable_annotations")),
        ("vm_container_capable", dig(document, "host", "vm_container_capable")),
        ("support_vsocks", dig(document, "host", "support_vsocks")),
    ]
    return [f"{name} {json.dumps(value) if isinstance(value, list) else value}" for name, value in facts
            if value not in (None, "")]


def check_kata_ctl(ctx: CheckContext) -> Finding:
    check, facts = run_tool(ctx, TOOL, ["--json-logging", "check", "no-network-checks"], summarize_ctl_env)
    if check.returncode is None:
        return failed(check.describe() + "; " + "; ".join(facts), "kata-ctl's check did not finish",
                      "run `kata-ctl check no-network-checks` by hand to see where it stops")
    parsed = parse_ctl_check(check.stdout, check.stderr)
    said = [*parsed.errors, *parsed.warnings][:8]
    observed = "; ".join([f"`kata-ctl check no-network-checks` exited {check.returncode}", *said,
                          "env (runtime-rs default configuration): " + ", ".join(facts)])
    if check.returncode != 0 or parsed.errors:
        return failed(observed, "kata-ctl's own check fails: runtime-rs pods will not start here",
                      "fix what it lists (details: `kata-ctl -l debug check no-network-checks`)")
    if parsed.warnings:
        return warned(observed, "kata-ctl warns about this host's CPU (its check is looser than kata-runtime's: "
                      "warnings, not errors)", "compare with kata.runtime_check and the cpu.* checks")
    return passed(observed, "kata-ctl's CPU check passes (kata-ctl checks modules and KVM only together with "
                  "network checks, which kataio does not run)")
