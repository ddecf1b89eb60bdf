"""Plan: a form over the plan model with the model's own validation messages under each field;
presets; load and save TOML; scenario count and duration estimate; hand the plan to the run screen."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Label, Select, Static

from kataio_tui.errors import KataioError
from kataio_tui.model.plan import PRESETS, Plan, load_plan, preset
from kataio_tui.printable import printable
from kataio_tui.tui import plan_form as pf
from kataio_tui.tui.messages import WorkerMessage, WorkFailed
from kataio_tui.tui.screens.base import KataioScreen
from kataio_tui.tui.widgets.footer import KataioFooter


class PlanLoaded(WorkerMessage, bubble=False):
    def __init__(self, plan: Plan, source: str) -> None:
        super().__init__()
        self.plan = plan
        self.source = source


class RuntimesFound(WorkerMessage, bubble=False):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _widget_id(path: str) -> str:
    return "f-" + path.replace(".", "-").replace("_", "-")


class PlanScreen(KataioScreen):
    TITLE = "Plan"
    AUTO_FOCUS = "#f-name"
    BINDINGS = [
        Binding("ctrl+o", "load", "Load", id="plan.load"),
        Binding("ctrl+s", "save", "Save", id="plan.save"),
        Binding("ctrl+r", "run", "Run", id="plan.run"),
        Binding("escape", "app.back", "Back", id="plan.back"),
    ]

    def __init__(self, plan: Plan | None = None) -> None:
        super().__init__()
        self.plan: Plan | None = plan or preset("quick")
        self.base = self.plan.model_dump(mode="json")
        self.problems: dict[str, list[str]] = {}
        self.path: Path | None = None
        self._filling = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="plan-summary", classes="info")
        with VerticalScroll(id="plan-form"):
            with Horizontal(classes="field"):
                yield Label("preset", classes="field-label")
                yield Select([("(as edited)", "")] + [(p, p) for p in PRESETS], value="", allow_blank=False,
                             id="preset", compact=True)
            yield Static("", id="err-general", classes="field-error", markup=False)
            for field in pf.FIELDS:
                classes = "field" + (" k8s-only" if field.kubernetes else "") + (" local-only" if field.local else "")
                with Horizontal(classes=classes):
                    yield Label(field.label, classes="field-label")
                    if field.choices:
                        yield Select([(c, c) for c in field.choices], allow_blank=True, id=_widget_id(field.path), compact=True)
                    else:
                        yield Input(placeholder=field.placeholder, id=_widget_id(field.path), compact=True)
                if field.path == "runtimes":
                    yield Static("", id="runtimes-hint", classes="field-hint", markup=False)
                yield Static("", id="err-" + _widget_id(field.path), classes="field-error", markup=False)
        yield KataioFooter()

    def on_mount(self) -> None:
        self._fill(self.plan)
        self._find_runtimes("local")

    def palette_commands(self):
        for name in PRESETS:
            yield (f"Preset: {name}", "plan", lambda n=name: self._apply_preset(n))

    # ---- form <-> plan ----------------------------------------------------------------------

    def _values(self) -> dict[str, str]:
        values = {}
        for field in pf.FIELDS:
            widget = self.query_one(f"#{_widget_id(field.path)}")
            if isinstance(widget, Select):
                values[field.path] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                values[field.path] = widget.value
        return values

    def _fill(self, plan: Plan) -> None:
        self._filling = True
        values = pf.plan_to_form(plan)
        if plan.target != "kubernetes":
            values.update({k: v for k, v in pf.kubernetes_defaults().items()})
        for path, text in values.items():
            widget = self.query_one(f"#{_widget_id(path)}")
            if isinstance(widget, Select):
                widget.value = text if text else Select.NULL
            else:
                widget.value = text
        self._filling = False
        self.base = plan.model_dump(mode="json")
        self._validate()

    def _apply_preset(self, name: str) -> None:
        self._fill(preset(name))
        self.notify(f"preset {name}", timeout=2)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "preset":
            if event.value:
                self._apply_preset(str(event.value))
            return
        if not self._filling:
            self._validate()
            if event.select.id == _widget_id("target"):
                self._find_runtimes(str(event.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        if not self._filling and event.input.id and event.input.id.startswith("f-"):
            self._validate()

    def _validate(self) -> None:
        values = self._values()
        plan, self.problems = pf.validate(pf.form_to_data(values, self.base))
        self.plan = plan
        self.set_class(values.get("target") == "kubernetes", "target-kubernetes")
        for field in pf.FIELDS:
            self._show_error(f"#err-{_widget_id(field.path)}", self.problems.get(field.path, []))
        self._show_error("#err-general", self.problems.get("", []))
        summary = self.query_one("#plan-summary", Static)
        if plan is None:
            count = sum(len(v) for v in self.problems.values())
            summary.update(Text(f"✘ {count} problem{'s' if count != 1 else ''}: fix the fields marked below",
                                style="bold"))
        else:
            source = printable(f"  ({self.path})") if self.path else ""
            summary.update(Text.assemble(("✔ ", "bold"), pf.summary(plan), source))

    def _show_error(self, selector: str, messages: list[str]) -> None:
        widget = self.query_one(selector, Static)
        widget.update("\n".join(f"✘ {printable(m)}" for m in messages))
        widget.display = bool(messages)

    # ---- runtimes available ------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="runtimes")
    def _find_runtimes(self, target: str) -> None:
        if target == "kubernetes":
            text = self._runtime_classes()
        else:
            from kataio_tui.model.plan import LOCAL_RUNTIMES
            from kataio_tui.local.availability import local_runtime_status

            parts = []
            for name in LOCAL_RUNTIMES:
                status = local_runtime_status(name)
                parts.append(f"{'✔' if status.available else '✘'} {name}")
            text = "here: " + "  ".join(parts)
        self.post_message(RuntimesFound(text))

    def _runtime_classes(self) -> str:
        from kataio_tui.checks.cluster import list_runtime_classes
        from kataio_tui.checks.engine import CheckContext, SkipCheck
        from kataio_tui.checks.options import CheckOptions, options_from_plan

        options = options_from_plan(self.plan) if self.plan is not None else CheckOptions()
        ctx = CheckContext(options)
        try:
            names = sorted(list_runtime_classes(ctx))
        except SkipCheck as exc:
            return f"RuntimeClasses: not listed ({exc.reason})"
        except Exception as exc:  # the API's own errors: shown, the form stays usable
            return f"RuntimeClasses: not listed ({type(exc).__name__}: {exc})"
        finally:
            ctx.close()
        return "RuntimeClasses in the cluster: " + (", ".join(names) or "none") + " (runc/default: no class)"

    def on_runtimes_found(self, message: RuntimesFound) -> None:
        self.query_one("#runtimes-hint", Static).update(message.text)

    # ---- load, save, run ---------------------------------------------------------------------

    def action_load(self) -> None:
        from kataio_tui.tui.screens.prompt import PromptScreen

        def chosen(path: str | None) -> None:
            if path:
                self._load(Path(path).expanduser())

        self.app.push_screen(PromptScreen("Load a plan (TOML file)", str(self.path or ""), "plan.toml"), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan-io")
    def _load(self, path: Path) -> None:
        try:
            plan = load_plan(path)
        except KataioError as exc:
            self.post_message(WorkFailed("load plan", str(exc)))
            return
        self.post_message(PlanLoaded(plan, str(path)))

    def on_plan_loaded(self, message: PlanLoaded) -> None:
        self.path = Path(message.source)
        self._fill(message.plan)
        self.notify(f"loaded {message.source}", timeout=3)

    def action_save(self) -> None:
        if self.plan is None:
            self.notify("the plan has problems; fix them before saving", severity="warning")
            return
        from kataio_tui.tui.screens.prompt import PromptScreen

        def chosen(path: str | None) -> None:
            if path and self.plan is not None:
                self._save(self.plan, Path(path).expanduser())

        default = self.path or Path.cwd() / f"{self.plan.name}.toml"
        self.app.push_screen(PromptScreen("Save the plan as (TOML file)", str(default)), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan-io")
    def _save(self, plan: Plan, path: Path) -> None:
        from kataio_tui.tomlfile import write_atomic

        try:
            write_atomic(path, plan.to_toml().encode("utf-8"))
        except OSError as exc:
            self.post_message(WorkFailed("save plan", f"{path}: {exc.strerror or exc}"))
            return
        self.path = path
        self.app.call_from_thread(self.notify, f"saved {path}", timeout=4)
        self.app.call_from_thread(self._validate)

    def action_run(self) -> None:
        if self.plan is None:
            self.notify("the plan has problems; fix them before running", severity="warning")
            return
        runner = getattr(self.app, "start_run", None)
        if runner is not None:
            runner(self.plan)
