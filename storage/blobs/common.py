"""Helpers shared by the blob backends: id checks and the hash-while-copying loop."""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable
from typing import BinaryIO

from storage.display import quote
from storage.errors import InvalidInput, NotFound, ObjectCorrupt

#: Bytes moved per read; big enough that the Python loop costs little next to sha256.
CHUNK = 1 << 20

#: sha256 of zero bytes: the empty blob is a legal blob.
EMPTY_ID = hashlib.sha256(b"").hexdigest()
#: Why a URL or endpoint with ``user:secret@`` is refused (messages never repeat the secret).
NO_CREDENTIALS = (
    "no credentials in URLs / 地址中不能含密钥: use YITAOTU_S3_ACCESS_KEY and YITAOTU_S3_SECRET_KEY"
)

_OID = re.compile(r"[0-9a-f]{64}")


def is_oid(value: object) -> bool:
    """True for a full lower-case sha256 hex id."""
    return isinstance(value, str) and _OID.fullmatch(value) is not None


def check_oid(oid: str) -> str:
    """Return ``oid`` or raise :class:`NotFound` (a malformed id names no blob)."""
    if not is_oid(oid):
        raise NotFound(f"blob {quote(oid)} not found: not a sha256 id / 不是有效的对象编号")
    return oid


def too_large(size_limit: int) -> InvalidInput:
    return InvalidInput(
        f"file larger than the limit of {size_limit} bytes / 文件超过大小上限 {size_limit} 字节"
    )


def copy_hashing(
    src: BinaryIO,
    write: Callable[[memoryview], object],
    *,
    size_limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, int]:
    """Copy ``src`` through ``write`` while hashing; return (sha256 hex, size).

    Raises :class:`InvalidInput` as soon as more than ``size_limit`` bytes arrive, so a
    caller can drop what it wrote without having read the whole stream.
    """
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    readinto = getattr(src, "readinto", None)
    while True:
        if readinto is not None:
            n = readinto(view)
            if not n:
                break
            chunk = view[:n]
        else:
            data = src.read(CHUNK)
            if not data:
                break
            chunk = memoryview(data)
            n = len(data)
        total += n
        if size_limit is not None and total > size_limit:
            raise too_large(size_limit)
        h.update(chunk)
        write(chunk)
        if progress is not None:
            progress(total)
    return h.hexdigest(), total


def hash_stream(src: BinaryIO) -> tuple[str, int]:
    return copy_hashing(src, lambda _chunk: None)


def corrupt(oid: str, where: str, actual: str) -> ObjectCorrupt:
    return ObjectCorrupt(
        f"blob {oid} is corrupt: its bytes hash to {actual} ({where}) / 对象 {oid} 已损坏"
    )


class PutHelpers:
    """``put_bytes``/``put_file`` for any store that implements ``put(stream, **kw)``."""

    def put(self, stream: BinaryIO, **kw) -> str:  # pragma: no cover - provided by the store
        raise NotImplementedError

    def put_bytes(self, data: bytes) -> str:
        return self.put(io.BytesIO(data))

    def put_file(self, path: str | os.PathLike, **kw) -> str:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError as e:
            raise NotFound(f"{path}: no such file / 文件不存在") from e
        except OSError as e:
            raise InvalidInput(f"{path}: cannot read ({e.strerror or e})") from e
        with f:
            return self.put(f, **kw)
