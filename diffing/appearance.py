"""Appearance equivalence: two spellings of a style value that plot the same are no change.

CAD programs re-export the same look in other words: an indexed colour (ACI 1) as the identical
true colour (``#ff0000``), a TrueType font named in the style table or only in the style's
XDATA.  Such a pair is not reported per entity; it is counted as a *respelling* by kind, which
``--strict-style`` lists (one line per kind, with a count).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ezdxf.colors import DXF_DEFAULT_COLORS

#: ACI -> "#rrggbb" of the standard palette (ACI 1..255).
_ACI_HEX = {i: f"#{v & 0xFFFFFF:06x}" for i, v in enumerate(DXF_DEFAULT_COLORS) if 0 < i < 256}

#: Respelling kinds as listed by ``--strict-style`` (zh-CN first).
RESPELLING_LABEL = {
    "color": "颜色 ACI ↔ 真彩色 colour index vs identical true colour",
    "layer_color": "图层颜色 ACI ↔ 真彩色 layer colour index vs identical true colour",
    "linetype": "线型大小写 linetype name case",
    "layer_linetype": "图层线型大小写 layer linetype name case",
    "layer_on_frozen": "冻结图层的开关 layer switched off/on while frozen in both",
    "style_renamed": "文字样式改名 text style definitions kept, names swapped",
}


def colour_key(value: Any) -> Any:
    """One spelling per plotted colour: an ACI of the standard palette becomes its
    ``#rrggbb``; true colours are lower-cased; anything else (BYBLOCK 0, None) is kept."""
    if type(value) is int and value in _ACI_HEX:
        return _ACI_HEX[value]
    if isinstance(value, str) and value.startswith("#"):
        return value.lower()
    return value


def same_look(key: str, a: Any, b: Any) -> bool:
    """True when style values ``a`` and ``b`` of ``key`` plot the same."""
    if a == b:
        return True
    if key == "color":
        return colour_key(a) == colour_key(b)
    if key == "linetype" and isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return False


class Respellings(Counter[str]):
    """Counts of equivalent-but-different spellings seen while comparing, by kind."""

    def note(self, kind: str, n: int = 1) -> None:
        self[kind] += n

    def to_json(self) -> list[dict[str, Any]]:
        return [{"kind": k, "count": n} for k, n in sorted(self.items()) if n]
