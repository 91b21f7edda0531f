"""S3 specifics: bucket creation, and a server that goes away (real SeaweedFS, stopped)."""

from __future__ import annotations

import io
import os
import secrets

import pytest

from storage.blobs import open_blob_store
from storage.errors import InvalidInput, StorageUnavailable
from storage.testing import free_ports


def s3_store(server, bucket: str, prefix: str = ""):
    return open_blob_store(
        server.url(bucket, prefix),
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
    )


def test_bucket_is_created_and_prefixes_are_separate(seaweedfs):
    bucket = f"new-{secrets.token_hex(4)}"
    a = s3_store(seaweedfs, bucket, "a")
    b = s3_store(seaweedfs, bucket, "b")
    oid = a.put_bytes(b"in a")
    assert a.client.bucket_exists(bucket)
    assert not b.has(oid) and list(b.iter_ids()) == []
    assert s3_store(seaweedfs, bucket).url == f"s3://{bucket}"
    assert list(s3_store(seaweedfs, bucket, "a/").iter_ids()) == [oid]


def test_endpoint_with_scheme(seaweedfs):
    store = open_blob_store(
        seaweedfs.url("yitaotu-test", "scheme"), endpoint=f"http://{seaweedfs.endpoint}"
    )
    assert store.put_bytes(b"x")


def test_invalid_bucket_name(seaweedfs):
    with pytest.raises(InvalidInput, match="bucket"):
        s3_store(seaweedfs, "X")


def test_nobody_listening():
    (port,) = free_ports(1)
    with pytest.raises(StorageUnavailable, match=f"127.0.0.1:{port}"):
        open_blob_store("s3://bucket", endpoint=f"127.0.0.1:{port}")


class StopsServer:
    """An upload body that stops the server after the first megabytes have been read."""

    def __init__(self, server, data: bytes) -> None:
        self.server = server
        self.f = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        if self.f.tell() >= 2 << 20 and self.server.proc is not None:
            self.server.stop(term_timeout=0)
        return self.f.read(n)


def test_server_stopped_mid_put_then_every_call_is_unavailable(seaweedfs_factory):
    server = seaweedfs_factory()
    store = s3_store(server, "ingest")
    kept = store.put_bytes(b"before the outage")
    data = os.urandom(5 << 20)
    with pytest.raises(StorageUnavailable, match="unreachable"):
        store.put(StopsServer(server, data))
    for call in (store.has, store.read_bytes, store.open, store.size, store.verify, store.delete):
        with pytest.raises(StorageUnavailable):
            call(kept)
    with pytest.raises(StorageUnavailable):
        store.put_bytes(b"during the outage")
    with pytest.raises(StorageUnavailable):
        list(store.iter_ids())
    with pytest.raises(StorageUnavailable):
        store.temp_entries()

    # Back up on the same data: the interrupted blob is not there, the earlier one is.
    server.start()
    store = s3_store(server, "ingest")
    assert list(store.iter_ids()) == [kept]
    assert store.read_bytes(kept, verify=True) == b"before the outage"


def test_interrupted_multipart_upload_is_a_temp_entry(seaweedfs):
    store = s3_store(seaweedfs, "yitaotu-test", secrets.token_hex(6))
    oid = "a" * 64
    upload_id = store.client._create_multipart_upload(store.bucket, store.key(oid), {})
    assert store.temp_entries() == [f"upload:objects/{oid}:{upload_id}"]
    assert list(store.iter_ids()) == [] and not store.has(oid)
    assert store.clean_temp(older_than_s=3600) == 0
    assert store.clean_temp() == 1
    assert store.temp_entries() == []
