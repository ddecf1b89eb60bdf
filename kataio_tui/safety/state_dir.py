"""The per-user state directory: run journals, job files, OCI bundles. Never a guessable shared
path (such as /tmp/kataio-<uid>) that another user could have made first.

In order: $KATAIO_STATE_DIR; as root /run/kataio; else $XDG_RUNTIME_DIR/kataio when
XDG_RUNTIME_DIR is ours and private (as systemd-logind makes /run/user/<uid>); else the user state
directory (~/.local/state/kataio). Whatever is chosen is made 0700 or verified (private_dirs).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

from kataio_tui.paths import APP
from kataio_tui.safety.private_dirs import ensure_private_dir

ENV = "KATAIO_STATE_DIR"
RUNS = "runs"


def _private_runtime_dir() -> Path | None:
    """$XDG_RUNTIME_DIR when it is an absolute directory of ours, not a link, mode 0700."""
    value = os.environ.get("XDG_RUNTIME_DIR")
    if not value or not os.path.isabs(value):
        return None
    try:
        st = os.lstat(value)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o077:
        return None
    return Path(value)


def state_root_candidate() -> Path:
    """Where the state directory would be (not created or checked)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    if os.geteuid() == 0 and os.path.isdir("/run"):
        return Path("/run") / APP
    runtime = _private_runtime_dir()
    if runtime is not None:
        return runtime / APP
    return Path(platformdirs.user_state_dir(APP))


def state_dir() -> Path:
    """The state directory, made (0700) or verified; raises UnsafePathError/KataioError naming it."""
    return ensure_private_dir(state_root_candidate())


def runs_dir() -> Path:
    """Where each run keeps its journal and its control files (job files, bundles)."""
    return ensure_private_dir(state_dir() / RUNS)
