"""The footer: as many of the screen's keys as fit beside the palette key, never one cut in half.

Textual's footer scrolls sideways when its keys are wider than the terminal, and the docked palette
key then covers the middle of one (at 80 columns Browse ended in `^p palettet`). Here the app's own
keys (help, back) always stay, the screen's keys give way from the end of its list (so screens list
their keys most important first), and every key stays in `?` and the command palette.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer


def key_width(key: Widget) -> int:
    """Cells a footer key takes: key, space, description, and its margin (compact style). (Textual's
    FooterKey is not exported: its attributes are read as they are.)"""
    display, description = getattr(key, "key_display", None), getattr(key, "description", "")
    if display is None:
        return 0
    text = f"{display} {description}" if description else display
    return cell_len(text) + 1


class KataioFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self._composed_width = 0

    def compose(self) -> ComposeResult:
        items = list(super().compose())
        palette = [w for w in items if w.has_class("-command-palette")]
        keys = [w for w in items if w not in palette]
        # its own width once laid out (a screen with a scrollbar gives it less than the terminal's)
        width = self.size.width or self.app.size.width
        self._composed_width = width
        room = width - sum(key_width(w) + 1 for w in palette)  # + its left border
        app_actions = {b.action for b in type(self.app).BINDINGS if not isinstance(b, tuple)}
        while keys and sum(key_width(w) for w in keys) > room:
            screen_keys = [w for w in keys if getattr(w, "action", None) not in app_actions]
            keys.remove((screen_keys or keys)[-1])
        yield from keys
        yield from palette

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._composed_width and self.is_attached:
            self.call_after_refresh(self.recompose)
