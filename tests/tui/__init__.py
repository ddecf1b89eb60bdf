"""TUI tests (a package, so that its conftest is tui.conftest and never shadows tests/conftest.py)."""
