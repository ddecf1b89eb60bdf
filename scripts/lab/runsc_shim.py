#!/usr/bin/env python3
"""runsc (gVisor) behind containerd's runc v2 shim (io.containerd.runc.v2 with options.BinaryName).

Debian ships runsc but not gVisor's own shim (containerd-shim-runsc-v1). The runc v2 shim can drive
runsc because runsc speaks runc's command line, with two differences handled here:

1. Flags: runsc refuses to start a sandbox with its own network stack in the root network namespace
   as the CNI set it up, and cannot use runc's cgroup layout on this host; so every call gets
   --network=host --ignore-cgroups (and KATAIO_LAB_RUNSC_FLAGS, if set).
2. Exit detection: the runc shim learns that a container exited by reaping the PID written to
   --pid-file (it is a child subreaper). For the pod sandbox that PID is the gVisor sandbox process,
   which is right. For an application container runsc writes the same sandbox PID, which lives
   until the pod is torn down: the shim would never see the container exit (the pod stays Running).
   Here `create` of an application container writes instead the PID of a watcher process,
   re-parented to the shim, which runs `runsc wait ID` and exits with the container's exit status.
"""
import json
import os
import subprocess
import sys
import time

RUNSC = os.path.join(os.environ.get("CACHE", os.path.expanduser("~/.cache/kataio-lab")), "bin", "runsc")
EXTRA = ["--network=host", "--ignore-cgroups"] + os.environ.get("KATAIO_LAB_RUNSC_FLAGS", "").split()
GLOBAL_WITH_VALUE = {"--root", "--log", "--log-format", "--criu", "--rootless"}


def split_args(argv):
    """-> (global flags, subcommand, subcommand args)."""
    i = 0
    glob = []
    while i < len(argv) and argv[i].startswith("-"):
        glob.append(argv[i])
        if "=" not in argv[i] and argv[i] in GLOBAL_WITH_VALUE and i + 1 < len(argv):
            glob.append(argv[i + 1])
            i += 1
        i += 1
    if i >= len(argv):
        return glob, None, []
    return glob, argv[i], argv[i + 1:]


def opt(args, name):
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def watcher(base, cid):
    """Daemonised: wait until the container has started, then until it exits; exit with its status."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 1024)
    deadline = time.time() + 24 * 3600
    while time.time() < deadline:
        st = subprocess.run(base + ["state", cid], capture_output=True, text=True)
        if st.returncode != 0:
            os._exit(255)
        status = json.loads(st.stdout or "{}").get("status")
        if status in ("running", "stopped"):
            break
        time.sleep(0.05)
    res = subprocess.run(base + ["wait", cid], capture_output=True, text=True)
    try:
        code = int(json.loads(res.stdout)["exitStatus"])
    except (ValueError, KeyError):
        code = 255
    os._exit(code & 0xFF)


def main():
    argv = sys.argv[1:]
    glob, sub, rest = split_args(argv)
    base = [RUNSC] + EXTRA + glob
    if sub != "create":
        os.execv(RUNSC, base + ([sub] if sub else []) + rest)
    bundle = opt(rest, "--bundle") or opt(rest, "-b") or "."
    pid_file = opt(rest, "--pid-file")
    cid = rest[-1]
    try:
        with open(os.path.join(bundle, "config.json")) as fh:
            kind = json.load(fh).get("annotations", {}).get("io.kubernetes.cri.container-type", "")
    except OSError:
        kind = ""
    rc = subprocess.call(base + ["create"] + rest)
    if rc != 0 or kind != "container" or not pid_file:
        sys.exit(rc)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        grandchild = os.fork()
        if grandchild == 0:
            os.close(r)
            os.close(w)
            watcher(base, cid)
        os.write(w, str(grandchild).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)  # the watcher is now an orphan, re-parented to the shim (a subreaper)
    child = os.read(r, 64).decode().strip()
    if not child:
        sys.exit(rc)
    tmp = pid_file + ".kataio"
    with open(tmp, "w") as fh:
        fh.write(str(child))
    os.replace(tmp, pid_file)
    sys.exit(0)


if __name__ == "__main__":
    main()
