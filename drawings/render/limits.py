"""How much one sheet may expand when it is drawn: the rendering side of hostile input.

A drawing is bounded by its file size only until its block references are expanded: a 27 KB
DXF with one MINSERT of 1e5 x 1e5 cells, or 6 KB of blocks fanned out 8 wide and 14 deep,
asks for 1e10 to 4e12 entities -- and ingest stores such files, so every viewer of them
(``render``, ``diff --overlay``, tiles) would run out of memory.  The flattener therefore
counts what a reference would draw *before* drawing it (:mod:`.expansion`) and draws the
outline of whatever would not fit, with a warning naming the file.  The limits, each a
positive integer from the environment (README, "Settings"):

``YITAOTU_RENDER_MAX_ENTITIES``
    entities drawn from block references plus hatch pattern lines, per sheet drawn;
``YITAOTU_RENDER_MAX_POINTS``
    vertices drawn from block references, per sheet drawn (curves are flattened to a
    tolerance only known while drawing, so this one is counted as they are drawn);
``YITAOTU_RENDER_MAX_DEPTH``
    nesting of block references (deeper ones are not drawn), at most 64;
``YITAOTU_RENDER_MAX_CELLS``
    cells of one MINSERT (rows x columns);
``YITAOTU_RENDER_MAX_PATTERN_LINES``
    pattern lines of one hatch (a finer hatch is drawn as a solid fill, as before).

Top-level entities are drawn whatever their number: they are in the file, so
``YITAOTU_MAX_UPLOAD`` bounds them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from storage.numbers import env_positive_int

#: Nesting beyond this would exhaust Python's stack (about five frames per level).
DEPTH_CEILING = 64


@dataclass(frozen=True)
class RenderLimits:
    """The limits of one sheet drawn (module docstring); defaults leave every sheet of the
    corpus as it was (its largest expansion is a fraction of each) while a hostile one stays
    within about 1 GB and a minute."""

    entities: int = 500_000
    points: int = 1_000_000
    depth: int = 16
    cells: int = 100_000
    pattern_lines: int = 3000

    #: the environment variable of each limit, for messages and the README
    ENV: ClassVar[dict[str, str]] = {
        "entities": "YITAOTU_RENDER_MAX_ENTITIES",
        "points": "YITAOTU_RENDER_MAX_POINTS",
        "depth": "YITAOTU_RENDER_MAX_DEPTH",
        "cells": "YITAOTU_RENDER_MAX_CELLS",
        "pattern_lines": "YITAOTU_RENDER_MAX_PATTERN_LINES",
    }

    @classmethod
    def from_env(cls) -> RenderLimits:
        """The limits set in the environment; a value that is not a positive whole number is
        refused naming the variable."""
        values = {}
        for f in fields(cls):
            ceiling = DEPTH_CEILING if f.name == "depth" else None
            values[f.name] = env_positive_int(cls.ENV[f.name], f.default, ceiling=ceiling)
        return cls(**values)

    def setting(self, name: str) -> str:
        """``VARIABLE=value`` of one limit, as messages cite it."""
        return f"{self.ENV[name]}={getattr(self, name)}"
