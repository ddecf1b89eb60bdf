"""The Kata checks on host trees shaped as Kata 3.x and 4.x install them (tests/fixtures/hosts), and
kata-ctl run for real as a stand-in script printing what the real one prints (Kata cannot run on
this machine: no VT-x/AMD-V)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from kataio_tui.checks.engine import CheckContext, Status
from kataio_tui.checks.kata_capacity import check_capacity, tmpfs_size
from kataio_tui.checks.kata_ctl import check_kata_ctl, parse_ctl_check, summarize_ctl_env
from kataio_tui.checks.kata_handlers import check_kata_handlers
from kataio_tui.checks.options import CheckOptions, options_from_plan
from kataio_tui.cli import main
from kataio_tui.model.plan import preset, save_plan

FIXTURES = Path(__file__).parent / "fixtures" / "hosts"
GO_DIR = "/opt/kata/share/defaults/kata-containers"
RS_DIR = f"{GO_DIR}/runtime-rs"


def copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest, symlinks=True)
    return dest


def write(root: Path, host_path: str, text: str) -> None:
    path = root / host_path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def by_key(findings) -> dict:
    return {f.key: f for f in findings}


def handlers(root: Path, **options) -> dict:
    return by_key(check_kata_handlers(CheckContext(CheckOptions(root=root, **options))))


# ---- kata.handlers -----------------------------------------------------------------------------------

def test_kata_4x_handlers_are_judged_by_their_own_runtime():
    r = handlers(FIXTURES / "kata-4x-deploy")
    assert set(r) == {"kata-qemu", "kata-clh", "kata-fc", "kata-qemu-runtime-rs", "kata-dragonball",
                      "crio.kata-qemu", "crio.kata-qemu-runtime-rs"}
    rs = r["kata-qemu-runtime-rs"]
    assert rs.status is Status.PASS, rs.meaning
    assert "runtime-rs (Rust)" in rs.observed and "runtimes/qemu-runtime-rs/configuration-qemu-runtime-rs.toml" in rs.observed
    assert "config.d/20-debug.toml" in rs.observed and "virtiofsd thread pool 1" in rs.observed
    assert r["kata-qemu"].status is Status.PASS and "Go runtime" in r["kata-qemu"].observed
    assert r["kata-fc"].status is Status.WARN and "Firecracker has no shared file system" in r["kata-fc"].meaning


def test_handler_with_a_configuration_its_runtime_refuses(tmp_path):
    root = copy("kata-4x-deploy", tmp_path)
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50-study.toml", '[hypervisor.qemu]\nshared_fs = "virtio-9p"\n')
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50-old-docs.toml", '[hypervisor.qemu]\nvirtio_fs_cache = "none"\n')
    r = handlers(root)
    rs = r["kata-qemu-runtime-rs"]
    assert rs.status is Status.FAIL and 'Kata: "Invalid shared_fs type virtio-9p"' in rs.meaning
    assert "50-study.toml" in rs.observed and "kata-qemu" in rs.remedy
    go = r["kata-qemu"]
    assert go.status is Status.FAIL and 'Kata: "Invalid virtio-fs cache mode: none"' in go.meaning
    assert r["crio.kata-qemu-runtime-rs"].status is Status.FAIL  # CRI-O points at the same per-shim file


def test_handler_whose_shim_or_config_is_missing(tmp_path):
    root = copy("kata-4x-deploy", tmp_path)
    (root / "opt/kata/runtime-rs/bin/containerd-shim-kata-v2").unlink()
    write(root, f"{GO_DIR}/runtimes/clh/config.d/30-broken.toml", "[hypervisor.clh\n")
    r = handlers(root)
    assert r["kata-qemu-runtime-rs"].status is Status.FAIL and "is missing" in r["kata-qemu-runtime-rs"].observed
    clh = r["kata-clh"]
    assert clh.status is Status.FAIL and "30-broken.toml: not valid TOML" in clh.observed
    assert "cannot load its configuration" in clh.meaning and "30-broken.toml" in clh.remedy


def test_distro_handlers_and_annotations_not_passed():
    r = handlers(FIXTURES / "kata-3x-distro")
    plain = r["kata"]
    assert plain.status is Status.WARN and "/etc/kata-containers/configuration.toml" in plain.observed
    assert "bottleneck" in plain.meaning  # the /etc override sets 9p, found first by the default lookup
    assert "per-pod io.katacontainers.* annotations are not passed" in plain.observed
    assert r["kata-qemu"].status is Status.PASS and "KATA_CONF_FILE" in r["kata-qemu"].observed


# ---- kata.capacity -------------------------------------------------------------------------------------

MOUNTS = ("tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=8176964k,inode64 0 0\n"
          "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n")


def test_tmpfs_size_from_proc_mounts():
    assert tmpfs_size(MOUNTS, "/dev/shm") == 8176964 * 1024
    assert tmpfs_size(MOUNTS, "/run") is None


def test_capacity_of_planned_kata_pods(tmp_path):
    root = copy("kata-4x-deploy", tmp_path)
    write(root, "/proc/mounts", MOUNTS)
    ctx = CheckContext(CheckOptions(root=root, clients=3, kata_runtimes=("kata-qemu", "kata-dragonball")))
    r = by_key(check_capacity(ctx))
    assert r["kata-qemu"].status is Status.PASS and "3 kata-qemu pods x 2048 MiB" in r["kata-qemu"].observed
    assert "no virtio-fs" in r["kata-dragonball"].observed or r["kata-dragonball"].status is Status.PASS
    five = by_key(check_capacity(CheckContext(CheckOptions(root=root, clients=5, kata_runtimes=("kata-qemu",)))))
    assert five["kata-qemu"].status is Status.FAIL and "SIGBUS" in five["kata-qemu"].meaning
    many = by_key(check_capacity(CheckContext(CheckOptions(root=root, clients=13, kata_runtimes=("kata-qemu",)))))
    assert many["kata-qemu"].status is Status.FAIL  # 26 GiB of guest RAM > 7.8 GiB /dev/shm, too


def test_the_2019_study_plan_does_not_fit_a_16_gib_node(tmp_path, capsys):
    # kataio check --plan: the study's 64 kata-qemu clients run through `ctr run` on this host
    root = copy("kata-4x-deploy", tmp_path)
    write(root, "/proc/mounts", MOUNTS)
    plan = tmp_path / "plan.toml"
    save_plan(preset("stackhpc-2019"), plan)
    code = main(["check", "--host-only", "--json", "--root", str(root), "--plan", str(plan)])
    checks = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    cap = checks["kata.capacity.kata-qemu"]
    assert cap["status"] == "FAIL" and code == 1
    assert "64 kata-qemu pods x 2048 MiB guest memory = 131,072 MiB" in cap["observed"]
    assert "64 kata-qemu pods x 1100 MiB host memory = 70,400 MiB > node memory 15,982 MiB" in cap["observed"]
    assert "default lookup" in cap["observed"] and "configuration-qemu.toml" in cap["observed"]


# ---- kata.ctl_check --------------------------------------------------------------------------------------

def _json_line(level: str, msg: str, subsystem: str) -> str:
    # slog-json as kata's libs/logging create_logger writes it
    return json.dumps({"msg": msg, "level": level, "ts": "2026-08-03T10:00:00.123456789+00:00", "version": "0.1.0",
                       "subsystem": subsystem, "pid": "4242", "name": "kata-ctl", "source": "kata-ctl"})


ENV = {"kernel": {"path": "/opt/kata/share/kata-containers/vmlinux.container", "parameters": ""},
       "meta": {"version": "0.0.1-kata-ctl"},
       "image": {"path": "/opt/kata/share/kata-containers/kata-containers.img"}, "initrd": {"path": ""},
       "hypervisor": {"machine_type": "q35", "path": "/opt/kata/bin/qemu-system-x86_64", "shared_fs": "virtio-fs",
                      "virtio_fs_daemon": "/opt/kata/libexec/virtiofsd", "block_device_driver": "virtio-scsi",
                      "security_info": {"enable_annotations": ["enable_iommu", "default_memory"]}},
       "runtime": {"version": {"semver": "4.1.0", "commit": "abc"},
                   "config": {"path": "/opt/kata/share/defaults/kata-containers/runtime-rs/configuration.toml"}},
       "host": {"vm_container_capable": False, "support_vsocks": True}, "agent": {"debug": False, "trace": False}}


def _stand_in_kata_ctl(directory: Path, check_lines: list[str], code: int) -> None:
    (directory / "check.out").write_text("\n".join(check_lines) + "\n")
    (directory / "env.json").write_text(json.dumps(ENV, indent=2))
    script = directory / "kata-ctl"
    script.write_text("#!/bin/sh\n"
                      f"if [ \"$3\" = no-network-checks ]; then cat {directory}/check.out; exit {code}; fi\n"
                      f"if [ \"$1\" = env ]; then cat {directory}/env.json; exit 0; fi\nexit 2\n")
    script.chmod(0o755)


def test_parse_kata_ctl_output():
    parsed = parse_ctl_check("\n".join([_json_line("INFO", "check CPU: x86_64", "x86_64"),
                                        _json_line("WARN", 'Missing CPU flags ["vmx"]', "x86_64"), "not json"]), "")
    assert parsed.warnings == ('Missing CPU flags ["vmx"]',) and parsed.errors == ()
    facts = summarize_ctl_env(ENV)
    assert "version 4.1.0" in facts and "shared_fs virtio-fs" in facts and "vm_container_capable False" in facts
    assert 'enable_annotations ["enable_iommu", "default_memory"]' in facts


def test_kata_ctl_is_run_for_real(tmp_path, monkeypatch):
    # A stand-in kata-ctl prints what the real one prints (its JSON log lines, env --json); this runs it.
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")

    def ctx() -> CheckContext:
        return CheckContext(CheckOptions())

    _stand_in_kata_ctl(tmp_path, [_json_line("INFO", "check CPU: x86_64", "x86_64")], 0)
    good = check_kata_ctl(ctx())
    assert good.status is Status.PASS and "version 4.1.0" in good.observed and "runtime-rs default" in good.observed
    _stand_in_kata_ctl(tmp_path, [_json_line("WARN", 'Missing CPU flags ["vmx"]', "x86_64"),
                                  _json_line("WARN", 'Missing CPU attributes ["GenuineIntel"]', "x86_64")], 0)
    warn = check_kata_ctl(ctx())
    assert warn.status is Status.WARN and 'Missing CPU flags ["vmx"]' in warn.observed
    _stand_in_kata_ctl(tmp_path, [_json_line("ERRO", "KVM check failed", "kata-ctl_main")], 1)
    bad = check_kata_ctl(ctx())
    assert bad.status is Status.FAIL and "KVM check failed" in bad.observed


def test_a_plan_names_its_kata_runtimes():
    local = options_from_plan(preset("stackhpc-2019"))
    assert (local.kata_runtimes, local.plan_target, local.clients) == (("kata-qemu",), "local", 64)
    assert options_from_plan(preset("quick")).kata_runtimes == ()
