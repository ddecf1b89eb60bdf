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
3. Stdio: runc binds a container's stdio at `create`; runsc binds an application container's stdio at
   `start` (the sandbox takes the stdio of the `runsc start` process, which the shim captures for error
   messages, so the container's output was lost). The watcher keeps the stdio the shim gave to
   `create` (as fds 100-102) until the container runs, and `start` re-opens them through
   /proc/WATCHER/fd and hands them to `runsc start`.
4. `kill` of a sandbox that already stopped fails in runsc ("sandbox is not running"), which made
   containerd retry StopPodSandbox forever; it is reported as success, as runc does.
"""
import json
import os
import subprocess
import sys
import time

RUNSC = os.path.join(os.environ.get("CACHE", os.path.expanduser("~/.cache/kataio-lab")), "bin", "runsc")
EXTRA = ["--network=host", "--ignore-cgroups"] + os.environ.get("KATAIO_LAB_RUNSC_FLAGS", "").split()
KEEP = 100
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
    for fd in (0, 1, 2):
        os.dup2(fd, KEEP + fd, inheritable=False)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, KEEP)
    os.closerange(KEEP + 3, 1024)
    deadline = time.time() + 24 * 3600
    while time.time() < deadline:
        st = subprocess.run(base + ["state", cid], capture_output=True, text=True)
        if st.returncode != 0:
            os._exit(255)
        status = json.loads(st.stdout or "{}").get("status")
        if status in ("running", "stopped"):
            break
    for fd in (0, 1, 2):  # the sandbox holds the container's stdio now
        os.close(KEEP + fd)
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
    root = opt(glob, "--root") or "/var/run/runsc"
    if sub == "start" and rest:
        watcher_file = os.path.join(root, f"kataio-watcher-{rest[-1]}")
        if os.path.exists(watcher_file):
            wpid = open(watcher_file).read().strip()
            try:
                fds = [os.open(f"/proc/{wpid}/fd/{KEEP}", os.O_RDONLY),
                       os.open(f"/proc/{wpid}/fd/{KEEP + 1}", os.O_WRONLY),
                       os.open(f"/proc/{wpid}/fd/{KEEP + 2}", os.O_WRONLY)]
            except OSError:
                fds = None
            if fds:
                rc = subprocess.call(base + ["start"] + rest, stdin=fds[0], stdout=fds[1], stderr=fds[2])
                sys.exit(rc)
    if sub == "kill" and rest:
        res = subprocess.run(base + ["kill"] + rest, capture_output=True, text=True)
        if res.returncode != 0:
            cid = [a for a in rest if not a.startswith("-")][0]
            st = subprocess.run(base + ["state", cid], capture_output=True, text=True)
            if st.returncode != 0 or json.loads(st.stdout or "{}").get("status") == "stopped":
                sys.exit(0)
            sys.stderr.write(res.stderr)
        sys.exit(res.returncode)
    if sub == "delete" and rest:
        try:
            os.unlink(os.path.join(root, f"kataio-watcher-{rest[-1]}"))
        except OSError:
            pass
        os.execv(RUNSC, base + ["delete", "--force"] + [a for a in rest if a not in ("--force", "-f")])
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
    with open(os.path.join(root, f"kataio-watcher-{cid}"), "w") as fh:
        fh.write(child)
    tmp = pid_file + ".kataio"
    with open(tmp, "w") as fh:
        fh.write(str(child))
    os.replace(tmp, pid_file)
    sys.exit(0)


if __name__ == "__main__":
    main()
