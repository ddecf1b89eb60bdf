"""The Go runtime's own tool: ``kata-runtime check`` and ``kata-runtime env --json``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from kataio_tui.checks.engine import CheckContext, Finding, failed, passed, warned
from kataio_tui.checks.kata_verdicts import dig, run_tool

CAPABLE = "System is capable of running Kata Containers"
CAN_CREATE = "System can currently create Kata Containers"
NOT_CAPABLE = "System is not capable of running Kata Containers"


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


def summarize_kata_env(document: dict[str, Any]) -> list[str]:
    """The `kata-runtime env --json` facts that matter for I/O and for where it reads its config."""
    get = partial(dig, document)
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
    check, facts = run_tool(ctx, "kata-runtime", ["check", "--no-network-checks"], summarize_kata_env)
    if check.returncode is None:
        return failed(check.describe() + "; " + "; ".join(facts), "Kata's own check did not finish",
                      "run `kata-runtime check` by hand to see where it stops")
    verdict = parse_kata_check(check.stdout, check.stderr)
    said = [CAPABLE if verdict.capable else NOT_CAPABLE] + ([CAN_CREATE] if verdict.can_create else [])
    observed = "; ".join(said + list(verdict.problems[:8]) + facts)
    if not verdict.capable or check.returncode != 0:
        return failed(observed, "Kata's own host check fails: the problems it lists stop Kata VMs here",
                      "fix what it lists (details: `kata-runtime check --verbose`)")
    if not verdict.can_create:
        return warned(observed, "capable in principle, but it could not create a VM now (it must run as root for "
                                "that part)", "run kataio check as root")
    return passed(observed, "Kata's own host check passes, including creating a VM")
