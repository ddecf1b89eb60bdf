"""The mount-table parser and the start gate's log handling, on real text.

Mount tables: inside Kata pods as users posted them (mount(8) output), and /proc/mounts lines the lab's
runc and gVisor pods printed through the start gate (kataio-mount: ...).
"""

from __future__ import annotations

from kataio_tui.runners.kubernetes import gate, mounts

# A Kata 2.x pod (virtio-fs) with a hostPath volume at /test: `mount` inside the container (trimmed), from a
# user's public notes on Kata with Kubernetes (kata-containers/kata-containers#4256 shows the same
# "none on / type virtiofs"). The volume shows source "none", the files Kata shares show "kataShared".
KATA_VIRTIOFS = """\
none on / type virtiofs (rw,relatime)
proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)
tmpfs on /dev type tmpfs (rw,nosuid,size=65536k,nr_inodes=255223,mode=755)
cgroup on /sys/fs/cgroup/blkio type cgroup (ro,nosuid,nodev,noexec,relatime,blkio)
none on /test type virtiofs (rw,relatime)
kataShared on /etc/hosts type virtiofs (rw,relatime)
kataShared on /dev/termination-log type virtiofs (rw,relatime)
kataShared on /etc/hostname type virtiofs (rw,relatime)
kataShared on /etc/resolv.conf type virtiofs (rw,relatime)
shm on /dev/shm type tmpfs (rw,relatime,size=1020892k,nr_inodes=255223)
"""

# Kata 1.x with 9p (the study's era), from kata-containers/runtime#1748 (a centos container under docker).
KATA_9P = "kataShared on / type 9p (rw,nodev,relatime,dirsync,mmap,access=client,trans=virtio)\n"

# The gate's lines from real lab pods (gVisor through the runc shim; runc with a hostPath volume).
GVISOR_GATE = (
    b"kataio-mount: none / 9p ro,trans=fd,rfdno=47,wfdno=47,aname=/,dfltuid=4294967294,dfltgid=4294967294,"
    b"cache=fscache,overlayfs_stale_read 0 0\n"
    b"kataio-mount: none /data 9p rw,trans=fd,rfdno=48,wfdno=48,aname=/,dfltuid=4294967294,dfltgid=4294967294,"
    b"cache=remote_revalidating 0 0\n"
    b"kataio-gate: ready\n")
RUNC_GATE = (
    b"kataio-mount: overlay / overlay ro,relatime,lowerdir=/root/.cache/kataio-lab/state/containerd/"
    b"io.containerd.snapshotter.v1.overlayfs/snapshots/2/fs,upperdir=/root/.cache/kataio-lab/state/containerd/"
    b"io.containerd.snapshotter.v1.overlayfs/snapshots/10/fs,workdir=/root/.cache/kataio-lab/state/containerd/"
    b"io.containerd.snapshotter.v1.overlayfs/snapshots/10/work 0 0\n"
    b"kataio-mount: /dev/vda /data ext4 rw,relatime,discard,resv_strict,resuid=65534,resgid=65534 0 0\n"
    b"kataio-gate: ready\n")


def test_kata_virtiofs_pod():
    entries = mounts.parse_mount_table(KATA_VIRTIOFS)
    assert len(entries) == 10
    assert mounts.kata_shared_fs(entries) == "virtiofs"
    facts = mounts.describe(entries, "/test")
    assert facts == {"data_fs": "virtiofs", "data_source": "none", "data_options": "rw,relatime",
                     "root_fs": "virtiofs", "kata_shared_fs": "virtiofs"}


def test_kata_9p_and_proc_mounts_format():
    assert mounts.kata_shared_fs(mounts.parse_mount_table(KATA_9P)) == "9p"
    line = "kataShared /run/kata-containers/shared/containers 9p rw,dirsync,nodev,relatime,mmap,access=client,trans=virtio 0 0"
    (entry,) = mounts.parse_mount_table(line)
    assert (entry.source, entry.target, entry.fstype) == ("kataShared", "/run/kata-containers/shared/containers", "9p")


def test_gvisor_and_runc_lines_from_the_gate():
    gvisor = mounts.parse_mount_table("\n".join(gate.mount_lines(GVISOR_GATE)))
    assert mounts.describe(gvisor, "/data")["data_fs"] == "9p"
    assert mounts.kata_shared_fs(gvisor) is None
    runc = mounts.describe(mounts.parse_mount_table("\n".join(gate.mount_lines(RUNC_GATE))), "/data")
    assert (runc["data_fs"], runc["data_source"], runc["root_fs"]) == ("ext4", "/dev/vda", "overlay")


def test_octal_escapes_and_longest_mount_wins():
    entries = mounts.parse_mount_table("/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /mnt/my\\040disk xfs rw 0 0\n")
    assert entries[1].target == "/mnt/my disk"
    assert mounts.mount_of(entries, "/mnt/my disk/x").fstype == "xfs"
    assert mounts.mount_of(entries, "/mnt/other").fstype == "ext4"


def test_split_log_takes_fio_output_after_the_go_line_only():
    log = RUNC_GATE + b"kataio-gate: go\n{\n  \"fio version\" : \"fio-3.33\"\n}\n"
    before, after = gate.split_log(log)
    assert before == RUNC_GATE
    assert after == b"{\n  \"fio version\" : \"fio-3.33\"\n}\n"
    assert gate.split_log(RUNC_GATE) == (RUNC_GATE, None)
    # the marker only counts at the start of a line
    assert gate.split_log(b"xkataio-gate: go\n{}\n")[1] is None


def test_gate_failures_are_one_line_with_fio_s_words():
    # what fio 3.33 printed under gVisor with ioengine=io_uring (lab, runsc 2022-12-19)
    prelude = (b"kataio-mount: none / 9p ro 0 0\nfio: pid=6, got signal=11\nfio: pid=7, got signal=11\n"
               b"free(): double free detected in tcache 2\nAborted\nkataio-gate: layout failed (fio exit 134)\n")
    assert gate.gate_failure(prelude) == ("laying out the data files failed (fio exit 134): fio: pid=6, got "
                                          "signal=11; fio: pid=7, got signal=11; free(): double free detected in "
                                          "tcache 2; Aborted")
    assert gate.gate_failure(b"kataio-gate: ready\nkataio-gate: stdin closed before the go line\n") == \
        "stdin closed before the go line"
    assert gate.gate_failure(RUNC_GATE) is None


def test_gate_script_uses_only_shell_builtins_and_fio():
    script = gate.gate_command("/data")[2]
    words = {line.split()[0] for line in script.splitlines() if line.strip()}
    assert words <= {"while", "case", "fio", "echo", "read", "exec"}, words
    assert "--create_only=1" in script and "--status-interval=1" in script


def test_probe_reports_fio_s_version():
    assert gate.probe_fio_version(RUNC_GATE + b"kataio-fio: fio-3.33\n") == "fio-3.33"
    assert gate.probe_fio_version(RUNC_GATE) is None
    assert "fio --version" in gate.probe_command("/data")[2]
