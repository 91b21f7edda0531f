"""Content-addressed blob stores: the id of a blob is the sha256 hex of its bytes.

Two backends share one protocol so callers never care where bytes live:
:class:`~storage.blobs.local.LocalBlobStore` (``file:///abs/dir``, the default) and
:class:`~storage.blobs.s3.S3BlobStore` (``s3://bucket[/prefix]`` on any S3 server).
Identical bytes are stored once; an object becomes visible only when complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from storage.blobs.common import EMPTY_ID, NO_CREDENTIALS, is_oid
from storage.display import redact_url
from storage.errors import InvalidInput


@runtime_checkable
class BlobStore(Protocol):
    """What every blob backend offers (design §3)."""

    url: str

    def put(
        self,
        stream: BinaryIO,
        *,
        size_limit: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        """Store the stream's bytes; return their sha256 hex (deduplicated)."""
        ...

    def put_bytes(self, data: bytes) -> str: ...

    def put_file(self, path: str | os.PathLike, **kw) -> str: ...

    def open(self, oid: str, *, verify: bool = False) -> BinaryIO:
        """A readable (seekable) binary file; :class:`NotFound` if absent."""
        ...

    def read_bytes(self, oid: str, *, verify: bool = False) -> bytes: ...

    def has(self, oid: str) -> bool: ...

    def size(self, oid: str) -> int: ...

    def iter_ids(self) -> Iterator[str]: ...

    def delete(self, oid: str) -> None:
        """Remove a blob at once (tests, benchmarks); a missing id is not an error."""
        ...

    def age(self, oid: str) -> float:
        """Seconds since the blob was last stored, or put again (a put of bytes already
        stored refreshes them); :class:`NotFound` if absent."""
        ...

    def collect(self, oid: str, grace_s: float) -> bool:
        """Remove an unreferenced blob unless it was stored within ``grace_s`` seconds;
        whether it was removed.  Safe against a concurrent put of the same bytes: that put
        either refreshes the blob first (so it stays) or stores it anew."""
        ...

    def verify(self, oid: str) -> None:
        """Re-hash the stored bytes; :class:`ObjectCorrupt` naming the id on mismatch."""
        ...

    def temp_entries(self) -> list[str]:
        """Leftovers of interrupted puts (for fsck)."""
        ...

    def clean_temp(self, older_than_s: float = 0) -> int:
        """Remove temp leftovers older than ``older_than_s`` seconds; return how many."""
        ...


def open_blob_store(
    url: str,
    *,
    endpoint: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    secure: bool = False,
    create: bool = True,
) -> BlobStore:
    """Open the store behind ``url`` (``file:///abs/dir`` or ``s3://bucket[/prefix]``).

    A local directory is created if missing (unless ``create`` is false: then its absence is
    :class:`StorageUnavailable`); an S3 bucket too (``endpoint`` is ``host:port`` or
    ``http(s)://host:port``).
    """
    if not isinstance(url, str) or not url:
        raise InvalidInput("blob store URL is empty / 对象存储地址为空")
    shown = repr(redact_url(url))
    parts = urlsplit(url)
    if parts.scheme == "file" or (not parts.scheme and url.startswith("/")):
        if parts.scheme and parts.netloc not in ("", "localhost"):
            raise InvalidInput(f"blob store URL {shown}: remote file URLs are not supported")
        path = Path(unquote(parts.path) if parts.scheme else url)
        if not path.is_absolute():
            raise InvalidInput(f"blob store URL {shown}: the directory must be absolute")
        from storage.blobs.local import LocalBlobStore

        return LocalBlobStore(path, create=create)
    if parts.scheme == "s3":
        if "@" in parts.netloc:
            raise InvalidInput(f"blob store URL {shown}: {NO_CREDENTIALS}")
        if not endpoint:
            raise InvalidInput(f"blob store URL {shown}: an S3 endpoint is required")
        from storage.blobs.s3 import S3BlobStore

        return S3BlobStore(
            parts.netloc,
            parts.path.strip("/"),
            endpoint=endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
        )
    raise InvalidInput(f"blob store URL {shown}: expected file:///dir or s3://bucket[/prefix]")


def __getattr__(name: str) -> object:
    # Backends load lazily: the minio SDK is only imported by those who use S3.
    if name == "LocalBlobStore":
        from storage.blobs.local import LocalBlobStore

        return LocalBlobStore
    if name == "S3BlobStore":
        from storage.blobs.s3 import S3BlobStore

        return S3BlobStore
    raise AttributeError(name)


__all__ = ["EMPTY_ID", "BlobStore", "LocalBlobStore", "S3BlobStore", "is_oid", "open_blob_store"]
