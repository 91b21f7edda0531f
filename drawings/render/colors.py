"""AutoCAD colour index (ACI) and true colours to RGB on white paper.

White (ACI 7, and pure white true colour) plots black, as CAD plotters do on white paper;
ACI 0/BYBLOCK means "take the colour of the enclosing block reference".
"""

from __future__ import annotations

from ezdxf.colors import DXF_DEFAULT_COLORS

RGB = tuple[float, float, float]

BLACK: RGB = (0.0, 0.0, 0.0)
#: Colour used when an entity says BYBLOCK at top level.
DEFAULT: RGB = BLACK

_ACI: list[RGB] = [
    ((v >> 16 & 255) / 255.0, (v >> 8 & 255) / 255.0, (v & 255) / 255.0) for v in DXF_DEFAULT_COLORS
]
_ACI[7] = BLACK
_ACI[255] = BLACK  # the other "white" of the palette

#: Diff overlay colours.
REMOVED: RGB = (0.86, 0.08, 0.08)
ADDED: RGB = (0.05, 0.62, 0.12)
MODIFIED: RGB = (1.0, 0.55, 0.0)
UNCHANGED: RGB = (0.72, 0.72, 0.72)
CLOUD: RGB = (0.85, 0.0, 0.55)


def is_byblock(color: object) -> bool:
    return color == 0 or color == "BYBLOCK" or color is None


def to_rgb(color: object, inherited: RGB = DEFAULT) -> RGB:
    """Resolve a model colour (ACI int, ``"#rrggbb"``, 0/BYBLOCK) to an RGB triple."""
    if isinstance(color, int):
        if 0 < color < 256:
            return _ACI[color]
        return inherited
    if isinstance(color, str) and color.startswith("#") and len(color) == 7:
        try:
            v = int(color[1:], 16)
        except ValueError:
            return inherited
        if v == 0xFFFFFF:
            return BLACK
        return ((v >> 16 & 255) / 255.0, (v >> 8 & 255) / 255.0, (v & 255) / 255.0)
    if isinstance(color, tuple | list) and len(color) == 3:
        return (color[0] / 255.0, color[1] / 255.0, color[2] / 255.0)
    return inherited


def hex_color(rgb: RGB) -> str:
    r, g, b = (round(c * 255) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"
