"""The `/` filter a screen puts over its table: an input line hidden until `/`, narrowing as you type;
enter applies it (back to the table), escape clears it. Each word must appear in a row's text."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.widgets import DataTable, Input

FILTER_ID = "filter"


def filter_field(placeholder: str) -> Input:
    # no select-on-focus: keys typed before the focus event lands would be replaced by the next one
    return Input(placeholder=placeholder, id=FILTER_ID, classes="hidden", select_on_focus=False)


def matches(text: str, fields: Iterable[str]) -> bool:
    haystack = " ".join(fields).lower()
    return all(word in haystack for word in text.lower().split())


class Filtering:
    """Mixin for a KataioScreen: set FILTER_TABLE and implement refilter() (redraw with filter_text)."""

    FILTER_TABLE = "DataTable"  # selector of the table the filter narrows
    filter_text = ""

    def refilter(self) -> None:
        raise NotImplementedError

    def _filter_input(self) -> Input:
        return self.query_one(f"#{FILTER_ID}", Input)  # type: ignore[attr-defined]

    def _filter_table(self) -> DataTable:
        return self.query_one(self.FILTER_TABLE, DataTable)  # type: ignore[attr-defined]

    def action_filter(self) -> None:
        field = self._filter_input()
        field.remove_class("hidden")
        # at once, not after the next refresh (Widget.focus): a key typed right after / is filter text
        self.set_focus(field)  # type: ignore[attr-defined]

    def on_key(self, event: events.Key) -> None:
        """Textual hands a key to the widget focused when it arrives and runs bindings after it has
        bubbled up to the app: on a busy host the keys typed right after / were queued for the table
        and would be lost. So / opens the filter here, on its way up, and printable keys that come
        after it are filter text (the filter input stops the keys it takes: only such strays get here)."""
        field = self._filter_input()
        if self.focused is field:  # type: ignore[attr-defined]  # (has_focus follows a moment later)
            if event.is_printable and event.character:
                field.insert_text_at_cursor(event.character)
                event.stop()
        elif event.key in self._filter_keys():
            event.stop()
            self.action_filter()

    def _filter_keys(self) -> set[str]:
        """The keys bound to the filter (as rebound by the config's [keymap])."""
        bindings = self.active_bindings.items()  # type: ignore[attr-defined]
        return {key for key, active in bindings if active.binding.action == "filter"}

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == FILTER_ID:
            self.filter_text = event.value.strip()
            self.refilter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == FILTER_ID:
            self.apply_filter()

    def apply_filter(self) -> None:
        """Back to the table with the filter kept (an empty one hides the input again)."""
        field = self._filter_input()
        if not field.value.strip():
            field.add_class("hidden")
        self._filter_table().focus()

    def action_clear_filter(self) -> None:
        field = self._filter_input()
        field.value = ""
        field.add_class("hidden")
        self.filter_text = ""
        self.refilter()
        self._filter_table().focus()
