"""Kata verdicts (kataio_tui.kata) as check findings, and the Kata facts several checks share."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, Status
from kataio_tui.checks.host import KATA_BIN_DIR, CommandResult, find_binary, run_command
from kataio_tui.kata.hostroot import HostRoot
from kataio_tui.kata.installations import Installation, find_installations
from kataio_tui.kata.verdicts import Severity, Verdict, worst

RUST_BIN_DIR = "/opt/kata/runtime-rs/bin"
STATUS = {Severity.OK: Status.PASS, Severity.WARN: Status.WARN, Severity.FAIL: Status.FAIL}


def host_root(ctx: CheckContext) -> HostRoot:
    return HostRoot(ctx.root)


def installations(ctx: CheckContext) -> list[Installation]:
    return ctx.memo("kata.installations", lambda: find_installations(host_root(ctx)))


def dig(document: Any, *path: str) -> Any:
    """document[path[0]][path[1]]... in a JSON document from a Kata tool; None where it stops."""
    for part in path:
        document = document.get(part) if isinstance(document, dict) else None
    return document


def kata_binary(ctx: CheckContext, name: str) -> str | None:
    return find_binary(ctx, name, extra_dirs=(KATA_BIN_DIR, RUST_BIN_DIR))


def run_tool(ctx: CheckContext, tool: str, check_args: list[str],
             summarize: Callable[[dict[str, Any]], list[str]]) -> tuple[CommandResult, list[str]]:
    """Run a Kata tool's check and ``env --json`` on this machine: (the check's result, env facts)."""
    if not ctx.live_host:
        raise SkipCheck(f"--root is {ctx.root}: kataio runs host commands only when checking this machine (/)")
    binary = kata_binary(ctx, tool)
    if binary is None:
        raise SkipCheck(f"{tool} is not installed (see kata.binaries)")
    timeout = ctx.options.command_timeout_s
    check = run_command([binary, *check_args], timeout)
    return check, env_facts(run_command([binary, "env", "--json"], timeout), summarize)


def env_facts(result: CommandResult, summarize: Callable[[dict[str, Any]], list[str]]) -> list[str]:
    """The facts of a Kata tool's ``env --json``, or how it failed, for the observed text."""
    if not result.ok:
        return [result.describe()]
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        return [f"`{' '.join(result.argv)}` printed no JSON ({exc})"]
    return summarize(document) if isinstance(document, dict) else [f"`{' '.join(result.argv)}`: not a JSON object"]


def verdict_finding(observed: str, verdicts: Sequence[Verdict], ok_meaning: str, **kw: str) -> Finding:
    """One finding for a list of verdicts: the worst status; every problem's reason (with Kata's own
    words) and fix; ``ok_meaning`` when nothing is wrong."""
    problems = [v for v in verdicts if v.severity is not Severity.OK]
    if not problems:
        return Finding(Status.PASS, observed, ok_meaning, **kw)
    meaning = "; ".join(f"{v.subject}: {v.reason}" + (f' (Kata: "{v.kata_error}")' if v.kata_error else "")
                        for v in problems)
    remedy = "; ".join(dict.fromkeys(v.fix for v in problems if v.fix))
    return Finding(STATUS[worst(problems)], observed, meaning, remedy, **kw)
