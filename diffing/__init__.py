"""diffing: compare two revisions of a sheet (DXF, DWG, PDF) into a change report.

Public API (callers do not reach into the modules):

- :func:`diff_files` / :func:`diff_drawings` -> :class:`DiffReport`
- :func:`write_text`, :func:`write_json`, :func:`get_writer` (by name), :func:`write_markup_dxf`
- :func:`diff_versions` / :func:`diff_entries` (set versions and manifest entries through the
  store: stored indexes, report cache), :class:`SetDiff` -- loaded on first use
- :data:`ENGINE_VERSION`
"""

from typing import Any

from diffing.compare import DEFAULT_TOLERANCE, diff_drawings, diff_files
from diffing.markup import write_markup_dxf
from diffing.report import (
    ENGINE_VERSION,
    Alignment,
    Change,
    Cluster,
    DiffReport,
    DiffResult,
    FileInfo,
    SheetDiff,
)
from diffing.writers import FORMATS, get_writer, write_json, write_text

__all__ = [
    "DEFAULT_TOLERANCE",
    "ENGINE_VERSION",
    "FORMATS",
    "Alignment",
    "Change",
    "Cluster",
    "DiffReport",
    "DiffResult",
    "FileInfo",
    "SheetDiff",
    "diff_drawings",
    "diff_files",
    "get_writer",
    "write_json",
    "write_markup_dxf",
    "write_text",
    "SetDiff",
    "diff_entries",
    "diff_versions",
]

_LAZY = {"SetDiff", "diff_entries", "diff_versions"}


def __getattr__(name: str) -> Any:
    """The store-backed API pulls in SQLAlchemy: import it only when asked for."""
    if name in _LAZY:
        from diffing import setdiff

        return getattr(setdiff, name)
    raise AttributeError(name)
