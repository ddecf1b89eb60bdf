"""Host checks on real file trees (tests/fixtures/hosts, in the formats real hosts write), on this
machine's real /proc, /sys and /dev/kvm, with real fio/runc/crun/runsc; plus the check engine and
`kataio check` itself."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kataio_tui.checks import kata_runtime_check
from kataio_tui.local.cpuinfo import parse_cpuinfo
from kataio_tui.checks.engine import (Check, CheckContext, CheckResult, CheckUpdate, SkipCheck, Status, exit_code,
                                      passed, report_document, run_checks)
from kataio_tui.checks.kvm import KVM_API_VERSION, explain_create_vm_error, explain_open_error, probe_kvm
from kataio_tui.checks.options import CheckOptions, options_from_plan
from kataio_tui.checks.registry import HOST_CHECKS, Selection, find_check, plan_checks
from kataio_tui.cli import main
from kataio_tui.model.plan import preset

FIXTURES = Path(__file__).parent / "fixtures" / "hosts"
VHOST_VSOCK = (10, 241)  # misc device numbers the kernel gives these nodes
VHOST_NET = (10, 238)


def run_ids(*ids: str, **options) -> dict[str, CheckResult]:
    opts = CheckOptions(**options)
    results = run_checks([find_check(i) for i in ids], opts)
    return {r.id: r for r in results}


def fixture_copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest, symlinks=True)
    return dest


def make_char_device(root: Path, host_path: str, numbers: tuple[int, int]) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating device nodes needs root")
    path = root / host_path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(*numbers))


# ---- CPU -------------------------------------------------------------------------------------------

def test_cpuinfo_fixtures_parse_like_the_kernel_writes_them():
    intel = parse_cpuinfo((FIXTURES / "intel-baremetal/proc/cpuinfo").read_text())
    assert intel.vendor == "GenuineIntel" and intel.processors == 2
    assert {"vmx", "lm", "sse4_1"} <= intel.flags and not intel.in_vm
    amd = parse_cpuinfo((FIXTURES / "amd-baremetal/proc/cpuinfo").read_text())
    assert amd.vendor == "AuthenticAMD" and amd.virt_flag == "svm"
    vm = parse_cpuinfo((FIXTURES / "vm-no-nested/proc/cpuinfo").read_text())
    assert vm.in_vm and vm.virt_flag is None


def test_real_cpuinfo_matches_what_grep_sees():
    text = Path("/proc/cpuinfo").read_text()
    cpu = parse_cpuinfo(text)
    first_flags = next(line for line in text.splitlines() if line.startswith("flags")).split(":", 1)[1].split()
    assert cpu.flags == frozenset(first_flags)
    assert cpu.processors == os.cpu_count()
    assert cpu.in_vm == ("hypervisor" in first_flags)


def test_intel_bare_metal_passes_cpu_and_module_checks():
    r = run_ids("cpu.flags", "cpu.hypervisor", "modules.kvm", "modules.kvm_params", root=FIXTURES / "intel-baremetal")
    assert r["cpu.flags"].status is Status.PASS and "missing" not in r["cpu.flags"].observed
    assert r["cpu.hypervisor"].status is Status.PASS and "bare metal" in r["cpu.hypervisor"].meaning
    assert r["modules.kvm"].status is Status.PASS and "kvm_intel yes" in r["modules.kvm"].observed
    params = r["modules.kvm_params"]
    assert params.status is Status.PASS
    assert "unrestricted_guest=Y" in params.observed and "Westmere" in params.meaning
    assert "kvmclock_periodic_sync=Y" in params.observed


def test_intel_without_unrestricted_guest_fails_the_westmere_requirement(tmp_path):
    root = fixture_copy("intel-baremetal", tmp_path)
    (root / "sys/module/kvm_intel/parameters/unrestricted_guest").write_text("N\n")
    result = run_ids("modules.kvm_params", root=root)["modules.kvm_params"]
    assert result.status is Status.FAIL
    assert "unrestricted_guest=N" in result.observed and "Westmere" in result.meaning


def test_amd_bare_metal_with_svm():
    r = run_ids("cpu.flags", "modules.kvm", "modules.kvm_params", root=FIXTURES / "amd-baremetal")
    assert r["cpu.flags"].status is Status.PASS
    assert r["modules.kvm"].status is Status.PASS and "kvm_amd yes" in r["modules.kvm"].observed
    assert r["modules.kvm_params"].status is Status.PASS and "kvm_amd nested=1" in r["modules.kvm_params"].observed


def test_vm_without_nested_virtualisation():
    r = run_ids("cpu.flags", "cpu.hypervisor", "modules.kvm", "modules.kvm_params", root=FIXTURES / "vm-no-nested")
    assert r["cpu.flags"].status is Status.FAIL
    assert "missing: vmx" in r["cpu.flags"].observed and "outer hypervisor" in r["cpu.flags"].meaning
    assert r["cpu.hypervisor"].status is Status.WARN and "nested" in r["cpu.hypervisor"].remedy
    assert r["modules.kvm"].status is Status.FAIL and "kvm_intel" in r["modules.kvm"].meaning
    assert r["modules.kvm_params"].status is Status.SKIP


def test_vm_with_nested_virtualisation():
    r = run_ids("cpu.flags", "cpu.hypervisor", "modules.kvm_params", root=FIXTURES / "vm-nested")
    assert r["cpu.flags"].status is Status.PASS
    assert r["cpu.hypervisor"].status is Status.PASS and "nested" in r["cpu.hypervisor"].meaning
    params = r["modules.kvm_params"]
    assert params.status is Status.PASS and "nested=N" in params.observed


def test_unreadable_cpuinfo_skips_with_the_path(tmp_path):
    result = run_ids("cpu.flags", root=tmp_path)["cpu.flags"]
    assert result.status is Status.SKIP and str(tmp_path / "proc/cpuinfo") in result.observed


# ---- /dev/kvm, for real --------------------------------------------------------------------------

def test_real_dev_kvm_ioctls():
    if not Path("/dev/kvm").exists():
        pytest.skip("this machine has no /dev/kvm")
    ctx = CheckContext(CheckOptions())
    probe = probe_kvm(ctx)
    assert probe.exists and probe.char_device
    if os.geteuid() != 0 and probe.open_errno == errno.EACCES:
        pytest.skip("/dev/kvm is not open to this user")
    assert probe.api_version == KVM_API_VERSION
    assert probe.create_vm_errno is None and probe.usable
    result = run_ids("kvm.device")["kvm.device"]
    assert result.status is Status.PASS and "KVM_CREATE_VM succeeded" in result.observed


def test_real_host_reports_kvm_without_vmx_or_svm_honestly():
    cpu = parse_cpuinfo(Path("/proc/cpuinfo").read_text())
    probe = probe_kvm(CheckContext(CheckOptions()))
    if not probe.usable:
        pytest.skip("no usable /dev/kvm here")
    result = run_ids("kvm.backend")["kvm.backend"]
    if cpu.virt_flag:
        assert result.status is Status.PASS and "hardware-assisted" in result.meaning
        return
    # This machine: /dev/kvm works although /proc/cpuinfo shows neither vmx nor svm.
    assert result.status is Status.WARN
    assert "neither vmx nor svm" in result.observed
    for hypervisor in ("QEMU", "Cloud Hypervisor", "Firecracker"):
        assert hypervisor in result.meaning
    if Path("/sys/module/kvm_pvm").is_dir():
        assert "kvm_pvm" in result.observed and "PVM guest" in result.meaning
    flags = run_ids("cpu.flags")["cpu.flags"]
    assert flags.status is Status.FAIL and "kvm.backend" in flags.meaning


def test_kvm_device_missing_and_not_a_device(tmp_path):
    result = run_ids("kvm.device", root=tmp_path)["kvm.device"]
    assert result.status is Status.FAIL and "does not exist" in result.observed
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/kvm").write_text("")
    result = run_ids("kvm.device", "kvm.backend", root=tmp_path)
    assert result["kvm.device"].status is Status.FAIL and "not a character device" in result["kvm.device"].observed
    assert result["kvm.backend"].status is Status.SKIP


def test_kvm_errno_meanings():
    meaning, remedy = explain_create_vm_error(errno.EBUSY)
    assert "another hypervisor" in meaning and "16 Device or resource busy" in meaning
    assert "stop the other hypervisor" in remedy
    meaning, remedy = explain_open_error(errno.EACCES)
    assert "root" in remedy
    assert "kvm_intel or kvm_amd" in explain_open_error(errno.ENXIO)[1]


# ---- modules and vhost devices -------------------------------------------------------------------

def test_vhost_modules_and_devices(tmp_path):
    root = fixture_copy("intel-baremetal", tmp_path)
    before = run_ids("modules.vhost", root=root)
    assert before["modules.vhost.net"].status is Status.PASS
    vsock = before["modules.vhost.vsock"]
    assert vsock.status is Status.FAIL and "host system doesn't support vsock" in vsock.meaning
    make_char_device(root, "/dev/vhost-vsock", VHOST_VSOCK)
    make_char_device(root, "/dev/vhost-net", VHOST_NET)
    after = run_ids("modules.vhost", root=root)
    assert after["modules.vhost.vsock"].status is Status.PASS
    assert "/dev/vhost-net present" in after["modules.vhost.net"].observed
    # A VMware guest's vsock transport can hold vsock.
    (root / "sys/module/vmw_vsock_vmci_transport").mkdir(parents=True)
    vmware = run_ids("modules.vhost", root=root)["modules.vhost.vsock"]
    assert vmware.status is Status.WARN and "vmw_vsock_vmci_transport" in vmware.remedy


def test_real_host_modules_match_sys_module():
    r = run_ids("modules.kvm", "modules.vhost")
    kvm_loaded = Path("/sys/module/kvm").is_dir()
    assert ("kvm yes" in r["modules.kvm"].observed) == kvm_loaded
    vhost_ok = Path("/sys/module/vhost").is_dir() and Path("/sys/module/vhost_net").is_dir()
    assert (r["modules.vhost.net"].status is Status.PASS) == vhost_ok
    assert (r["modules.vhost.vsock"].status is Status.FAIL) == (not Path("/dev/vhost-vsock").exists())


# ---- Kata installation -----------------------------------------------------------------------------

def test_kata_9p_install():
    root = FIXTURES / "kata-9p"
    r = run_ids("kata.binaries", "kata.config", "kata.runtime_check", "runtimes.containerd", root=root)
    assert r["kata.binaries"].status is Status.PASS
    assert "/opt/kata/bin/containerd-shim-kata-v2" in r["kata.binaries"].observed
    configs = [x for x in r if x.startswith("kata.config")]
    assert configs == ["kata.config.qemu"]  # configuration.toml is a symlink to it: reported once
    qemu = r["kata.config.qemu"]
    assert qemu.status is Status.WARN
    assert 'shared_fs = "virtio-9p"' in qemu.observed
    assert "kata-containers/configuration.toml -> /opt/kata/share/defaults/kata-containers/configuration-qemu.toml" \
        in qemu.observed
    assert "bottleneck" in qemu.meaning and "15 %" in qemu.meaning
    assert 'shared_fs = "virtio-fs"' in qemu.remedy and "configuration-qemu.toml" in qemu.remedy
    assert r["kata.runtime_check"].status is Status.SKIP  # a file tree: its binaries are never run
    containerd = r["runtimes.containerd"]
    assert containerd.status is Status.PASS
    assert "config version 2" in containerd.observed and "kata-qemu (io.containerd.kata-qemu.v2" in containerd.observed
    assert "runc (io.containerd.runc.v2)" in containerd.observed


def test_kata_virtiofs_install_with_three_shims():
    root = FIXTURES / "kata-virtiofs"
    r = run_ids("kata.config", "runtimes.containerd", "runtimes.crio", root=root)
    assert {k for k in r if k.startswith("kata.config")} == {"kata.config.qemu", "kata.config.clh", "kata.config.fc"}
    qemu = r["kata.config.qemu"]
    assert qemu.status is Status.PASS and 'virtio_fs_cache = "auto"' in qemu.observed
    assert "virtiofsd" in qemu.meaning
    assert r["kata.config.clh"].status is Status.PASS and "[hypervisor.clh]" in r["kata.config.clh"].observed
    fc = r["kata.config.fc"]
    assert fc.status is Status.WARN and "Firecracker has no shared file system" in fc.meaning  # not virtio-fs
    containerd = r["runtimes.containerd"]
    assert containerd.status is Status.PASS, containerd.observed
    assert "config version 3" in containerd.observed
    assert "imports /opt/kata/containerd/config.d/kata-deploy.toml" in containerd.observed
    assert "kata-clh, kata-fc, kata-qemu" in containerd.meaning
    crio = r["runtimes.crio"]
    assert crio.status is Status.PASS and "/etc/crio/crio.conf.d/99-kata-deploy" in crio.observed
    assert "kata-clh, kata-fc, kata-qemu" in crio.meaning and "crun (oci" in crio.observed


def test_broken_kata_configurations(tmp_path):
    root = fixture_copy("kata-virtiofs", tmp_path)
    cfg = root / "opt/kata/share/defaults/kata-containers"
    (cfg / "configuration-qemu.toml").write_text('[hypervisor.qemu]\npath = "/opt/kata/bin/qemu-system-x86_64\n')
    clh = (cfg / "configuration-clh.toml").read_text().replace('shared_fs = "virtio-fs"', 'shared_fs = "virtio-9p"')
    (cfg / "configuration-clh.toml").write_text(clh)
    (root / "opt/kata/bin/firecracker").unlink()
    r = run_ids("kata.config", root=root)
    qemu = r["kata.config.qemu"]
    assert qemu.status is Status.FAIL and "not valid TOML" in qemu.observed
    assert "configuration-qemu.toml" in qemu.observed
    assert r["kata.config.clh"].status is Status.FAIL and "Cloud Hypervisor rejects virtio-9p" in r["kata.config.clh"].meaning
    fc = r["kata.config.fc"]
    assert fc.status is Status.FAIL and "path = /opt/kata/bin/firecracker (missing)" in fc.observed


def test_no_kata_at_all_on_this_host_or_an_empty_tree(tmp_path):
    r = run_ids("kata.binaries", "kata.config", root=tmp_path)
    assert r["kata.binaries"].status is Status.FAIL and "kata-deploy" in r["kata.binaries"].remedy
    assert r["kata.config"].status is Status.SKIP


def test_parse_kata_runtime_check_output():
    # The exact strings kata-runtime prints (kata-check.go) and its logrus error lines.
    good = kata_runtime_check.parse_kata_check(
        "System is capable of running Kata Containers\nSystem can currently create Kata Containers\n", "")
    assert good.capable and good.can_create and not good.problems
    bad = kata_runtime_check.parse_kata_check("", (
        'time="2024-03-01T10:00:00Z" level=error msg="CPU property not found" arch=amd64 '
        'description="Virtualization support" name=vmx pid=4242 source=runtime type=flag\n'
        'time="2024-03-01T10:00:00Z" level=error msg="kernel property vhost_vsock not found" arch=amd64 '
        'description="Host Support for Linux VM Sockets" name=vhost_vsock pid=4242 source=runtime type=module\n'
        'time="2024-03-01T10:00:00Z" level=fatal msg="ERROR: System is not capable of running Kata Containers" '
        'arch=amd64 name=kata-runtime pid=4242 source=runtime\n'))
    assert not bad.capable and not bad.can_create
    assert bad.problems[0] == "CPU property not found (name=vmx, description=Virtualization support)"
    assert any("vhost_vsock" in p for p in bad.problems)


def _stand_in_kata_runtime(directory: Path, check_stdout: str, check_stderr: str, code: int, env: dict) -> None:
    script = directory / "kata-runtime"
    script.write_text("#!/bin/sh\n"
                      f"if [ \"$1\" = check ]; then printf '%s' '{check_stdout}'; printf '%s' '{check_stderr}' >&2; "
                      f"exit {code}; fi\n"
                      f"if [ \"$1\" = env ]; then printf '%s' '{json.dumps(env)}'; exit 0; fi\nexit 2\n")
    script.chmod(0o755)


def test_kata_runtime_check_is_run_with_a_timeout(tmp_path, monkeypatch):
    # Kata cannot run on this machine (no vmx/svm), so a stand-in `kata-runtime` prints what the real
    # one prints (the strings of kata-check.go and its logrus lines); this exercises running it for real.
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    env = {"Runtime": {"Version": {"Semver": "3.2.0"}}, "Hypervisor": {"SharedFS": "virtio-9p"}}
    _stand_in_kata_runtime(tmp_path, "System is capable of running Kata Containers\nSystem can currently create "
                           "Kata Containers\n", "", 0, env)
    good = run_ids("kata.runtime_check")["kata.runtime_check"]
    assert good.status is Status.PASS and "SharedFS virtio-9p" in good.observed and "version 3.2.0" in good.observed
    _stand_in_kata_runtime(tmp_path, "", 'time="2024-03-01T10:00:00Z" level=error msg="CPU property not found" '
                           "name=svm description=\"Virtualization support\" type=flag\n", 1, env)
    bad = run_ids("kata.runtime_check")["kata.runtime_check"]
    assert bad.status is Status.FAIL and "CPU property not found (name=svm" in bad.observed
    (tmp_path / "kata-runtime").write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")  # a child holds the pipes too
    started = time.monotonic()
    hung = run_ids("kata.runtime_check", command_timeout_s=0.3)["kata.runtime_check"]
    assert hung.status is Status.FAIL and "no answer within 0.3 s" in hung.observed
    assert time.monotonic() - started < 5


def test_kata_env_summary():
    document = {"Runtime": {"Version": {"Semver": "3.2.0"}, "Config": {"Path": "/opt/kata/share/defaults/"
                                                                               "kata-containers/configuration-qemu.toml"}},
                "Hypervisor": {"Path": "/opt/kata/bin/qemu-system-x86_64", "SharedFS": "virtio-fs",
                               "BlockDeviceDriver": "virtio-scsi"},
                "Host": {"VMContainerCapable": True}}
    facts = kata_runtime_check.summarize_kata_env(document)
    assert "SharedFS virtio-fs" in facts and "version 3.2.0" in facts and "VMContainerCapable True" in facts


# ---- containerd and CRI-O edge cases -----------------------------------------------------------------

def test_containerd_without_kata_and_with_broken_files(tmp_path):
    root = fixture_copy("kata-9p", tmp_path)
    config = root / "etc/containerd/config.toml"
    text = config.read_text()
    kata_block = text[text.index('        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-qemu]'):
                      text.index('    [plugins."io.containerd.grpc.v1.cri".registry]')]
    config.write_text(text.replace(kata_block, ""))
    result = run_ids("runtimes.containerd", root=root)["runtimes.containerd"]
    assert result.status is Status.WARN and 'no runtime for "kata-qemu" is configured' in result.meaning
    config.write_text(text.replace("configuration-qemu.toml", "configuration-gone.toml"))
    result = run_ids("runtimes.containerd", root=root)["runtimes.containerd"]
    assert result.status is Status.FAIL and "ConfigPath /opt/kata/share/defaults/kata-containers/" \
                                            "configuration-gone.toml is missing" in result.observed
    config.write_text(text.replace("version = 2", "version = 3"))
    result = run_ids("runtimes.containerd", root=root)["runtimes.containerd"]
    assert result.status is Status.WARN and "io.containerd.cri.v1.runtime" in result.meaning
    config.write_text(text + "\n[plugins\n")
    result = run_ids("runtimes.containerd", root=root)["runtimes.containerd"]
    assert result.status is Status.FAIL and "/etc/containerd/config.toml: not valid TOML" in result.observed


def test_containerd_config_option_points_elsewhere(tmp_path):
    root = fixture_copy("kata-virtiofs", tmp_path)
    (root / "etc/k3s").mkdir()
    shutil.move(root / "etc/containerd/config.toml", root / "etc/k3s/config.toml")
    assert run_ids("runtimes.containerd", root=root)["runtimes.containerd"].status is Status.SKIP
    moved = run_ids("runtimes.containerd", root=root, containerd_config=Path("/etc/k3s/config.toml"))
    assert moved["runtimes.containerd"].status is Status.PASS


# ---- OCI runtimes and fio, for real --------------------------------------------------------------

def test_real_oci_runtimes_are_probed_with_a_container():
    result = run_ids("runtimes.oci")["runtimes.oci"]
    lines = dict(line.split(": ", 1) for line in result.observed.splitlines())
    assert set(lines) == {"runc", "crun", "runsc"}
    for name in lines:
        binary = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        if binary is None:
            assert lines[name].startswith("not usable")
            continue
        version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        assert f"({version})" in lines[name]
        if lines[name].startswith("usable"):
            assert "ran `fio --version` in a container" in lines[name]
    assert (result.status is Status.PASS) == lines["runc"].startswith("usable")


def test_oci_runtimes_in_a_tree_are_only_looked_for(tmp_path):
    result = run_ids("runtimes.oci", root=FIXTURES / "intel-baremetal")["runtimes.oci"]
    assert result.status is Status.WARN and "runc: not found" in result.observed
    root = fixture_copy("intel-baremetal", tmp_path)
    (root / "usr/sbin").mkdir(parents=True)
    shutil.copy("/bin/true", root / "usr/sbin/runc")
    result = run_ids("runtimes.oci", root=root)["runtimes.oci"]
    assert result.status is Status.PASS and "runc: /usr/sbin/runc (not run: --root is not /)" in result.observed


def test_real_fio_version_and_libaio(fio):
    r = run_ids("fio.binary")
    version = subprocess.run([fio, "--version"], capture_output=True, text=True).stdout.strip()
    assert r["fio.binary"].status is Status.PASS and version in r["fio.binary"].observed
    libaio = r["fio.binary.libaio"]
    has_libaio = "libaio" in subprocess.run([fio, "--enghelp"], capture_output=True, text=True).stdout.split()
    assert libaio.status is (Status.PASS if has_libaio else Status.FAIL)


def test_fio_target_direct_io_and_room(tmp_path):
    r = run_ids("fio.target", target_dir=tmp_path, clients=2, numjobs=4, file_size=1 << 20)
    assert r["fio.target"].status is Status.PASS
    assert r["fio.target.odirect"].status is Status.PASS
    space = r["fio.target.space"]
    assert space.status is Status.PASS and "2 client(s) x 4 job(s) x 1m = 8m planned" in space.observed
    assert not list(tmp_path.iterdir())  # the O_DIRECT probe file is gone
    huge = run_ids("fio.target", target_dir=tmp_path, clients=64, numjobs=4, file_size=1 << 50)
    assert huge["fio.target.space"].status is Status.FAIL and "ENOSPC" in huge["fio.target.space"].meaning


def test_fio_target_not_yet_created_and_not_a_directory(tmp_path):
    r = run_ids("fio.target", target_dir=tmp_path / "later" / "kataio", file_size=1 << 20)
    assert r["fio.target"].status is Status.WARN and f"nearest existing parent {tmp_path}" in r["fio.target"].observed
    assert r["fio.target.odirect"].status is Status.PASS
    (tmp_path / "file").write_text("x")
    r = run_ids("fio.target", target_dir=tmp_path / "file")
    assert r["fio.target"].status is Status.FAIL and "not a directory" in r["fio.target"].observed
    assert run_ids("fio.target")["fio.target"].status is Status.SKIP


def test_fio_target_without_o_direct(tmp_path):
    # ramfs has no direct I/O: open(O_DIRECT) fails with EINVAL, a real fault on a real mount.
    if os.geteuid() != 0:
        pytest.skip("mounting ramfs needs root")
    mount_point = tmp_path / "ramfs"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "ramfs", "ramfs", str(mount_point)], check=True)
    try:
        r = run_ids("fio.target", target_dir=mount_point, file_size=1 << 20)
        assert "(ramfs)" in r["fio.target"].observed
        odirect = r["fio.target.odirect"]
        assert odirect.status is Status.FAIL and "EINVAL" in odirect.observed
        assert "does not support O_DIRECT" in odirect.meaning
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_options_from_a_plan():
    options = options_from_plan(preset("stackhpc-2019"))
    assert (options.clients, options.numjobs, options.file_size) == (64, 4, 32 << 30)
    assert options.target_dir == Path("/var/tmp/kataio")
    assert options.planned_bytes == 64 * 4 * (32 << 30)


# ---- the engine --------------------------------------------------------------------------------------

def _check(check_id: str, run, timeout: float = 5.0) -> Check:
    return Check(check_id, check_id, "host", run, timeout)


def test_engine_runs_concurrently_keeps_order_and_never_crashes():
    def slow(ctx):
        time.sleep(0.4)
        return passed("slow done", "ok")

    def broken(ctx):
        raise RuntimeError("boom in the check")

    def hangs(ctx):
        time.sleep(3)
        return passed("too late", "")

    def cannot(ctx):
        raise SkipCheck("nothing to look at", "give it something")

    checks = [_check("a.slow", slow), _check("b.slow", slow), _check("c.broken", broken),
              _check("d.hangs", hangs, timeout=0.5), _check("e.cannot", cannot)]
    updates: list[CheckUpdate] = []
    started = time.monotonic()
    results = run_checks(checks, CheckOptions(), on_update=updates.append)
    assert time.monotonic() - started < 1.5  # the two slow ones ran side by side, the hung one was given up
    assert [r.id for r in results] == ["a.slow", "b.slow", "c.broken", "d.hangs", "e.cannot"]
    by_id = {r.id: r for r in results}
    assert by_id["c.broken"].status is Status.SKIP and "RuntimeError: boom in the check" in by_id["c.broken"].observed
    assert by_id["d.hangs"].status is Status.FAIL and "no answer within 0.5 s" in by_id["d.hangs"].observed
    assert by_id["e.cannot"].status is Status.SKIP and by_id["e.cannot"].remedy == "give it something"
    states = [(u.check.id, u.state) for u in updates if u.check.id == "a.slow"]
    assert states == [("a.slow", "pending"), ("a.slow", "running"), ("a.slow", "done")]
    assert exit_code(results) == 1


def test_engine_cancel_skips_what_did_not_finish():
    cancel = threading.Event()
    seen_cancel = threading.Event()

    def waits(ctx):
        while not ctx.cancel.is_set():
            time.sleep(0.05)
        seen_cancel.set()
        return passed("stopped", "")

    checks = [_check(f"w{i}", waits, timeout=10) for i in range(3)]
    threading.Timer(0.3, cancel.set).start()
    results = run_checks(checks, CheckOptions(), cancel=cancel, max_workers=2, cancel_grace_s=2)
    assert seen_cancel.is_set()
    assert [r.id for r in results] == ["w0", "w1", "w2"]
    assert results[2].status is Status.SKIP and "cancelled" in results[2].observed  # never started


def test_exit_codes_and_json_document():
    def result(status):
        return CheckResult("x", "x", status, "o", "m", "r", "host")

    assert exit_code([result(Status.PASS), result(Status.WARN), result(Status.SKIP)]) == 0
    assert exit_code([result(Status.PASS), result(Status.FAIL)]) == 1
    assert exit_code([result(Status.SKIP)]) == 2 and exit_code([]) == 2
    doc = report_document([result(Status.WARN)], {"root": "/"})
    assert doc["schema"] == "kataio.checks/1"
    assert set(doc["checks"][0]) == {"id", "title", "status", "group", "observed", "meaning", "remedy"}
    assert doc["summary"] == {"pass": 0, "warn": 1, "fail": 0, "skip": 0, "total": 1, "exit_code": 0,
                              "verdict": "nothing failed"}


def test_plan_checks_selection():
    host_only = plan_checks(Selection(host=True, cluster=False), CheckOptions())
    assert [c.id for c in host_only] == [c.id for c in HOST_CHECKS if c.id != "kata.capacity"]  # needs a plan
    planned = plan_checks(Selection(host=True, cluster=False), CheckOptions(kata_runtimes=("kata-qemu",)))
    assert [c.id for c in planned] == [c.id for c in HOST_CHECKS]
    cluster = [c.id for c in plan_checks(Selection(host=False, cluster=True), CheckOptions())]
    assert "cluster.canary" not in cluster and "cluster.api" in cluster
    assert "cluster.canary" in [c.id for c in plan_checks(Selection(host=False), CheckOptions(canary=True))]
    options = CheckOptions(root=FIXTURES / "amd-baremetal")
    by_selection = run_checks(plan_checks(Selection(cluster=False), options), options)
    assert {r.group for r in by_selection} == {"host"} and by_selection[0].id == "host.kernel"
    assert "6.1.0-18-amd64" in by_selection[0].observed


# ---- kataio check ------------------------------------------------------------------------------------

def test_cli_json_on_a_fixture_tree(capsys):
    code = main(["check", "--host-only", "--json", "--root", str(FIXTURES / "intel-baremetal")])
    doc = json.loads(capsys.readouterr().out)
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["cpu.flags"]["status"] == "PASS"
    assert by_id["kata.binaries"]["status"] == "FAIL"  # the tree has no Kata
    assert doc["summary"]["exit_code"] == code == 1
    assert doc["context"]["root"] == str(FIXTURES / "intel-baremetal")
    assert all(c["group"] == "host" for c in doc["checks"])


def test_cli_table_is_readable_without_colour(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "140")
    code = main(["check", "--host-only", "--root", str(FIXTURES / "vm-no-nested")])
    out = capsys.readouterr().out
    assert code == 1
    assert "\x1b[" not in out
    assert "✘ FAIL" in out and "▲ WARN" in out and "✔ PASS" in out
    assert "cpu.flags" in out and "fix:" in out
    assert "FAIL" in out.splitlines()[-1] and "something failed" in out.splitlines()[-1]


def test_cli_bad_options_exit_2(capsys, tmp_path):
    assert main(["check", "--root", str(tmp_path / "nope")]) == 2
    assert "--root" in capsys.readouterr().err
    assert main(["check", "--kubeconfig", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", "--host-only", "--canary"]) == 2
    assert "--canary needs the cluster" in capsys.readouterr().err
    assert main(["check", "--host-only", "--file-size", "lots"]) == 2
    assert "--file-size" in capsys.readouterr().err
