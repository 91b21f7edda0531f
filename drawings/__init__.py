"""drawings: sheet formats (DXF, DWG, PDF) into the neutral model, the set registry, rendering.

Public API — other packages use only these names and modules:

- reading: :func:`read`, :func:`detect_format` (:class:`FormatInfo`, ``HEAD_SIZE``,
  ``TAIL_SIZE``, :func:`file_error`), :func:`check_complete` (truncated files),
  :func:`open_regular` and :class:`UploadLimits` (a drawing file on disk, never a FIFO or device,
  within the size limit), :class:`UploadRefused` (every refused file of an upload, each
  named), :data:`READER_VERSION`, :func:`paused_gc` (bulk work on big sheets),
  :func:`read_pair_shared` / :class:`NotApplicable` (two revisions of one DXF read together),
  :func:`font_name` / :func:`style_signatures` (what text styles mean, for the diff);
- ingest: :func:`ingest_upload` (what the CLI and the web run), :func:`ingest`, :func:`stage`,
  :func:`record`, :func:`check_version_fields`, :func:`load_mapping`, :class:`IngestResult`;
- maintenance: :func:`verify`, :func:`fsck`, :func:`gc`, :func:`export_version`,
  :func:`register_blob_references` (upper layers name the blobs their rows hold);
- BIM models (#18): :func:`read_model` (IFC bytes -> element index with header facts),
  :func:`open_model` (IFC bytes -> ``ifcopenshell.file``), :data:`MODEL_READER_VERSION`,
  :func:`is_model_entry` (a manifest entry that is a model), :func:`unit_footprint_from_model`
  (a building unit's footprint from its georeferenced model); module :mod:`modelindex`;
- :data:`PARTY_ROLES` (the roles a party of a project can have);
- modules: :mod:`registry` (projects, parties, units, versions, refs: the set registry
  service), :mod:`model` (the neutral sheet model), :mod:`models` (its tables, for foreign
  keys), :mod:`render`, :mod:`index` (the fingerprint index kept per blob), :mod:`geo`
  (sites and footprints on the map, 落图, spatial queries; issue #14).

The registry, ingest, maintenance and rendering are loaded on first use (SQLAlchemy, PyMuPDF).
"""

from importlib import import_module

from drawings import index as index
from drawings.detect import FormatInfo as FormatInfo
from drawings.detect import check_complete as check_complete
from drawings.detect import detect_format as detect_format
from drawings.gcpause import paused_gc as paused_gc
from drawings.readers import READER_VERSION as READER_VERSION
from drawings.readers import read as read
from drawings.sources import UploadLimits as UploadLimits
from drawings.sources import UploadRefused as UploadRefused
from drawings.sources import open_regular as open_regular

_LAZY = {
    "HEAD_SIZE": "drawings.detect",
    "TAIL_SIZE": "drawings.detect",
    "file_error": "drawings.detect",
    "NotApplicable": "drawings.readers.pair",
    "read_pair_shared": "drawings.readers.pair",
    "font_name": "drawings.readers.common",
    "style_signatures": "drawings.readers.common",
    "IngestResult": "drawings.ingest",
    "check_version_fields": "drawings.ingest",
    "ingest": "drawings.ingest",
    "ingest_upload": "drawings.ingest",
    "load_mapping": "drawings.ingest",
    "record": "drawings.ingest",
    "stage": "drawings.ingest",
    "PARTY_ROLES": "drawings.models",
    "read_model": "drawings.ifcread",
    "open_model": "drawings.ifcread",
    "MODEL_READER_VERSION": "drawings.ifcread",
    "is_model_entry": "drawings.registry",
    "unit_footprint_from_model": "drawings.ifcunit",
    "export_version": "drawings.maintenance",
    "fsck": "drawings.maintenance",
    "gc": "drawings.maintenance",
    "register_blob_references": "drawings.maintenance",
    "verify": "drawings.maintenance",
}

#: Modules other packages may import by name (the rest are this package's own business).
PUBLIC_MODULES = ("registry", "model", "models", "render", "index", "geo", "modelindex")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in PUBLIC_MODULES:
        return import_module(f"drawings.{name}")
    raise AttributeError(f"module 'drawings' has no attribute {name!r}")


__all__ = [
    "READER_VERSION",
    "FormatInfo",
    "UploadLimits",
    "UploadRefused",
    "check_complete",
    "detect_format",
    "open_regular",
    "paused_gc",
    "read",
    *_LAZY,
    *PUBLIC_MODULES,
]
