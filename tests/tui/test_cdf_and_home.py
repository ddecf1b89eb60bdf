"""The CDF renderer (log axis, markers, legend) and the home screen's facts."""

from __future__ import annotations

import subprocess

import pytest
from tui.tui_support import SAMPLE_SET, screen_text, settle

from kataio_tui.results.loader import load_set
from kataio_tui.results.tables import build_rows
from kataio_tui.kube import kubeconfig
from kataio_tui.tui import facts
from kataio_tui.tui.cdf_render import MARKERS, Series, decade_ticks, format_us, render_cdf, thin


def real_series() -> list[Series]:
    rows = build_rows(load_set(SAMPLE_SET), "bare", ("clat",))
    out = []
    for row in rows:
        if (row.key.pattern, row.key.block_size, row.key.clients) == ("read", 65536, 1):
            xs, ys = row.lat("clat").histogram.cdf()
            out.append(Series(row.key.runtime, xs, ys))
    return out


def test_format_and_decade_ticks():
    assert [format_us(x) for x in (1, 10, 1000, 2500, 1e6)] == ["1µs", "10µs", "1ms", "2.5ms", "1s"]
    positions, labels = decade_ticks(1.2, 4.7)
    assert labels == ["10µs", "100µs", "1ms", "10ms", "100ms"] and positions == [1, 2, 3, 4, 5]
    _, labels = decade_ticks(2.1, 2.9)  # less than a decade: 1-2-5 steps
    assert labels == ["100µs", "200µs", "500µs", "1ms"]


def test_thin_keeps_the_end_of_each_bucket():
    xs = [1.0 + i / 100 for i in range(1000)]
    ys = [(i + 1) / 1000 for i in range(1000)]
    lx, ly = thin(xs, ys, 50)
    assert len(lx) <= 51 and ly[-1] == 1.0 and ly == sorted(ly)


def test_real_cdf_has_markers_legend_and_log_ticks():
    series = real_series()
    assert [s.label for s in series] == ["bare", "gvisor"]
    text = render_cdf(series, 80, 20, "clat CDF")
    lines = text.splitlines()
    assert len(lines) == 20 and all(len(line) <= 80 for line in lines)
    assert f"{MARKERS[0]} bare" in text and f"{MARKERS[1]} gvisor" in text
    canvas = "\n".join(lines[1:-2])
    assert canvas.count(MARKERS[0]) > 10 and canvas.count(MARKERS[1]) > 10
    ticks = lines[-1]
    assert ticks.index("10µs") < ticks.index("100µs") < ticks.index("1ms") < ticks.index("10ms")
    assert "100%" in text and "0%" in text
    # gVisor's p50 (about 20 µs) lies left of bare's (about 750 µs): on the 50% row its marker comes first
    row_50 = next(line for line in lines if line.lstrip().startswith("50%"))
    assert row_50.index(MARKERS[1]) < row_50.index(MARKERS[0])


def test_too_small_or_empty_gives_nothing():
    assert render_cdf(real_series(), 20, 20) == ""
    assert render_cdf([], 80, 20) == ""


def test_kubeconfig_context_and_namespace(tmp_path):
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: lab\n"
        "contexts:\n- name: lab\n  context: {cluster: kind-lab, user: admin, namespace: kataio}\n"
        "clusters:\n- name: kind-lab\n  cluster: {server: 'https://127.0.0.1:6443'}\n"
    )
    ctx = kubeconfig.read_kube_context(path)
    assert (ctx.context, ctx.cluster, ctx.namespace, ctx.server, ctx.error) == (
        "lab", "kind-lab", "kataio", "https://127.0.0.1:6443", None)
    path.write_text("current-context: gone\ncontexts: []\n")
    assert kubeconfig.read_kube_context(path).error == "current-context 'gone' is not among its contexts"
    path.write_text("a: [\n")
    assert kubeconfig.read_kube_context(path).error.startswith("not valid YAML")
    assert kubeconfig.kubeconfig_path({"KUBECONFIG": str(tmp_path / "missing")}) is None
    assert kubeconfig.kubeconfig_path({"KUBECONFIG": f"{path}:/other"}) == path


def test_home_facts_do_not_import_kubernetes():
    code = ("import sys; from kataio_tui.tui import facts; facts.gather(); "
            "import kataio_tui.tui.screens.home; print('kubernetes' in sys.modules)")
    out = subprocess.run([sys_executable(), "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def sys_executable() -> str:
    import sys

    return sys.executable


async def test_home_shows_context_recent_sets_and_opens_one(make_app, bundled_set, isolated, monkeypatch):
    kubeconfig = isolated / "kubeconfig"
    kubeconfig.write_text("current-context: lab\ncontexts:\n- name: lab\n  context: {cluster: c1}\n"
                          "clusters:\n- name: c1\n  cluster: {server: 'https://10.0.0.1:6443'}\n")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "context lab, namespace default, cluster c1" in text
        assert "tui-sample" in text and "fio-3.33; local runtimes ✔ bare" in text
        assert "2 browse result sets (1 found)" in text
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ResultsScreen"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_home_fits(make_app, isolated, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Next steps" in text and "q Back/Quit" in text
