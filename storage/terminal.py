"""Text for people's terminals: control characters made visible.

Names, sheet numbers, messages and file names come from users and uploaded files.  Written raw,
an ESC or BEL starts a terminal command (OSC ``\\x1b]0;…\\x07`` retitles the window, others
write to the clipboard or hide text), a CR or LF forges a line of a log, and a bidi override
(U+202E) shows text reversed.  Every human-readable line goes through :func:`printable`; JSON
through :func:`printable_json`.  Backslashes are left alone: the escaped form is for reading,
the JSON output is the exact one.
"""

from __future__ import annotations

import re

#: C0 controls (with TAB, LF, CR), DEL and C1 controls.
CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
#: Bidi embeddings/overrides, isolates, and the Unicode line/paragraph separators (line breaks
#: to many viewers, though not to a terminal).
INVISIBLE = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029]

_SHORT = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _escape(cp: int) -> str:
    return _SHORT.get(cp) or (f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}")


_TEXT = {chr(cp): _escape(cp) for cp in CONTROLS + INVISIBLE}
# orjson already escapes C0 inside strings (as JSON requires); the rest is valid raw JSON.
_JSON = {chr(cp): f"\\u{cp:04x}" for cp in CONTROLS + INVISIBLE if cp >= 0x20}
# A regex finds the rare character ~10x faster than str.translate walks every one.
_TEXT_RE = re.compile("[" + "".join(map(re.escape, _TEXT)) + "]")
_JSON_RE = re.compile("[" + "".join(map(re.escape, _JSON)) + "]")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\n``,
    ``\\u202e``): one field or one line, never a terminal command or a second line."""
    return _TEXT_RE.sub(lambda m: _TEXT[m.group()], text)


def printable_json(text: str) -> str:
    """Serialised JSON with DEL, C1 and bidi controls as ``\\uXXXX`` escapes: the same JSON
    value, safe to show (these can only occur inside strings, where the escape means the same)."""
    return _JSON_RE.sub(lambda m: _JSON[m.group()], text)


__all__ = ["printable", "printable_json"]
