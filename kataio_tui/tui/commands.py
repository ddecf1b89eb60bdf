"""The command palette (ctrl+p): the active screen's own commands first (its keys, then its choices
such as the latency kind), then the app's (help, messages, modes, theme), then Textual's system
commands. Widgets' cursor moves (DataTable's, the tables' j/k/g/G) are keys, not commands.

Titles carry their key as "[x]"; Textual's highlighter reads a str as markup (and "[x]" would
vanish while searching), so hits are highlighted here on plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

Command = tuple[str, str, Callable[[], object]]  # title, help, callback

NOT_COMMANDS = ("table.",)  # binding-id prefixes of cursor moves


def highlight(matcher: Matcher, title: str) -> Content:
    score, offsets = matcher.fuzzy_search.match(matcher.query, title)
    content = Content(title)
    if score:
        for offset in offsets:
            if not title[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class KataioCommands(Provider):
    def _bindings(self) -> tuple[list[Command], list[Command]]:
        """(the screen's, the app's) bindings as commands, in the order they were declared."""
        screen_commands: list[Command] = []
        app_commands: list[Command] = []
        seen: set[tuple[int, str]] = set()
        for active in self.screen.active_bindings.values():
            binding, node = active.binding, active.node
            if (not binding.description or binding.action == "command_palette" or not binding.id
                    or binding.id.startswith(NOT_COMMANDS) or (id(node), binding.action) in seen):
                continue
            seen.add((id(node), binding.action))
            title = f"{binding.description}  [{self.app.get_key_display(binding)}]"
            command = (title, binding.tooltip or f"binding {binding.id}", partial(self._run, node, binding.action))
            (app_commands if node is self.app else screen_commands).append(command)
        return screen_commands, app_commands

    def _commands(self, searching: bool = False) -> Iterable[Command]:
        screen_commands, app_commands = self._bindings()
        yield from screen_commands
        extra = getattr(self.screen, "palette_commands", None)
        if callable(extra):
            yield from extra()
        yield from app_commands
        for system in self.app.get_system_commands(self.screen):
            if system.discover or searching:
                yield (system.title, system.help, system.callback)

    async def _run(self, node, action: str) -> None:
        await node.run_action(action)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands(searching=True):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, highlight(matcher, title), callback, text=title, help=help_text)
