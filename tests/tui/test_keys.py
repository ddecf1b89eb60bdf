"""Keys: every binding has an id, the config rebinds by id, `?` lists them, the palette runs them."""

from __future__ import annotations

from textual.widgets import DataTable
from tui.tui_support import settle

from kataio_tui.config import Config
from kataio_tui.tui.keymap import all_bindings


def test_every_binding_has_a_unique_id():
    from kataio_tui.tui import keymap
    from kataio_tui.tui.app import KataioApp

    bindings = all_bindings(KataioApp)
    assert {"app.help", "app.back", "browse.open", "results.kind", "results.export"} <= set(bindings)
    assert all(b.id for b in bindings.values())
    assert keymap.unknown_binding_ids({"app.help": "f1", "nope.x": "z"}, KataioApp) == ["nope.x"]


async def test_config_keymap_rebinds_by_id(make_app, user_set):
    app = make_app(config=Config(keymap={"browse.open": "o", "app.help": "f1"}), start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("o")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ResultsScreen"


async def test_unknown_binding_id_in_config_is_reported(make_app, isolated):
    app = make_app(config=Config(keymap={"browse.opne": "o"}))
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await pilot.pause(0.1)
        assert any("unknown binding id(s): browse.opne" in n.message for n in app._notifications)


async def test_help_lists_keys_with_binding_ids(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        table = app.screen.query_one("#help-keys", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["space", "Mark", "browse.mark"] in rows
        assert ["?", "Help", "app.help"] in rows
        await pilot.press("q")
        assert app.screen.__class__.__name__ == "BrowseScreen"


async def test_q_goes_back_then_home_then_quits(make_app, user_set):
    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("q")
        assert app.screen.__class__.__name__ == "BrowseScreen"
        await pilot.press("q")
        assert app.current_mode == "home"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_command_palette_offers_screen_actions_and_choices(make_app, user_set):
    from kataio_tui.tui.commands import KataioCommands

    app = make_app(start="browse")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        titles = [title for title, _, _ in KataioCommands(screen)._commands()]
        assert "Export  [x]" in titles and "Help  [?]" in titles
        assert "Latency kind: lat (total)" in titles and "Block size: 4k" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"latency kind: slat")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.choice.kind == "slat"


async def test_command_palette_lists_every_screen_command_without_typing(make_app, user_set):
    """Discovery (empty query) shows key names such as [/] literally, never as markup."""
    from textual.command import CommandPalette

    app = make_app(start="browse")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)
        from textual.command import CommandList

        commands = app.screen.query_one(CommandList)
        prompts = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        assert any(p.startswith("Filter  [/]") for p in prompts)
        assert any(p.startswith("Compare  [c]") for p in prompts)
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "BrowseScreen"
