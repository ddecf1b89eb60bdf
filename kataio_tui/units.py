"""Parsing and printing sizes the way fio writes them (64k, 1m, 32g: powers of 1024)."""

from __future__ import annotations

import re

from kataio_tui.printable import brief

_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_FACTORS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str | int) -> int:
    """'64k' -> 65536. Raises ValueError naming the text when it is not a size."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    if not isinstance(text, str):
        raise ValueError(f"{brief(text)} is not a size (a whole number of bytes or text such as 64k, 1m, 32g)")
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{brief(text)} is not a size (examples: 4096, 64k, 1m, 32g)")
    return int(match.group(1)) * _FACTORS[match.group(2).lower()]


def format_size(n: int) -> str:
    """65536 -> '64k'; sizes that are not a whole multiple stay in bytes."""
    for suffix in ("t", "g", "m", "k"):
        factor = _FACTORS[suffix]
        if n >= factor and n % factor == 0:
            return f"{n // factor}{suffix}"
    return str(n)


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB', 68719476736 -> '64 GiB' (for people; format_size is for fio)."""
    for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n:.0f} B"
