"""Text that came from files (set, file, runtime, host and job names, fio's error strings), made safe
to show on a terminal: control characters are written as escapes (ESC as ``\\x1b``), so that no
name can move the cursor, recolour the screen, retitle the window, hide text or reorder it.

One rule for the CLI (tables, CSV to a terminal, Markdown, error lines) and the TUI. Escaped are
C0 and C1 controls and DEL (what starts a terminal escape sequence: ESC, and CSI as U+009B), the
Unicode line and paragraph separators and the bidirectional controls that make text read in another
order than it is stored ("Trojan Source"). Everything else, accents and CJK included, is left as it is.
"""

from __future__ import annotations

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_ESCAPED = (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *_BIDI)


_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _escape(code: int) -> str:
    return _NAMED.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_TABLE = {code: _escape(code) for code in _ESCAPED}
_TABLE_LINES = {code: text for code, text in _TABLE.items() if code not in (0x09, 0x0A)}  # keeps tab, newline


def printable(value: object, lines: bool = False) -> str:
    """str(value) with every control character written as an escape; ``lines`` keeps newlines and
    tabs (a message of several lines)."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # the common case, in C: nothing to escape
        return text
    return text.translate(_TABLE_LINES if lines else _TABLE)


def brief(value: object, limit: int = 40) -> str:
    """A value quoted for an error message (repr: control characters escaped), at most limit
    characters long."""
    text = repr(value)
    return printable(text if len(text) <= limit else f"{text[:limit - 3]}...")
