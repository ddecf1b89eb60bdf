"""Each Kata handler of containerd and CRI-O: the runtime (Go or runtime-rs) and the configuration
file it really uses, with its drop-ins, judged by that runtime's rules (kataio_tui.kata)."""

from __future__ import annotations

from kataio_tui.checks.engine import CheckContext, Finding, SkipCheck, failed, warned
from kataio_tui.checks.kata_verdicts import host_root, installations, verdict_finding
from kataio_tui.kata import rules
from kataio_tui.kata.annotations import KATA_DEPLOY_POD_ANNOTATIONS, PREFIX, passed_by_containerd
from kataio_tui.kata.config import KataSettings
from kataio_tui.kata.configload import load_config
from kataio_tui.kata.handlers import (
    CONTAINERD_CONFIG,
    Handler,
    HandlerFileError,
    HandlerUse,
    containerd_files,
    containerd_handlers,
    crio_handlers,
    resolve_handler,
)


def kata_handlers(ctx: CheckContext) -> list[Handler]:
    """containerd's and CRI-O's Kata handlers; a broken file is runtimes.containerd's / .crio's to report."""
    root = host_root(ctx)
    main = str(ctx.options.containerd_config) if ctx.options.containerd_config else CONTAINERD_CONFIG
    found: list[Handler] = []
    if root.is_file(main):
        try:
            found += containerd_handlers(containerd_files(root, main))
        except HandlerFileError:
            pass
    try:
        found += crio_handlers(root)[1]
    except HandlerFileError:
        pass
    return [h for h in found if h.is_kata]


def _key(handler: Handler) -> str:
    return handler.name if handler.cri == "containerd" else f"crio.{handler.name}"


def handler_finding(ctx: CheckContext, use: HandlerUse) -> Finding:
    h = use.handler
    kw = {"key": _key(h), "title": f"Kata handler {h.name} ({h.cri})"}
    lines = [use.describe(), f"defined in {h.source}"]
    if use.problems:
        return failed("\n".join([*lines, "problems: " + "; ".join(use.problems)]),
                      f"pods with RuntimeClass {h.name} fail: what the handler points to is missing",
                      "reinstall Kata (kata-deploy) or fix runtime_path / ConfigPath", **kw)
    if use.runtime is None or use.config is None:
        return warned("\n".join(lines), "kataio cannot tell which Kata runtime this handler starts, so it "
                      "cannot judge its configuration", "point runtime_path at /opt/kata/bin or "
                      "/opt/kata/runtime-rs/bin/containerd-shim-kata-v2", **kw)
    loaded = load_config(host_root(ctx), use.config, use.runtime)
    if loaded.dropins:
        lines.append("drop-ins: " + ", ".join(loaded.dropins))
    if not loaded.ok:
        return failed("\n".join([*lines, loaded.error]), f"{use.runtime.label} cannot load its configuration: every "
                      f"pod with RuntimeClass {h.name} fails", f"fix {loaded.error.split(':', 1)[0]}", **kw)
    settings = KataSettings.of(loaded)
    lines.append("; ".join(rules.effective(settings)))
    if h.pod_annotations is not None and not passed_by_containerd(h.pod_annotations, PREFIX + "shared_fs"):
        lines.append(f"pod_annotations {list(h.pod_annotations)}: per-pod io.katacontainers.* annotations are not "
                     f"passed to Kata (kata-deploy writes {list(KATA_DEPLOY_POD_ANNOTATIONS)})")
    return verdict_finding("\n".join(lines), rules.evaluate(settings),
                           f"{use.runtime.label} loads {loaded.shown()}: nothing in it stops its pods", **kw)


def check_kata_handlers(ctx: CheckContext) -> list[Finding]:
    handlers = kata_handlers(ctx)
    if not handlers:
        raise SkipCheck("no Kata handler in containerd or CRI-O (see runtimes.containerd, runtimes.crio)")
    root = host_root(ctx)
    return [handler_finding(ctx, resolve_handler(root, h, installations(ctx))) for h in handlers]
