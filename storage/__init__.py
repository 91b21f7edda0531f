"""Content-addressed blobs, the database engine and migrations runner.

Imports none of our other packages (see ../shared/design.md §1).
"""

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
]
