"""What the property tests share: the paths of every value in a JSON or TOML document, and
setting one."""

from __future__ import annotations

from typing import Any


def value_paths(node: Any, path: tuple = ()) -> list[tuple]:
    """The path (keys and indices) of node and of every value inside it."""
    out = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            out += value_paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out += value_paths(child, (*path, i))
    return out


def set_value(doc: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value
