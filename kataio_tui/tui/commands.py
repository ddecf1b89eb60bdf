"""The command palette (ctrl+p): every binding of the active screen and the app, each screen's
extra commands (choices such as the latency kind), and the modes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

Command = tuple[str, str, Callable[[], object]]  # title, help, callback


class KataioCommands(Provider):
    def _commands(self) -> Iterable[Command]:
        screen = self.screen
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or binding.action == "command_palette":
                continue
            seen.add(binding.action)
            keys = self.app.get_key_display(binding)
            node = active.node
            yield (f"{binding.description}  [{keys}]", binding.tooltip or f"binding {binding.id or key}",
                   partial(self._run, node, binding.action))
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            yield from extra()

    async def _run(self, node, action: str) -> None:
        await node.run_action(action)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            # Text, not str: a str is read as markup, and key names such as [/] are markup tags
            yield DiscoveryHit(Text(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
