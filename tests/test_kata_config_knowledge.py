"""kataio_tui.kata on host trees shaped as Kata 3.x and 4.x install them (tests/fixtures/hosts/
kata-9p, kata-virtiofs: kata-deploy 3.x; kata-4x-deploy: kata-deploy 4.1 with both runtimes;
kata-3x-distro: a distribution package under /usr). Each rule is shown both ways: it stays quiet on
the shipped configuration and fires, with its reason and Kata's own message, on a broken copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kataio_tui.kata import annotations, capacity, mounts, rules
from kataio_tui.kata.config import Hypervisor, KataSettings
from kataio_tui.kata.configload import load_config, merge
from kataio_tui.kata.handlers import containerd_files, containerd_handlers, crio_handlers, resolve_handler
from kataio_tui.kata.hostroot import HostRoot
from kataio_tui.kata.installations import find_installations
from kataio_tui.kata.layout import Runtime, deploy_config_path, deploy_runtime
from kataio_tui.kata.verdicts import Severity
from kataio_tui.kata.virtiofsd import describe_thread_pool, thread_pool_size

FIXTURES = Path(__file__).parent / "fixtures" / "hosts"
GO_DIR = "/opt/kata/share/defaults/kata-containers"
RS_DIR = f"{GO_DIR}/runtime-rs"
GO_QEMU = f"{GO_DIR}/runtimes/qemu/configuration-qemu.toml"
RS_QEMU = f"{RS_DIR}/runtimes/qemu-runtime-rs/configuration-qemu-runtime-rs.toml"


def tree(name: str, tmp_path: Path | None = None) -> HostRoot:
    if tmp_path is None:
        return HostRoot(FIXTURES / name)
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest, symlinks=True)
    return HostRoot(dest)


def write(root: HostRoot, host_path: str, text: str) -> None:
    path = root.path(host_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def settings(root: HostRoot, path: str, runtime: Runtime) -> KataSettings:
    loaded = load_config(root, path, runtime)
    assert loaded.ok, loaded.error
    return KataSettings.of(loaded)


def fired(s: KataSettings) -> dict[str, rules.Verdict]:
    return {v.rule: v for v in rules.evaluate(s)}


# ---- installations and layout --------------------------------------------------------------------

def test_kata_4x_deploy_has_both_runtimes_with_their_configurations():
    root = tree("kata-4x-deploy")
    installs = {i.runtime: i for i in find_installations(root)}
    assert set(installs) == {Runtime.GO, Runtime.RUST}
    go, rs = installs[Runtime.GO], installs[Runtime.RUST]
    assert go.shim == "/opt/kata/bin/containerd-shim-kata-v2" and go.tool == "/opt/kata/bin/kata-runtime"
    assert rs.shim == "/opt/kata/runtime-rs/bin/containerd-shim-kata-v2" and rs.tool == "/opt/kata/bin/kata-ctl"
    go_files = {c.path: c.kind for c in go.configs}
    assert go_files[f"{GO_DIR}/configuration-qemu.toml"] == "shipped"
    assert go_files[GO_QEMU] == "per-shim"
    assert f"{GO_DIR}/configuration.toml" not in go_files  # a symlink to configuration-qemu.toml: listed once
    rs_files = {c.path: c.kind for c in rs.configs}
    assert rs_files[RS_QEMU] == "per-shim" and rs_files[f"{RS_DIR}/configuration-dragonball.toml"] == "shipped"
    # without a path: Go tries /etc first, then its prefix's default; runtime-rs its own fixed list
    assert go.lookup == ("/etc/kata-containers/configuration.toml", f"{GO_DIR}/configuration.toml")
    assert go.default_config == f"{GO_DIR}/configuration.toml"
    assert rs.lookup[0] == "/etc/kata-containers/runtime-rs/configuration.toml"
    assert rs.default_config == f"{RS_DIR}/configuration.toml"


def test_kata_deploy_paths_per_shim():
    # tools/packaging/kata-deploy/binary/src/utils/system.rs test cases
    assert deploy_config_path("qemu") == GO_QEMU
    assert deploy_config_path("qemu-runtime-rs") == RS_QEMU
    assert deploy_runtime("dragonball") is Runtime.RUST and deploy_runtime("clh") is Runtime.GO


def test_kata_deploy_custom_runtimes_belong_to_their_base_configs_runtime(tmp_path):
    # install.rs install_custom_runtime_configs: custom-runtimes/<handler>/configuration-<base>.toml + config.d
    root = tree("kata-4x-deploy", tmp_path)
    custom = f"{GO_DIR}/custom-runtimes"
    write(root, f"{custom}/kata-my-rs/configuration-qemu-runtime-rs.toml", root.read_text(RS_QEMU))
    write(root, f"{custom}/kata-my-rs/config.d/50-overrides.toml", '[hypervisor.qemu]\nvirtio_fs_cache = "never"\n')
    write(root, f"{custom}/kata-my-go/configuration-qemu.toml", root.read_text(GO_QEMU))
    installs = {i.runtime: i for i in find_installations(root)}
    rs = {c.path: c.kind for c in installs[Runtime.RUST].configs}
    go = {c.path: c.kind for c in installs[Runtime.GO].configs}
    assert rs[f"{custom}/kata-my-rs/configuration-qemu-runtime-rs.toml"] == "custom"
    assert go[f"{custom}/kata-my-go/configuration-qemu.toml"] == "custom"
    assert f"{custom}/kata-my-rs/configuration-qemu-runtime-rs.toml" not in go
    s = settings(root, f"{custom}/kata-my-rs/configuration-qemu-runtime-rs.toml", Runtime.RUST)
    assert s.virtio_fs_cache == "never"


def test_distro_install_and_the_etc_override_found_first():
    root = tree("kata-3x-distro")
    (install,) = find_installations(root)
    assert install.runtime is Runtime.GO and install.shim == "/usr/bin/containerd-shim-kata-v2"
    assert install.lookup == ("/etc/kata-containers/configuration.toml",
                              "/usr/share/defaults/kata-containers/configuration.toml")
    assert install.default_config == "/etc/kata-containers/configuration.toml"
    assert {c.kind for c in install.configs} == {"shipped", "override"}


# ---- drop-ins ----------------------------------------------------------------------------------------

def test_dropins_are_merged_in_name_order_next_to_the_resolved_file(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    d = f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d"
    write(root, f"{d}/50-user", '[hypervisor.qemu]\nvirtio_fs_cache = "never"\ndefault_memory = 4096\n')
    write(root, f"{d}/60-later.toml", '[hypervisor.qemu]\ndefault_memory = 1024\n'
                                      'virtio_fs_extra_args = ["--thread-pool-size=16"]\n')
    loaded = load_config(root, RS_QEMU, Runtime.RUST)
    assert loaded.ok and [p.rsplit("/", 1)[1] for p in loaded.dropins] == ["20-debug.toml", "50-user", "60-later.toml"]
    qemu = loaded.data["hypervisor"]["qemu"]
    assert qemu["enable_debug"] is True and qemu["virtio_fs_cache"] == "never" and qemu["default_memory"] == 1024
    assert qemu["virtio_fs_extra_args"] == ["--thread-pool-size=16"]  # arrays are replaced, not appended
    assert qemu["shared_fs"] == "virtio-fs"  # untouched keys survive
    # The shipped file is a symlink target elsewhere: config.d of the per-shim copy does not apply to it.
    assert load_config(root, f"{RS_DIR}/configuration-qemu-runtime-rs.toml", Runtime.RUST).dropins == ()


def test_go_reads_config_d_of_the_symlink_target_not_of_the_link(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{GO_DIR}/config.d/50-cache.toml", '[hypervisor.qemu]\nvirtio_fs_cache = "never"\n')
    via_link = load_config(root, f"{GO_DIR}/configuration.toml", Runtime.GO)
    assert via_link.resolved == f"{GO_DIR}/configuration-qemu.toml"
    assert via_link.dropins == (f"{GO_DIR}/config.d/50-cache.toml",)
    assert KataSettings.of(via_link).virtio_fs_cache == "never"


def test_runtime_rs_refuses_a_symlinked_dropin_and_go_follows_it(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    d = root.path(f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d")
    (d / "30-link.toml").symlink_to("20-debug.toml")
    refused = load_config(root, RS_QEMU, Runtime.RUST)
    assert not refused.ok and "drop-in cfg file can only be a regular file or a symlink" in refused.error
    assert "30-link.toml" in refused.error
    g = root.path(f"{GO_DIR}/runtimes/qemu/config.d")
    (g / "30-link.toml").symlink_to("20-debug.toml")
    assert load_config(root, GO_QEMU, Runtime.GO).ok


def test_a_broken_dropin_names_the_file(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50-bad.toml", "[hypervisor.qemu\n")
    loaded = load_config(root, GO_QEMU, Runtime.GO)
    assert not loaded.ok and loaded.error.startswith(f"drop-in {GO_DIR}/runtimes/qemu/config.d/50-bad.toml: not valid TOML")


def test_runtime_rs_appends_guest_extension_images():
    base = {"hypervisor": {"qemu": {"guest_extension_images": ["a"], "kernel_params": "x"}}}
    dropin = {"hypervisor": {"qemu": {"guest_extension_images": ["b"], "kernel_params": "y"}}}
    assert merge(base, dropin, Runtime.RUST)["hypervisor"]["qemu"] == {"guest_extension_images": ["a", "b"],
                                                                       "kernel_params": "y"}
    assert merge(base, dropin, Runtime.GO)["hypervisor"]["qemu"]["guest_extension_images"] == ["b"]


# ---- handlers: which runtime and which configuration ---------------------------------------------------

def test_containerd_v3_handlers_of_kata_deploy_4x():
    root = tree("kata-4x-deploy")
    installs = find_installations(root)
    uses = {h.name: resolve_handler(root, h, installs) for h in containerd_handlers(containerd_files(root))}
    assert uses["kata-qemu"].runtime is Runtime.GO and uses["kata-qemu"].config == GO_QEMU
    assert uses["kata-qemu"].config_how == "ConfigPath" and not uses["kata-qemu"].problems
    rs = uses["kata-qemu-runtime-rs"]
    assert rs.runtime is Runtime.RUST and rs.config == RS_QEMU and rs.handler.plugin_id == "io.containerd.cri.v1.runtime"
    assert rs.handler.pod_annotations == ("io.katacontainers.*",)
    assert uses["kata-dragonball"].runtime is Runtime.RUST
    assert uses["runc"].handler.is_kata is False


def test_crio_handlers_of_kata_deploy_4x():
    root = tree("kata-4x-deploy")
    files, handlers = crio_handlers(root)
    assert files == ["/etc/crio/crio.conf.d/100-debug", "/etc/crio/crio.conf.d/99-kata-deploy"]
    uses = {h.name: resolve_handler(root, h, find_installations(root)) for h in handlers}
    assert uses["kata-qemu-runtime-rs"].runtime is Runtime.RUST
    assert uses["kata-qemu-runtime-rs"].config_how == "runtime_config_path"
    assert uses["kata-qemu"].handler.pod_annotations is None  # CRI-O has no pod_annotations filter


def test_distro_handlers_path_lookup_wrapper_and_default_lookup():
    root = tree("kata-3x-distro")
    installs = find_installations(root)
    uses = {h.name: resolve_handler(root, h, installs) for h in containerd_handlers(containerd_files(root))}
    plain = uses["kata"]  # runtime_type io.containerd.kata.v2, no path, no ConfigPath
    assert plain.shim == "/usr/bin/containerd-shim-kata-v2" and "containerd-shim-kata-v2 on PATH" in plain.shim_how
    assert plain.runtime is Runtime.GO
    assert plain.config == "/etc/kata-containers/configuration.toml" and plain.config_how.startswith("default lookup")
    assert plain.handler.pod_annotations == ()  # annotations are not passed by this handler
    wrapped = uses["kata-qemu"]
    assert "a script running /usr/bin/containerd-shim-kata-v2" in wrapped.shim_how
    assert wrapped.config == "/usr/share/defaults/kata-containers/configuration-qemu.toml"
    assert wrapped.config_how.startswith("KATA_CONF_FILE in /usr/local/bin/containerd-shim-kata-qemu-v2")


def test_runtime_rs_without_config_path_and_kata_conf_file_precedence(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    handlers_file = root.path("/opt/kata/containerd/config.d/kata-deploy.toml")
    text = handlers_file.read_text().replace(
        f'ConfigPath = "{RS_DIR}/runtimes/dragonball/configuration-dragonball.toml"', "")
    handlers_file.write_text(text)
    installs = find_installations(root)
    uses = {h.name: resolve_handler(root, h, installs) for h in containerd_handlers(containerd_files(root))}
    db = uses["kata-dragonball"]
    assert db.config == f"{RS_DIR}/configuration.toml" and "runtime-rs/configuration.toml" in db.config_how
    # a wrapper's KATA_CONF_FILE wins over ConfigPath for runtime-rs, loses to it for Go
    for runtime_dir, cfg in (("runtime-rs/bin", RS_QEMU), ("bin", GO_QEMU)):
        write(root, "/usr/local/bin/containerd-shim-kata-test-v2",
              f"#!/bin/bash\nKATA_CONF_FILE={cfg}.env /opt/kata/{runtime_dir}/containerd-shim-kata-v2 \"$@\"\n")
        handler = containerd_handlers([("/x", {"plugins": {"io.containerd.cri.v1.runtime": {"containerd": {"runtimes": {
            "kata-test": {"runtime_type": "io.containerd.kata-test.v2", "options": {"ConfigPath": cfg}}}}}}})])[0]
        use = resolve_handler(root, handler, installs)
        expected = f"{cfg}.env" if runtime_dir.startswith("runtime-rs") else cfg
        assert use.config == expected, use


def test_handler_pointing_at_missing_files_says_which(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    root.path("/opt/kata/runtime-rs/bin/containerd-shim-kata-v2").unlink()
    root.path(GO_QEMU).unlink()
    installs = find_installations(root)
    uses = {h.name: resolve_handler(root, h, installs) for h in containerd_handlers(containerd_files(root))}
    assert "shim /opt/kata/runtime-rs/bin/containerd-shim-kata-v2 is missing" in uses["kata-qemu-runtime-rs"].problems
    assert f"ConfigPath {GO_QEMU} is missing" in uses["kata-qemu"].problems


# ---- rules, each both ways ------------------------------------------------------------------------------

def test_shipped_4x_configurations_break_no_rule():
    root = tree("kata-4x-deploy")
    for path, runtime in ((GO_QEMU, Runtime.GO), (f"{GO_DIR}/runtimes/clh/configuration-clh.toml", Runtime.GO),
                          (RS_QEMU, Runtime.RUST),
                          (f"{RS_DIR}/runtimes/dragonball/configuration-dragonball.toml", Runtime.RUST)):
        assert rules.evaluate(settings(root, path, runtime)) == [], path


def test_runtime_rs_rejects_9p_and_go_runs_it(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50-study.toml", '[hypervisor.qemu]\nshared_fs = "virtio-9p"\n')
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50-study.toml", '[hypervisor.qemu]\nshared_fs = "virtio-9p"\n')
    rs = fired(settings(root, RS_QEMU, Runtime.RUST))
    v = rs["shared_fs.runtime-rs-9p"]
    assert v.severity is Severity.FAIL and v.kata_error == "Invalid shared_fs type virtio-9p"
    assert "Go-runtime shim" in v.reason and "kata-qemu" in v.fix
    go = fired(settings(root, GO_QEMU, Runtime.GO))
    assert set(go) == {"shared_fs.9p-slow"} and go["shared_fs.9p-slow"].severity is Severity.WARN


def test_unknown_shared_fs_per_runtime(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50.toml", '[hypervisor.qemu]\nshared_fs = "inline-virtio-fs"\n')
    go = fired(settings(root, GO_QEMU, Runtime.GO))["shared_fs.go"]
    assert go.kata_error == ("Invalid hypervisor shared file system inline-virtio-fs specified (supported file "
                             "systems: [virtio-9p virtio-fs virtio-fs-nydus none])")
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50.toml", '[hypervisor.qemu]\nshared_fs = "virtiofs"\n')
    rs = fired(settings(root, RS_QEMU, Runtime.RUST))["shared_fs.runtime-rs"]
    assert rs.severity is Severity.FAIL and rs.kata_error == "Invalid shared_fs type virtiofs"


def test_cloud_hypervisor_rejects_9p(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    clh = f"{GO_DIR}/runtimes/clh/configuration-clh.toml"
    assert rules.evaluate(settings(root, clh, Runtime.GO)) == []
    write(root, f"{GO_DIR}/runtimes/clh/config.d/50.toml", '[hypervisor.clh]\nshared_fs = "virtio-9p"\n')
    v = fired(settings(root, clh, Runtime.GO))["shared_fs.clh"]
    assert v.severity is Severity.FAIL and v.kata_error == "Cloud Hypervisor does not support virtio-9p shared filesystem option"


def test_virtio_fs_cache_none_per_runtime(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    none = '[hypervisor.qemu]\nvirtio_fs_cache = "none"\n'
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50.toml", none)
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50.toml", none)
    go = fired(settings(root, GO_QEMU, Runtime.GO))["virtio_fs_cache.go"]
    assert go.severity is Severity.FAIL and go.kata_error == "Invalid virtio-fs cache mode: none"
    assert 'virtio_fs_cache = "never"' in go.fix
    rs_settings = settings(root, RS_QEMU, Runtime.RUST)
    rs = fired(rs_settings)["virtio_fs_cache.runtime-rs-none"]
    assert rs.severity is Severity.WARN and "deprecated since Kata Containers 2.5.0" in rs.kata_error
    assert rs_settings.virtio_fs_cache == "never"


def test_virtio_fs_cache_metadata_is_go_only_and_empty_differs(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50.toml", '[hypervisor.qemu]\nvirtio_fs_cache = "metadata"\n')
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50.toml", '[hypervisor.qemu]\nvirtio_fs_cache = "metadata"\n')
    assert fired(settings(root, GO_QEMU, Runtime.GO)) == {}
    rs = fired(settings(root, RS_QEMU, Runtime.RUST))["virtio_fs_cache.runtime-rs"]
    assert rs.kata_error == "Invalid virtio-fs cache mode: metadata"
    empty = '[hypervisor.qemu]\nvirtio_fs_cache = ""\n'
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50.toml", empty)
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50.toml", empty)
    go_s, rs_s = settings(root, GO_QEMU, Runtime.GO), settings(root, RS_QEMU, Runtime.RUST)
    assert (go_s.virtio_fs_cache, rs_s.virtio_fs_cache) == ("auto", "never")
    assert not rules.evaluate(go_s) and not rules.evaluate(rs_s)
    assert any("virtio-fs cache never (virtio_fs_cache is empty" in f for f in rules.effective(rs_s))


def test_dax_window_qemu_fails_clh_warns(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50.toml", "[hypervisor.qemu]\nvirtio_fs_cache_size = 1024\n")
    write(root, f"{GO_DIR}/runtimes/clh/config.d/50.toml", "[hypervisor.clh]\nvirtio_fs_cache_size = 1024\n")
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50.toml", "[hypervisor.qemu]\nvirtio_fs_is_dax = true\n")
    assert fired(settings(root, GO_QEMU, Runtime.GO))["dax.qemu"].severity is Severity.FAIL
    clh = fired(settings(root, f"{GO_DIR}/runtimes/clh/configuration-clh.toml", Runtime.GO))["dax.clh"]
    assert clh.severity is Severity.WARN and "removed DAX" in clh.reason
    rs = fired(settings(root, RS_QEMU, Runtime.RUST))["dax.qemu"]
    assert "1024 MiB" in rs.subject  # runtime-rs defaults the window to 1024 MiB when DAX is asked for


def test_firecracker_has_no_shared_file_system():
    s = settings(tree("kata-4x-deploy"), f"{GO_DIR}/runtimes/fc/configuration-fc.toml", Runtime.GO)
    assert s.hypervisor is Hypervisor.FIRECRACKER and s.shared_fs == "none"
    v = fired(s)["shared_fs.firecracker"]
    assert v.severity is Severity.WARN and "no shared file system" in v.reason
    assert set(fired(s)) == {"shared_fs.firecracker"}


def test_block_driver_names_differ_between_runtimes(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50.toml", '[hypervisor.qemu]\nblock_device_driver = "virtio-blk-pci"\n'
                                                            'block_device_aio = "posix"\n')
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/50.toml", '[hypervisor.qemu]\nblock_device_driver = "virtio-blk"\n')
    go = fired(settings(root, GO_QEMU, Runtime.GO))
    assert go["block_device_driver.go"].kata_error.startswith("Invalid hypervisor block storage driver virtio-blk-pci")
    assert "supported AIO: [io_uring native threads]" in go["block_device_aio.go"].kata_error
    assert fired(settings(root, RS_QEMU, Runtime.RUST))["block_device_driver.runtime-rs"].severity is Severity.FAIL


def test_go_virtio_fs_needs_the_daemon(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/50.toml", '[hypervisor.qemu]\nvirtio_fs_daemon = ""\n')
    v = fired(settings(root, GO_QEMU, Runtime.GO))["virtiofsd.daemon"]
    assert v.kata_error == "cannot enable virtio-fs without daemon path in configuration file"


def test_virtiofsd_thread_pool():
    assert thread_pool_size(["--thread-pool-size=1", "--announce-submounts"]) == 1
    assert thread_pool_size(["--thread-pool-size", "16", "-o", "announce_submounts"]) == 16
    assert thread_pool_size(["-o", "announce_submounts"]) is None
    assert "not a number" in describe_thread_pool(["--thread-pool-size=many"])
    s = settings(tree("kata-4x-deploy"), RS_QEMU, Runtime.RUST)
    assert "virtiofsd thread pool 1" in rules.effective(s)
    db = settings(tree("kata-4x-deploy"), f"{RS_DIR}/runtimes/dragonball/configuration-dragonball.toml", Runtime.RUST)
    assert not any("thread pool" in f for f in rules.effective(db))  # inline virtio-fs: no virtiofsd


def test_go_configuration_given_to_runtime_rs_keeps_its_first_table():
    # runtime-rs picks [runtime].hypervisor_name; a Go file has none, so the first table is used
    s = settings(tree("kata-4x-deploy"), GO_QEMU, Runtime.RUST)
    assert s.table == "qemu" and s.guest_memory_mib == 2048


# ---- annotations -------------------------------------------------------------------------------------------

P = annotations.PREFIX


def test_annotation_not_enabled_fails_go_and_is_silently_ignored_by_runtime_rs():
    root = tree("kata-4x-deploy")
    go, rs = settings(root, GO_QEMU, Runtime.GO), settings(root, RS_QEMU, Runtime.RUST)
    passing = ("io.katacontainers.*",)
    out = annotations.judge(go, P + "shared_fs", "virtio-9p", passing)
    assert out.verdict.severity is Severity.FAIL and not out.applied
    assert out.verdict.kata_error == f"annotation {P}shared_fs is not enabled"
    out = annotations.judge(rs, P + "virtio_fs_cache", "never", passing)
    assert out.verdict.severity is Severity.WARN and "silently" in out.verdict.reason
    assert out.verdict.kata_error == f"Annotation {P}virtio_fs_cache not enabled"
    # the templates do enable virtio_fs_extra_args: applied, appended to the file's arguments
    out = annotations.judge(go, P + "virtio_fs_extra_args", '["--thread-pool-size=16"]', passing)
    assert out.applied and out.verdict.severity is Severity.OK
    applied = annotations.apply(go, {P + "virtio_fs_extra_args": '["--thread-pool-size=16"]'})
    assert thread_pool_size(applied.extra_args) == 16


def test_annotation_not_passed_by_containerd_fails_silently():
    go = settings(tree("kata-4x-deploy"), GO_QEMU, Runtime.GO)
    out = annotations.judge(go, P + "virtio_fs_extra_args", '["--thread-pool-size=16"]', ())
    assert out.verdict.severity is Severity.WARN and "containerd does not pass it" in out.verdict.reason
    assert 'pod_annotations = ["io.katacontainers.*"]' in out.verdict.fix


def test_enabled_annotations_apply_and_rules_judge_the_result(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    allow = '[hypervisor.qemu]\nenable_annotations = ["shared_fs", "virtio_fs_cache", "default_memory"]\n'
    write(root, f"{GO_DIR}/runtimes/qemu/config.d/40-allow.toml", allow)
    write(root, f"{RS_DIR}/runtimes/qemu-runtime-rs/config.d/40-allow.toml", allow)
    go, rs = settings(root, GO_QEMU, Runtime.GO), settings(root, RS_QEMU, Runtime.RUST)
    nine_p = {P + "shared_fs": "virtio-9p"}
    assert annotations.judge(go, P + "shared_fs", "virtio-9p", None).applied
    assert annotations.apply(go, nine_p).shared_fs == "virtio-9p"
    assert annotations.judge(rs, P + "shared_fs", "virtio-9p", None).applied  # taken, then refused:
    assert "shared_fs.runtime-rs-9p" in fired(annotations.apply(rs, nine_p))
    bad = annotations.judge(go, P + "shared_fs", "virtio-fs-nydus", None)  # the annotation list is shorter
    assert bad.verdict.severity is Severity.FAIL and "specified for annotation shared_fs" in bad.verdict.kata_error
    none = annotations.judge(rs, P + "virtio_fs_cache", "none", None)  # no adjust_config after annotations
    assert none.verdict.kata_error == "Invalid virtio-fs cache mode: none"
    assert annotations.judge(go, P + "virtio_fs_cache", "never", None).applied


def test_default_memory_annotation_units_per_runtime(tmp_path):
    root = tree("kata-4x-deploy", tmp_path)
    go, rs = settings(root, GO_QEMU, Runtime.GO), settings(root, RS_QEMU, Runtime.RUST)
    assert annotations.judge(go, P + "default_memory", "4096", ()).verdict.severity is Severity.WARN  # not passed
    assert annotations.judge(go, P + "default_memory", "4096", None).verdict.severity is Severity.FAIL  # Go's
    # template does not enable default_memory (runtime-rs's does)
    assert annotations.validate_for(Runtime.GO, P + "default_memory", "128").endswith(
        "is less than minimum required 256, please specify a larger value")
    assert annotations.judge(rs, P + "default_memory", "4096MiB", None).applied
    assert annotations.apply(rs, {P + "default_memory": "4GiB"}).guest_memory_mib == 4096
    bare = annotations.judge(rs, P + "default_memory", "4096", None)  # bytes for runtime-rs
    assert bare.verdict.kata_error == "memory specified in annotation 0 is less than minimum limitation 64"
    assert annotations.rust_memory_mib("2048MB") == 1953


def test_annotation_values_per_runtime_without_a_node():
    assert annotations.validate_for(Runtime.GO, P + "virtio_fs_extra_args", "--thread-pool-size=16").startswith(
        "Error parsing virtiofsd extra arguments")
    assert annotations.validate_for(Runtime.RUST, P + "virtio_fs_extra_args", "--thread-pool-size=16") == ""
    assert annotations.validate_for(Runtime.RUST, P + "shared_fs", "virtio-9p") == "Invalid shared_fs type virtio-9p"
    assert annotations.validate_for(Runtime.GO, P + "shared_fs", "virtio-9p") == ""
    assert annotations.validate_for(Runtime.GO, P + "disable_block_device_use", "yes") == \
        f"Error parsing annotation for {P}disable_block_device_use: Please specify boolean value 'true|false'"
    assert annotations.validate_for(Runtime.RUST, P + "disable_block_device_use", "True") == "parse bool error"
    assert annotations.validate_for(Runtime.RUST, P + "block_device_aio", "native") == \
        f"Invalid annotation type {P}block_device_aio"


def test_enable_annotations_are_regular_expressions_searched_in_the_key():
    assert annotations.enabled(["virtio_fs_.*"], "virtio_fs_cache", Runtime.GO)
    assert annotations.enabled(["cache"], "virtio_fs_cache_size", Runtime.RUST)  # not anchored
    assert not annotations.enabled([], "shared_fs", Runtime.GO)
    assert annotations.enabled(["(", "shared_fs"], "shared_fs", Runtime.GO)  # Go skips a bad pattern
    assert not annotations.enabled(["(", "shared_fs"], "shared_fs", Runtime.RUST)  # RegexSet fails whole


# ---- capacity ------------------------------------------------------------------------------------------------

def test_capacity_of_kata_qemu_pods_on_a_node():
    root = tree("kata-4x-deploy")
    s = settings(root, GO_QEMU, Runtime.GO)
    node = capacity.parse_meminfo(root.read_text("/proc/meminfo"))
    assert node.mem_total == 16365928 * 1024 and node.mem_available == 13902236 * 1024
    node = capacity.NodeMemory(node.mem_total, node.mem_available, shm_total=8 << 30, shm_free=7 << 30)
    ok = capacity.capacity(capacity.kata_load(s, 3, "kata-qemu"), node)
    assert [v.severity for v in ok] == [Severity.OK, Severity.OK]
    assert "3 kata-qemu pods x 2048 MiB guest memory = 6,144 MiB" in ok[0].subject
    shm_full = capacity.capacity(capacity.kata_load(s, 5, "kata-qemu"), node)[0]
    assert shm_full.severity is Severity.FAIL and "SIGBUS" in shm_full.reason and "8,192 MiB" in shm_full.subject
    shm_busy = capacity.capacity(capacity.kata_load(s, 4, "kata-qemu"), node)[0]  # 8 GiB of 8, 7 free
    assert shm_busy.severity is Severity.WARN
    host = capacity.capacity(capacity.kata_load(s, 13, "kata-qemu"), capacity.NodeMemory(
        node.mem_total, node.mem_available, 1 << 40, 1 << 40))[1]  # 13 x 1100 MiB > 13,576 MiB available
    assert host.severity is Severity.WARN and "1100 MiB" in host.subject and "virtiofsd about 420 MiB" in host.reason
    too_many = capacity.capacity(capacity.kata_load(s, 16, "kata-qemu"), capacity.NodeMemory(
        node.mem_total, node.mem_available, 1 << 40, 1 << 40))[1]
    assert too_many.severity is Severity.FAIL


def test_capacity_without_virtio_fs_or_qemu():
    root = tree("kata-4x-deploy")
    db = settings(root, f"{RS_DIR}/runtimes/dragonball/configuration-dragonball.toml", Runtime.RUST)
    load = capacity.kata_load(db, 100)
    assert load.backing_dir is None and load.host_mib_per_pod is None
    assert [v.severity for v in capacity.capacity(load, capacity.NodeMemory())] == [Severity.OK, Severity.OK]
    nine_p = settings(tree("kata-9p"), f"{GO_DIR}/configuration-qemu.toml", Runtime.GO)
    assert nine_p.memory_backend_dir is None  # 9p: guest RAM is not a /dev/shm file


def test_real_dev_shm_size_is_read():
    sizes = capacity.shm_sizes(Path("/dev/shm"))
    if sizes is None:
        pytest.skip("no /dev/shm here")
    total, free = sizes
    assert total > 0 and 0 <= free <= total
    assert capacity.shm_sizes(Path("/nonexistent-dir")) is None


# ---- kataShared mount proof ---------------------------------------------------------------------------------

PROC_MOUNTS_VIRTIOFS = ("kataShared /run/kata-containers/shared/containers virtiofs rw,relatime 0 0\n"
                        "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n")
MOUNT_9P = "kataShared on / type 9p (rw,dirsync,nodev,relatime,mmap,access=client,trans=virtio)\n"
RUNC_MOUNTS = "overlay / overlay rw,relatime,lowerdir=/var/lib/a,upperdir=/var/lib/b,workdir=/var/lib/c 0 0\n"


def test_kata_shared_mount_proves_the_variant():
    assert mounts.kata_shared_types(PROC_MOUNTS_VIRTIOFS) == ("virtiofs",)
    assert mounts.kata_shared_types(MOUNT_9P) == ("9p",)
    assert mounts.prove("virtio-fs", PROC_MOUNTS_VIRTIOFS).applied
    assert mounts.prove("virtio-9p", MOUNT_9P).applied
    silent = mounts.prove("virtio-9p", PROC_MOUNTS_VIRTIOFS)  # asked for 9p, got the node's default
    assert not silent.applied and silent.verdict.severity is Severity.WARN and "variant not applied" in silent.verdict.reason
    runc = mounts.prove("virtio-fs", RUNC_MOUNTS)
    assert not runc.applied and "not in a Kata VM" in runc.verdict.reason
    assert mounts.prove("none", RUNC_MOUNTS).applied
    assert mounts.expected_mount_type("inline-virtio-fs") == "virtiofs"
    with pytest.raises(KeyError):
        mounts.expected_mount_type("virtiofs")


def test_the_rules_table_in_the_docs_lists_every_rule():
    doc = (Path(__file__).parent.parent / "docs" / "kata-configuration.md").read_text()
    assert [r.id for r in rules.RULES if f"| {r.id} |" not in doc] == []
