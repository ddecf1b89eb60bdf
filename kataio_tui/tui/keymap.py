"""Binding ids: every key of the TUI is a Binding with an id, and the config's [keymap] rebinds by id."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode


def _bindings_of(cls: type) -> list[Binding]:
    return [b for b in getattr(cls, "BINDINGS", []) if isinstance(b, Binding)]


def all_bindings(app_class: type) -> dict[str, Binding]:
    """Every binding id defined by the app (``app_class``, handed in by the app itself) and its
    screens and widgets, with its default binding."""
    from kataio_tui.tui import screens, widgets

    found: dict[str, Binding] = {}
    classes: list[type] = [app_class]
    for package in (screens, widgets):
        for info in pkgutil.iter_modules(package.__path__):
            try:
                module = importlib.import_module(f"{package.__name__}.{info.name}")
            except ImportError:  # a screen whose core module is not there yet
                continue
            classes += [c for _, c in inspect.getmembers(module, inspect.isclass)
                        if issubclass(c, DOMNode) and c.__module__ == module.__name__]
    for cls in classes:
        for binding in _bindings_of(cls):
            if binding.id:
                found.setdefault(binding.id, binding)
    return found


def unknown_binding_ids(keymap: dict[str, str], app_class: type) -> list[str]:
    if not keymap:
        return []
    known = all_bindings(app_class)
    return sorted(k for k in keymap if k not in known)
