"""Proof from inside a client pod: the ``kataShared`` mount shows which shared file system runs.

kata.md: inside a Kata pod, ``mount`` shows the tag ``kataShared`` with type ``virtiofs`` or ``9p``.
virtio-fs-nydus and Dragonball's inline-virtio-fs serve the same virtio-fs device to the guest;
``none`` (and Firecracker) share nothing, so there is no kataShared mount.
"""

from __future__ import annotations

from dataclasses import dataclass

from kataio_tui.kata.verdicts import Severity, Verdict

TAG = "kataShared"
MOUNT_TYPE = {"virtio-fs": "virtiofs", "inline-virtio-fs": "virtiofs", "virtio-fs-nydus": "virtiofs",
              "virtio-9p": "9p", "none": None}


def expected_mount_type(shared_fs: str) -> str | None:
    """The kataShared type a pod with this shared_fs shows; None: no kataShared mount at all.
    Raises KeyError for a shared_fs Kata does not know."""
    return MOUNT_TYPE[shared_fs]


def kata_shared_types(mount_text: str) -> tuple[str, ...]:
    """Types of the kataShared mounts in /proc/mounts lines ("kataShared /x virtiofs rw 0 0") or
    ``mount`` output ("kataShared on /x type virtiofs (rw)"), in order, without repeats."""
    types: list[str] = []
    for line in mount_text.splitlines():
        fields = line.split()
        if not fields or fields[0] != TAG:
            continue
        if len(fields) >= 5 and fields[1] == "on" and fields[3] == "type":
            types.append(fields[4])
        elif len(fields) >= 3:
            types.append(fields[2])
    return tuple(dict.fromkeys(types))


@dataclass(frozen=True)
class MountProof:
    requested: str
    observed: tuple[str, ...]
    applied: bool
    verdict: Verdict


def prove(requested_shared_fs: str, mount_text: str) -> MountProof:
    """Did the pod get the shared file system its variant asked for?"""
    observed = kata_shared_types(mount_text)
    expected = expected_mount_type(requested_shared_fs)
    seen = ", ".join(observed) or "no kataShared mount"
    subject = f"shared_fs {requested_shared_fs} requested, pod shows {seen}"
    if expected is None:
        applied = not observed
        reason = "no shared file system, as requested" if applied else \
            "the pod has a kataShared mount although no shared file system was requested"
    else:
        applied = observed == (expected,)
        if applied:
            reason = f"kataShared is {expected}: the variant was applied"
        elif not observed:
            reason = "no kataShared mount: the pod is not in a Kata VM (runC?) or shares nothing"
        else:
            reason = f"kataShared is {seen}, not {expected}: the pod ran another configuration (variant not applied)"
    severity = Severity.OK if applied else Severity.WARN
    fix = "" if applied else ("check enable_annotations and the handler's pod_annotations on the node "
                              "(kataio check), then run the scenario again")
    return MountProof(requested_shared_fs, observed, applied, Verdict("mount.kataShared", severity, subject, reason, fix))
