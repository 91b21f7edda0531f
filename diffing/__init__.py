"""diffing: compare two revisions of a sheet (DXF, DWG, PDF) into a change report.

Public API (callers do not reach into the modules):

- :func:`diff_files` / :func:`diff_drawings` -> :class:`DiffReport`
- :func:`write_text`, :func:`write_json`, :func:`get_writer` (by name), :func:`write_markup_dxf`,
  :func:`cluster_captions` (the change atlas's text per cluster)
- :func:`diff_versions` / :func:`diff_entries` (set versions and manifest entries through the
  store: stored indexes, report cache), :class:`SetDiff`, :func:`sheet_entry`,
  :func:`load_sheet_index`, the sheet states ``ADDED``/``CHANGED``/``REMOVED``/``UNCHANGED``
  -- loaded on first use
- :func:`read_drawing` (a file as the diff reads it, naming it in errors), :func:`sha256_file`,
  :func:`pad` (text columns of the writers)
- :data:`ENGINE_VERSION`
"""

from typing import Any

from diffing.compare import (
    DEFAULT_TOLERANCE,
    diff_drawings,
    diff_files,
    read_drawing,
    sha256_file,
)
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
from diffing.writers import FORMATS, cluster_captions, get_writer, pad, write_json, write_text

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
    "cluster_captions",
    "diff_drawings",
    "diff_files",
    "get_writer",
    "pad",
    "read_drawing",
    "sha256_file",
    "write_json",
    "write_markup_dxf",
    "write_text",
    "ADDED",
    "CHANGED",
    "REMOVED",
    "SetDiff",
    "UNCHANGED",
    "diff_entries",
    "diff_versions",
    "load_sheet_index",
    "sheet_entry",
]

_LAZY = {"ADDED", "CHANGED", "REMOVED", "SetDiff", "UNCHANGED", "diff_entries",
         "diff_versions", "load_sheet_index", "sheet_entry"}


def __getattr__(name: str) -> Any:
    """The store-backed API pulls in SQLAlchemy: import it only when asked for."""
    if name in _LAZY:
        from diffing import setdiff

        return getattr(setdiff, name)
    raise AttributeError(name)
