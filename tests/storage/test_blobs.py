"""One contract, run against every BlobStore backend (local directory, SeaweedFS S3)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time

import pytest

from storage.blobs import EMPTY_ID, BlobStore, open_blob_store
from storage.blobs.local import LocalBlobStore
from storage.blobs.s3 import S3BlobStore
from storage.errors import InvalidInput, NotFound, ObjectCorrupt, StorageUnavailable

DATA = b"LINE\n0\nA-WALL\n" * 100


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ReadOnly:
    """A stream with only ``read`` (no ``readinto``), like some HTTP bodies."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._f.read(n)


class Exploding:
    """Yields ``good`` bytes, then fails like a dropped upload."""

    def __init__(self, good: bytes) -> None:
        self._f = io.BytesIO(good)

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        if not data:
            raise ConnectionResetError("client went away")
        return data


def corrupt_in_place(store: BlobStore, oid: str, data: bytes) -> None:
    """Replace the stored bytes of ``oid`` behind the store's back."""
    if isinstance(store, LocalBlobStore):
        path = store.path(oid)
        os.chmod(path, 0o644)
        path.write_bytes(data)
    else:
        assert isinstance(store, S3BlobStore)
        store.client.put_object(store.bucket, store.key(oid), io.BytesIO(data), len(data))


def leave_temp(store: BlobStore) -> None:
    """What an interrupted process leaves behind."""
    if isinstance(store, LocalBlobStore):
        (store.root / ".deadbeef.tmp").write_bytes(b"partial")
    else:
        assert isinstance(store, S3BlobStore)
        store.client.put_object(store.bucket, store._tmp + "deadbeef", io.BytesIO(b"p"), 1)


def test_is_a_blob_store(blob_store):
    assert isinstance(blob_store, BlobStore)
    assert blob_store.url.startswith(("file:///", "s3://"))


def test_put_returns_sha256_and_reads_back(blob_store, tmp_path):
    oid = blob_store.put(io.BytesIO(DATA))
    assert oid == sha(DATA)
    assert blob_store.has(oid)
    assert blob_store.size(oid) == len(DATA)
    assert blob_store.read_bytes(oid) == DATA
    assert blob_store.read_bytes(oid, verify=True) == DATA
    with blob_store.open(oid) as f:
        assert f.read(4) == b"LINE"
        f.seek(0)
        assert f.read() == DATA
    src = tmp_path / "a.dxf"
    src.write_bytes(DATA + b"x")
    assert blob_store.put_file(src) == sha(DATA + b"x")
    assert blob_store.put_bytes(b"abc") == sha(b"abc")


def test_put_deduplicates(blob_store):
    a = blob_store.put_bytes(DATA)
    b = blob_store.put(io.BytesIO(DATA))
    assert a == b
    assert list(blob_store.iter_ids()) == [a]
    assert blob_store.temp_entries() == []


def test_empty_stream_is_a_blob(blob_store):
    assert blob_store.put(io.BytesIO(b"")) == EMPTY_ID == sha(b"")
    assert blob_store.size(EMPTY_ID) == 0
    assert blob_store.read_bytes(EMPTY_ID, verify=True) == b""
    blob_store.verify(EMPTY_ID)


def test_multi_chunk_stream_without_readinto_and_progress(blob_store):
    data = os.urandom(3 * (1 << 20) + 17)
    seen: list[int] = []
    oid = blob_store.put(ReadOnly(data), progress=seen.append)
    assert oid == sha(data)
    assert seen == sorted(seen) and seen[-1] == len(data) and len(seen) >= 4
    with blob_store.open(oid, verify=True) as f:
        assert f.read() == data


def test_verify_detects_corruption(blob_store):
    oid = blob_store.put_bytes(DATA)
    blob_store.verify(oid)
    corrupt_in_place(blob_store, oid, b"other bytes")
    with pytest.raises(ObjectCorrupt, match=oid):
        blob_store.verify(oid)
    with pytest.raises(ObjectCorrupt, match=oid):
        blob_store.read_bytes(oid, verify=True)
    with pytest.raises(ObjectCorrupt, match=oid):
        blob_store.open(oid, verify=True)
    assert blob_store.read_bytes(oid) == b"other bytes"  # unverified reads are cheap


@pytest.mark.parametrize("limit", [0, 10, len(DATA) - 1])
def test_size_limit_leaves_nothing_behind(blob_store, limit):
    with pytest.raises(InvalidInput, match=str(limit)):
        blob_store.put(io.BytesIO(DATA), size_limit=limit)
    assert list(blob_store.iter_ids()) == []
    assert blob_store.temp_entries() == []
    assert blob_store.put(io.BytesIO(DATA), size_limit=len(DATA)) == sha(DATA)


def test_failing_stream_leaves_nothing_behind(blob_store):
    with pytest.raises(ConnectionResetError):
        blob_store.put(Exploding(DATA))
    assert list(blob_store.iter_ids()) == []
    assert blob_store.temp_entries() == []


@pytest.mark.parametrize("oid", [sha(b"never stored"), "abc", "../../etc/passwd", "A" * 64])
def test_missing_id(blob_store, oid):
    assert not blob_store.has(oid)
    for call in (blob_store.open, blob_store.read_bytes, blob_store.size, blob_store.verify):
        with pytest.raises(NotFound):
            call(oid)


def test_iter_ids_and_delete(blob_store):
    ids = {blob_store.put_bytes(f"sheet {i}".encode()) for i in range(5)}
    assert list(blob_store.iter_ids()) == sorted(ids)
    victim = sorted(ids)[0]
    blob_store.delete(victim)
    assert not blob_store.has(victim)
    blob_store.delete(victim)  # GC may race: deleting twice is fine
    assert set(blob_store.iter_ids()) == ids - {victim}
    assert blob_store.put_bytes(b"sheet 0") in ids  # and it can come back


def test_collect_keeps_young_blobs(blob_store):
    oid = blob_store.put_bytes(DATA)
    assert 0 <= blob_store.age(oid) < 60
    assert not blob_store.collect(oid, 3600)
    assert blob_store.has(oid)
    assert blob_store.collect(oid, 0)
    assert not blob_store.has(oid)
    assert not blob_store.collect(oid, 0)  # gone already: nothing to do
    assert blob_store.temp_entries() == []  # nothing left aside
    with pytest.raises(NotFound):
        blob_store.age(oid)


def test_put_again_refreshes_the_blob(blob_store):
    """A put of bytes already stored makes them young again: gc keeps what an ingest that
    found its file already stored is about to name."""
    oid = blob_store.put_bytes(DATA)
    time.sleep(2.2)
    assert blob_store.age(oid) >= 2.0
    assert blob_store.put_bytes(DATA) == oid
    assert blob_store.age(oid) < 1.5
    assert not blob_store.collect(oid, 2.0)
    assert blob_store.read_bytes(oid, verify=True) == DATA


def test_put_while_collect_removes_the_blob_keeps_it(blob_store, monkeypatch):
    """The race gc must survive: it has found the blob old and unreferenced, and before it
    is gone a put of the same bytes answers "already stored".  The blob must stay."""
    oid = blob_store.put_bytes(DATA)
    raced: list[str] = []

    def racing(real):
        def step(*args, **kwargs):
            if not raced:
                raced.append(blob_store.put_bytes(DATA))  # finds it stored, refreshes it
            return real(*args, **kwargs)

        return step

    if isinstance(blob_store, LocalBlobStore):
        import storage.blobs.local as local

        monkeypatch.setattr(local.os, "rename", racing(os.rename))
    else:
        monkeypatch.setattr(blob_store.client, "copy_object", racing(blob_store.client.copy_object))
    assert not blob_store.collect(oid, 0)
    assert raced == [oid]
    assert blob_store.read_bytes(oid, verify=True) == DATA
    assert blob_store.temp_entries() == []


def test_temp_entries_are_listed_and_cleaned(blob_store):
    blob_store.put_bytes(DATA)
    leave_temp(blob_store)
    assert len(blob_store.temp_entries()) == 1
    assert blob_store.clean_temp(older_than_s=3600) == 0
    assert blob_store.clean_temp() == 1
    assert blob_store.temp_entries() == []
    assert list(blob_store.iter_ids()) == [sha(DATA)]


def test_local_layout_is_fanned_out_and_read_only(tmp_path):
    store = open_blob_store((tmp_path / "objects").as_uri())
    oid = store.put_bytes(DATA)
    path = tmp_path / "objects" / oid[:2] / oid[2:]
    assert path.read_bytes() == DATA
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert sorted(p.name for p in (tmp_path / "objects").iterdir()) == [oid[:2]]


def test_local_store_accepts_plain_absolute_path(tmp_path):
    store = open_blob_store(str(tmp_path / "x"))
    assert store.url == (tmp_path / "x").as_uri()


@pytest.mark.parametrize(
    "url",
    ["", "ftp://host/dir", "file://otherhost/dir", "relative/dir", "s3://bucket"],
)
def test_bad_urls(url):
    with pytest.raises(InvalidInput):
        open_blob_store(url)


def test_put_file_missing(blob_store, tmp_path):
    with pytest.raises(NotFound, match="nope.dxf"):
        blob_store.put_file(tmp_path / "nope.dxf")


def test_concurrent_puts_of_the_same_bytes(blob_store):
    from concurrent.futures import ThreadPoolExecutor

    data = os.urandom(1 << 20)
    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(lambda _: blob_store.put_bytes(data), range(8)))
    assert ids == {sha(data)}
    assert list(blob_store.iter_ids()) == [sha(data)]
    assert blob_store.read_bytes(sha(data), verify=True) == data
    assert blob_store.temp_entries() == []


def test_local_put_into_a_vanished_directory_is_unavailable(tmp_path):
    import shutil

    root = tmp_path / "objects"
    store = open_blob_store(root.as_uri())
    shutil.rmtree(root)
    with pytest.raises(StorageUnavailable, match=str(root)):
        store.put_bytes(DATA)


def test_any_bytes_any_chunking_round_trip(tmp_path_factory):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    store = open_blob_store((tmp_path_factory.mktemp("prop") / "objects").as_uri())

    class Chunked:
        def __init__(self, data: bytes, sizes: list[int]) -> None:
            self.f, self.sizes = io.BytesIO(data), sizes or [1]

        def read(self, n: int = -1) -> bytes:  # short reads of arbitrary sizes
            size = self.sizes[self.f.tell() % len(self.sizes)]
            return self.f.read(min(n, size))

    @settings(max_examples=60, deadline=None)
    @given(st.binary(max_size=5000), st.lists(st.integers(1, 700), max_size=5))
    def check(data: bytes, sizes: list[int]) -> None:
        oid = store.put(Chunked(data, sizes))
        assert oid == sha(data)
        assert store.read_bytes(oid, verify=True) == data

    check()
    assert store.temp_entries() == []
