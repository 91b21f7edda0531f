"""Blobs in an S3 bucket (any S3 server; tests use SeaweedFS) through the minio SDK.

The key is the hash, which is only known at the end of the stream, so a put first
spools the bytes to a private temp file while hashing (memory for small files, disk
beyond), asks the server whether the object exists (dedup), then uploads it under
``<prefix>/objects/<oid>`` in one PUT or a multipart upload.  S3 makes an object
visible only when the upload completes, so an interrupted put never leaves a partial
object under ``objects/``; at worst an incomplete multipart upload, which
:meth:`S3BlobStore.temp_entries` lists and :meth:`S3BlobStore.clean_temp` aborts.
Reads are spooled the same way, so :meth:`open` returns a seekable file and network
failures surface there as :class:`StorageUnavailable`, not in the middle of a parser.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.error import MinioException, S3Error

from storage.blobs.common import (
    CHUNK,
    NO_CREDENTIALS,
    PutHelpers,
    check_oid,
    copy_hashing,
    corrupt,
    is_oid,
)
from storage.display import redact_url
from storage.errors import InvalidInput, NotFound, StorageUnavailable

#: Up to this many bytes a spooled blob stays in memory.
SPOOL_MEMORY = 16 << 20
#: Multipart part size: large parts keep the request count (and its overhead) low.
PART_SIZE = 64 << 20
#: Parts uploaded at once.
PARALLEL_PARTS = 4

_MISSING_CODES = {"NoSuchKey", "NoSuchObject", "NoSuchVersion"}


def _split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    if redact_url(endpoint) != endpoint:
        raise InvalidInput(f"S3 endpoint {redact_url(endpoint)!r}: {NO_CREDENTIALS}")
    if endpoint.startswith("https://"):
        return endpoint.removeprefix("https://").rstrip("/"), True
    if endpoint.startswith("http://"):
        return endpoint.removeprefix("http://").rstrip("/"), False
    return endpoint.rstrip("/"), secure


class S3BlobStore(PutHelpers):
    """A content-addressed prefix of an S3 bucket; the bucket is created if missing."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        secure: bool = False,
        region: str = "us-east-1",
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
    ) -> None:
        host, secure = _split_endpoint(endpoint, secure)
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = host
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        base = f"{self.prefix}/" if self.prefix else ""
        self._objects = f"{base}objects/"
        self._tmp = f"{base}tmp/"
        #: ``fresh/<oid>``: a small object (new random content, so a new ETag, each time) put
        #: when bytes already stored are put again, so ``gc`` sees the blob as young and
        #: notices a put racing it (S3 cannot touch an object's own time).
        self._fresh = f"{base}fresh/"
        # Few, quick retries: a stopped server should be reported in seconds, not minutes.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            retries=urllib3.Retry(
                total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)
            ),
            maxsize=PARALLEL_PARTS + 2,
        )
        try:
            self.client = Minio(
                host,
                access_key=access_key or "",
                secret_key=secret_key or "",
                secure=secure,
                region=region,
                http_client=http,
            )
        except ValueError as e:
            raise InvalidInput(f"S3 endpoint {redact_url(endpoint)!r}: {e}") from e
        self._ensure_bucket()

    def __repr__(self) -> str:
        return f"S3BlobStore({self.url!r}, endpoint={self.endpoint!r})"

    def key(self, oid: str) -> str:
        return self._objects + check_oid(oid)

    # -- writing ---------------------------------------------------------------------------

    def put(
        self,
        stream: BinaryIO,
        *,
        size_limit: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        if size_limit is not None and size_limit < 0:
            raise InvalidInput("size_limit must be >= 0")
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:

            def write(chunk: memoryview) -> None:
                try:
                    spool.write(chunk)
                except OSError as e:  # the local temp space, e.g. a full disk
                    raise StorageUnavailable(
                        f"temp space for the S3 upload ({tempfile.gettempdir()}): {e}"
                    ) from e

            oid, size = copy_hashing(stream, write, size_limit=size_limit, progress=progress)
            if self.has(oid):
                self._refresh(oid)
                if self.has(oid):  # else gc took it meanwhile: store it anew
                    return oid
            spool.seek(0)
            with self._errors(f"upload of {oid}"):
                self.client.put_object(
                    self.bucket,
                    self._objects + oid,
                    spool,  # type: ignore[arg-type]
                    size,
                    part_size=PART_SIZE if size > PART_SIZE else 0,
                    num_parallel_uploads=PARALLEL_PARTS,
                )
        return oid

    # -- reading ---------------------------------------------------------------------------

    def _download(self, oid: str, sink: Callable[[memoryview], object]) -> str:
        """Stream the object into ``sink``; return the sha256 of what arrived."""
        key = self.key(oid)
        with self._errors(f"download of {oid}", missing=oid):
            response = self.client.get_object(self.bucket, key)
            try:
                actual, _ = copy_hashing(_Reader(response), sink)
            finally:
                response.close()
                response.release_conn()
        return actual

    def open(self, oid: str, *, verify: bool = False) -> BinaryIO:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115
        try:
            actual = self._download(oid, spool.write)
            if verify and actual != oid:
                raise corrupt(oid, self.url, actual)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def read_bytes(self, oid: str, *, verify: bool = False) -> bytes:
        buf = io.BytesIO()
        actual = self._download(oid, buf.write)
        if verify and actual != oid:
            raise corrupt(oid, self.url, actual)
        return buf.getvalue()

    def has(self, oid: str) -> bool:
        if not is_oid(oid):
            return False
        try:
            self.size(oid)
        except NotFound:
            return False
        return True

    def size(self, oid: str) -> int:
        key = self.key(oid)
        with self._errors(f"stat of {oid}", missing=oid):
            return int(self.client.stat_object(self.bucket, key).size or 0)

    def iter_ids(self) -> Iterator[str]:
        with self._errors("listing"):
            names = [
                o.object_name
                for o in self.client.list_objects(self.bucket, prefix=self._objects, recursive=True)
            ]
        for name in sorted(n for n in names if n):
            oid = name[len(self._objects) :]
            if is_oid(oid):
                yield oid

    def verify(self, oid: str) -> None:
        actual = self._download(oid, lambda _chunk: None)
        if actual != oid:
            raise corrupt(oid, self.url, actual)

    # -- maintenance -----------------------------------------------------------------------

    def delete(self, oid: str) -> None:
        key = self.key(oid)
        with self._errors(f"delete of {oid}"):
            self.client.remove_object(self.bucket, key)

    def age(self, oid: str) -> float:
        with self._errors(f"stat of {oid}", missing=oid):
            stored = self.client.stat_object(self.bucket, self.key(oid)).last_modified
        mark = self._mark(oid)
        times = [t for t in (stored, mark.last_modified if mark else None) if t is not None]
        return time.time() - max(t.timestamp() for t in times) if times else 0.0

    def collect(self, oid: str, grace_s: float) -> bool:
        try:
            if self.age(oid) < grace_s:
                return False
        except NotFound:
            return False
        before = self._etag_of_mark(oid)
        key, aside = self.key(oid), f"{self._tmp}gc-{oid}-{secrets.token_hex(4)}"
        # Copied aside first (a temp object: a crash leaves a leftover, not a loss); a put
        # that refreshed the blob while it was being removed wins and it is copied back.
        with self._errors(f"removal of {oid}"):
            self.client.copy_object(self.bucket, aside, CopySource(self.bucket, key))
            self.client.remove_object(self.bucket, key)
            kept = self._etag_of_mark(oid) != before
            if kept and not self.has(oid):
                self.client.copy_object(self.bucket, key, CopySource(self.bucket, aside))
            self.client.remove_object(self.bucket, aside)
            if not kept:
                self.client.remove_object(self.bucket, self._fresh + oid)
        return not kept

    def _refresh(self, oid: str) -> None:
        token = secrets.token_bytes(16)  # a new ETag each time, even within one second
        with self._errors(f"refresh of {oid}"):
            self.client.put_object(self.bucket, self._fresh + oid, io.BytesIO(token), len(token))

    def _mark(self, oid: str):
        """The refresh mark of ``oid`` (its stat), None if the blob was never put again."""
        with self._errors(f"stat of {oid}"):
            try:
                return self.client.stat_object(self.bucket, self._fresh + oid)
            except S3Error as e:
                if e.code in _MISSING_CODES:
                    return None
                raise

    def _etag_of_mark(self, oid: str) -> str | None:
        mark = self._mark(oid)
        return mark.etag if mark else None

    def _temp(self) -> list[tuple[str, float, Callable[[], None]]]:
        """(name, age in seconds, remover) of every leftover under this store's prefix.

        Names are relative to the prefix: ``tmp/<key>`` objects and, for interrupted
        multipart uploads, ``upload:objects/<oid>:<upload id>``.
        """
        now = time.time()
        found: list[tuple[str, float, Callable[[], None]]] = []
        with self._errors("listing of temp entries"):
            base = self._objects.removesuffix("objects/")
            for o in self.client.list_objects(self.bucket, prefix=self._tmp, recursive=True):
                name = o.object_name or ""
                age = now - o.last_modified.timestamp() if o.last_modified else now
                found.append(
                    (
                        name.removeprefix(base),
                        age,
                        lambda n=name: self.client.remove_object(self.bucket, n),
                    )
                )
            with contextlib.suppress(S3Error):  # servers without ListMultipartUploads
                result = self.client._list_multipart_uploads(self.bucket, prefix=base)
                for up in result.uploads:
                    name, upload_id = up.object_name, up.upload_id
                    if not name or not upload_id:
                        continue
                    started = up.initiated_time.timestamp() if up.initiated_time else 0.0
                    found.append(
                        (
                            f"upload:{name.removeprefix(base)}:{upload_id}",
                            now - started,
                            lambda n=name, u=upload_id: self.client._abort_multipart_upload(
                                self.bucket, n, u
                            ),
                        )
                    )
        return found

    def temp_entries(self) -> list[str]:
        return sorted(name for name, _age, _rm in self._temp())

    def clean_temp(self, older_than_s: float = 0) -> int:
        removed = 0
        for name, age, remove in self._temp():
            if age >= older_than_s:
                with self._errors(f"removal of {name}"):
                    remove()
                removed += 1
        now = time.time()
        with self._errors("expiry of refresh marks"):  # old marks protect nothing any more
            for o in self.client.list_objects(self.bucket, prefix=self._fresh, recursive=True):
                if (
                    o.object_name
                    and o.last_modified
                    and (now - o.last_modified.timestamp() >= older_than_s)
                ):
                    self.client.remove_object(self.bucket, o.object_name)
        return removed

    # -- plumbing --------------------------------------------------------------------------

    def _ensure_bucket(self) -> None:
        with self._errors(f"bucket {self.bucket}"):
            try:
                if not self.client.bucket_exists(self.bucket):
                    self.client.make_bucket(self.bucket)
            except S3Error as e:
                if e.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            except ValueError as e:
                raise InvalidInput(f"blob store URL {self.url!r}: {e}") from e

    @contextlib.contextmanager
    def _errors(self, what: str, *, missing: str | None = None) -> Iterator[None]:
        """Turn SDK and network errors into our hierarchy, naming the server."""
        try:
            yield
        except S3Error as e:
            if missing is not None and e.code in _MISSING_CODES:
                raise NotFound(f"blob {missing} not found in {self.url} / 对象不存在") from e
            raise StorageUnavailable(
                f"S3 {self.endpoint} ({self.url}) {what} failed: {e.code}: {e.message}"
                " / 对象存储操作失败"
            ) from e
        except (MinioException, urllib3.exceptions.HTTPError) as e:
            raise self._unavailable(what, e) from e
        except OSError as e:
            if isinstance(e, StorageUnavailable):
                raise
            raise self._unavailable(what, e) from e

    def _unavailable(self, what: str, e: Exception) -> StorageUnavailable:
        reason = type(e).__name__
        if isinstance(e, urllib3.exceptions.MaxRetryError) and e.reason is not None:
            reason = type(e.reason).__name__
        return StorageUnavailable(
            f"S3 server {self.endpoint} unreachable during {what} ({reason}) / 对象存储不可用"
        )


class _Reader:
    """``readinto`` over a urllib3 response, reading in CHUNK pieces."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def readinto(self, view: memoryview) -> int:
        data = self._response.read(min(len(view), CHUNK))
        view[: len(data)] = data
        return len(data)
