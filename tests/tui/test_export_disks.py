"""The Results screen's export (x) onto a real full tmpfs and a real read-only bind mount: one
error naming the file and the free space, in a toast and the message log; the app carries on."""

from __future__ import annotations

from hostfaults import full_tmpfs, read_only, small_tmpfs  # noqa: F401

from tui.test_results import open_results
from tui.tui_support import settle


async def _export_into(make_app, directory):
    app = make_app(start="browse")
    app.export_dir = directory
    async with app.run_test(size=(120, 40)) as pilot:
        await open_results(pilot, app)
        await pilot.press("x")
        await settle(pilot)
        for _ in range(50):
            errors = [e for e in app.message_log.entries() if e.severity == "error"]
            if errors:
                break
            await pilot.pause(0.1)
        assert app.screen.__class__.__name__ == "ResultsScreen"  # still there, still usable
        return errors


async def test_export_onto_a_full_disk(make_app, user_set, full_tmpfs):  # noqa: F811
    (error,) = await _export_into(make_app, full_tmpfs)
    assert error.title == "export"
    assert error.message == f"{full_tmpfs}/tui-sample-clat.csv: no space left on the device (0 B free)"


async def test_export_onto_a_read_only_file_system(make_app, user_set, read_only, tmp_path):  # noqa: F811
    exports = tmp_path / "exports"
    exports.mkdir()
    (error,) = await _export_into(make_app, read_only(exports))
    assert error.title == "export" and error.message.endswith("tui-sample-clat.csv: the file system is read-only")
