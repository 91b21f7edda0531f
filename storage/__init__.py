"""Content-addressed blobs, the database engine and migrations runner.

Imports none of our other packages (see ../shared/design.md §1).  Service API:
``open_blob_store``/``BlobStore`` (:mod:`storage.blobs`), ``Base``/``make_engine``/
``session_factory``/``transaction`` (:mod:`storage.db`), ``upgrade``/``current``/``head``
(:mod:`storage.migrate`), ``db_int``/``finite`` (:mod:`storage.numbers`: numbers a column can
hold), ``printable``/``printable_json`` (:mod:`storage.terminal`: text safe to show).
Those load lazily so that importing ``storage.errors`` (the CLI does at start) stays cheap.
"""

from importlib import import_module

from storage.errors import (
    AmbiguousId,
    Conflict,
    FileFormatError,
    IntegrityError,
    InvalidInput,
    NotFound,
    ObjectCorrupt,
    StorageUnavailable,
    YitaotuError,
)

_LAZY = {
    "BlobStore": "storage.blobs",
    "LocalBlobStore": "storage.blobs",
    "S3BlobStore": "storage.blobs",
    "open_blob_store": "storage.blobs",
    "EMPTY_ID": "storage.blobs",
    "Base": "storage.db",
    "make_engine": "storage.db",
    "session_factory": "storage.db",
    "transaction": "storage.db",
    "upgrade": "storage.migrate",
    "current": "storage.migrate",
    "head": "storage.migrate",
    "db_int": "storage.numbers",
    "finite": "storage.numbers",
    "printable": "storage.terminal",
    "printable_json": "storage.terminal",
    "database_now": "storage.db",
    "sqlite_file": "storage.db",
    "quote": "storage.display",
    "clip": "storage.display",
    "display_path": "storage.display",
    "redact_url": "storage.display",
}

#: Modules other packages may import by name: each is one service area of storage (its
#: internals, e.g. ``storage.blobs.local``, stay behind them).
PUBLIC_MODULES = ("errors", "db", "blobs", "migrate", "numbers", "terminal", "display", "limits")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in PUBLIC_MODULES:
        return import_module(f"storage.{name}")
    raise AttributeError(f"module 'storage' has no attribute {name!r}")


__all__ = [
    "AmbiguousId",
    "Conflict",
    "FileFormatError",
    "IntegrityError",
    "InvalidInput",
    "NotFound",
    "ObjectCorrupt",
    "StorageUnavailable",
    "YitaotuError",
    *_LAZY,
    *PUBLIC_MODULES,
]
