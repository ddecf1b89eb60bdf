"""Kata verdicts (kataio_tui.kata) as check findings, and the Kata facts several checks share."""

from __future__ import annotations

from collections.abc import Sequence

from kataio_tui.checks.engine import CheckContext, Finding, Status
from kataio_tui.kata.hostroot import HostRoot
from kataio_tui.kata.installations import Installation, find_installations
from kataio_tui.kata.verdicts import Severity, Verdict, worst

STATUS = {Severity.OK: Status.PASS, Severity.WARN: Status.WARN, Severity.FAIL: Status.FAIL}


def host_root(ctx: CheckContext) -> HostRoot:
    return HostRoot(ctx.root)


def installations(ctx: CheckContext) -> list[Installation]:
    return ctx.memo("kata.installations", lambda: find_installations(host_root(ctx)))


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
