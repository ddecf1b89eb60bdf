"""Plan screen: the form over the plan model, inline validation from the model, presets, TOML."""

from __future__ import annotations

from textual.widgets import Select
from tui.tui_support import settle

from kataio_tui.model.plan import load_plan, preset
from kataio_tui.tui import plan_form


def error_of(app, path: str) -> str:
    widget = app.screen.query_one(f"#err-f-{path.replace('.', '-').replace('_', '-')}")
    return str(widget.content) if widget.display else ""


def field(app, path: str):
    return app.screen.query_one(f"#f-{path.replace('.', '-').replace('_', '-')}")


async def test_summary_counts_scenarios_and_estimates(make_app):
    app = make_app(start="plan")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        quick = preset("quick")
        summary = str(app.screen.query_one("#plan-summary").content)
        assert summary.startswith(f"✔ {len(quick.scenarios())} scenarios, about ")
        assert plan_form.format_duration(quick.estimate_seconds()) in summary
        field(app, "clients").value = "1, 8, 64"
        await pilot.pause()
        assert app.screen.plan.clients == [1, 8, 64]
        assert f"{len(app.screen.plan.scenarios())} scenarios" in str(app.screen.query_one("#plan-summary").content)


async def test_model_messages_appear_under_their_fields(make_app):
    app = make_app(start="plan")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        field(app, "fio.iodepth").value = "0"
        field(app, "block_sizes").value = "64k, 3x"
        await pilot.pause()
        assert app.screen.plan is None
        assert error_of(app, "fio.iodepth") == "✘ iodepth 0 is out of range (1 to 4096)"
        assert "'3x' is not a size" in error_of(app, "block_sizes")
        assert "2 problems" in str(app.screen.query_one("#plan-summary").content)
        field(app, "fio.iodepth").value = "16"
        field(app, "block_sizes").value = "64k"
        await pilot.pause()
        assert error_of(app, "fio.iodepth") == "" and app.screen.plan is not None
        # the model's whole-plan check (runs once the fields are valid) lands under its field too
        field(app, "runtimes").value = "bare, kube-only"
        await pilot.pause()
        assert "'kube-only' is not a local runtime" in error_of(app, "runtimes")


async def test_kubernetes_target_shows_its_fields_and_checks_storage(make_app):
    app = make_app(start="plan")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert not field(app, "kubernetes.namespace").parent.display or not app.screen.has_class("target-kubernetes")
        field(app, "target").value = "kubernetes"
        await settle(pilot)
        assert app.screen.has_class("target-kubernetes")
        assert field(app, "kubernetes.namespace").value == "kataio"
        field(app, "kubernetes.storage.kind").value = "pvc"
        await pilot.pause()
        assert error_of(app, "kubernetes.storage.claim") == "✘ storage kind 'pvc' needs storage.claim"
        field(app, "kubernetes.storage.claim").value = "fio-data"
        await pilot.pause()
        assert app.screen.plan.kubernetes.storage.claim == "fio-data"
        # no kubeconfig in the isolated home: the hint says why no RuntimeClass is listed
        assert "RuntimeClasses: not listed" in str(app.screen.query_one("#runtimes-hint").content)


async def test_presets_save_and_load(make_app, isolated):
    app = make_app(start="plan")
    path = isolated / "study.toml"
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#preset", Select).value = "stackhpc-2019"
        await pilot.pause()
        assert app.screen.plan == preset("stackhpc-2019")
        await pilot.press("ctrl+s")
        prompt = app.screen.query_one("#prompt-input")
        prompt.value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert load_plan(path) == preset("stackhpc-2019")
        app.screen.query_one("#preset", Select).value = "quick"
        await pilot.pause()
        assert app.screen.plan.name == "quick"
        await pilot.press("ctrl+o")
        app.screen.query_one("#prompt-input").value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.plan == preset("stackhpc-2019")


async def test_loading_a_bad_plan_names_the_file_and_field(make_app, isolated):
    bad = isolated / "bad.toml"
    bad.write_text('name = "x"\nclients = [0]\n')
    app = make_app(start="plan")
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        app.screen.query_one("#prompt-input").value = str(bad)
        await pilot.press("enter")
        await settle(pilot)
        assert any(f"{bad}: clients: client count 0 is out of range" in n.message for n in app._notifications)
        assert app.screen.plan.name == "quick"  # the form kept what it had
