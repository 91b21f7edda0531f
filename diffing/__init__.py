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
- BIM models (#18): :func:`diff_models` (two element indexes) -> :class:`ModelDiff` of
  :class:`ElementChange`, :func:`write_model_text` / :func:`write_model_json`,
  :data:`MODEL_ENGINE_VERSION` (``yitaotu-ifcdiff/1``); through the store
  :func:`diff_model_entries`, :func:`load_model_index`
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
from diffing.modeldiff import ENGINE_VERSION as MODEL_ENGINE_VERSION
from diffing.modeldiff import ElementChange, ModelDiff, diff_models, read_model_file
from diffing.modeldiff import write_json as write_model_json
from diffing.modeldiff import write_text as write_model_text
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
    "MODEL_ENGINE_VERSION",
    "ElementChange",
    "ModelDiff",
    "diff_models",
    "read_model_file",
    "write_model_json",
    "write_model_text",
    "diff_model_entries",
    "load_model_index",
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
         "diff_versions", "load_sheet_index", "sheet_entry", "diff_model_entries",
         "load_model_index"}


def __getattr__(name: str) -> Any:
    """The store-backed API pulls in SQLAlchemy: import it only when asked for."""
    if name in _LAZY:
        from diffing import setdiff

        return getattr(setdiff, name)
    raise AttributeError(name)
