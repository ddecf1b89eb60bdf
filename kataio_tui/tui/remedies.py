"""Remedies in the TUI's words: the core's messages name `kataio` command-line flags (they are written
for the CLI); shown in the TUI, those the TUI has an action for name that action instead, and the
others say they are for a shell (no Textual).

Each entry is (what the core says, what the TUI says); tests/tui/test_remedies.py feeds the real
messages of the code that raises them through here.
"""

from __future__ import annotations

import re

_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), text) for pattern, text in (
    # kube/connect: no kubeconfig
    (r"pass --kubeconfig FILE, set KUBECONFIG, or write ~/\.kube/config",
     "start kataio with KUBECONFIG=FILE set, or write ~/.kube/config (Home shows the kubeconfig in use)"),
    # the Kubernetes runner lost the API server mid-run
    (r"re-run with --resume",
     "the scenarios that finished are saved; R on the set in Browse (2) runs the rest"),
    # checks: the cluster is unreachable
    (r" \(or use --host-only\)", ""),
    (r"run the canary \(--canary\)", "turn the canary on (t on Checks) and re-run (r)"),
    (r"there \(--canary\)", "there (t on Checks turns the canary on, r re-runs)"),
    # checks: no fio target directory
    (r"pass --target-dir DIR \(or --plan FILE\)",
     "in a shell, `kataio check --target-dir DIR` tests a directory (this screen checks the host and cluster)"),
    # local runner: a container did not start
    (r"`kataio check` lists host problems", "the Checks screen (3) lists host problems"),
    # model: loading a plan file that does not exist
    (r"write one with `kataio plan --preset (\S+) -o [^`]+`",
     r"choose the \1 preset on Plan and save it there with ctrl+s"),
))


def for_tui(text: str | None) -> str:
    """text with the CLI's remedies said in the TUI's terms ('' for None)."""
    if not text:
        return ""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text
