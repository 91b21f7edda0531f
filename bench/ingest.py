"""Ingest benchmarks: throughput, and ratios against a reference measured in the same run.

Sections (run all by default, or pick with ``--section``):

* ``blobs``: a large generated file is hashed with plain ``hashlib.sha256`` (the
  reference: no store can be faster than reading and hashing its input), then put into a
  :class:`LocalBlobStore` and an :class:`S3BlobStore` on a private SeaweedFS.  Target:
  put ÷ sha256 throughput ≥ 0.5.  For S3 a second reference, the bare SDK upload of the
  same file to the same server, separates our overhead from the server's speed.

Usage: ``python bench/ingest.py [--size-mib 512] [--section blobs] [--repeat 2]``.
New sections are functions ``bench_<name>(args) -> list[Row]`` added to ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20


@dataclass
class Row:
    section: str
    name: str
    seconds: float
    nbytes: int
    reference: float | None = None  # seconds of the reference on the same input

    @property
    def mb_s(self) -> float:
        return self.nbytes / MIB / self.seconds if self.seconds else float("inf")

    @property
    def ratio(self) -> float | None:
        """Throughput relative to the reference (1.0 = as fast as the reference)."""
        return self.reference / self.seconds if self.reference else None


def report(rows: list[Row]) -> None:
    print(f"{'section':<8} {'what':<34} {'MiB':>7} {'s':>8} {'MiB/s':>9} {'ratio':>7}")
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "ref"
        print(
            f"{r.section:<8} {r.name:<34} {r.nbytes / MIB:>7.0f} {r.seconds:>8.3f}"
            f" {r.mb_s:>9.1f} {ratio:>7}"
        )


def best_of(repeat: int, fn: Callable[[], object], reset: Callable[[], object] | None = None):
    """The fastest of ``repeat`` runs (seconds), calling ``reset`` before each run."""
    best = float("inf")
    for _ in range(repeat):
        if reset is not None:
            reset()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def make_file(directory: Path, size: int) -> Path:
    """``size`` random bytes (incompressible, unique per run so nothing is deduplicated)."""
    path = directory / "big.bin"
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 16 * MIB)
            f.write(os.urandom(n))
            left -= n
    return path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    buf = bytearray(MIB)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(view):
            h.update(view[:n])
    return h.hexdigest()


# -- section: blobs -------------------------------------------------------------------------


def bench_blobs(args: argparse.Namespace) -> list[Row]:
    from storage.blobs.local import LocalBlobStore
    from storage.blobs.s3 import S3BlobStore
    from storage.testing import SeaweedServer

    rows: list[Row] = []
    size = args.size_mib * MIB
    work = Path(tempfile.mkdtemp(prefix="yitaotu-bench-", dir=args.tmp))
    try:
        path = make_file(work, size)
        oid = sha256_file(path)  # warm the page cache: every contender reads from memory
        ref = best_of(args.repeat, lambda: sha256_file(path))
        rows.append(Row("blobs", "hashlib.sha256 (reference)", ref, size))

        local = LocalBlobStore(work / "objects")
        t = best_of(args.repeat, lambda: local.put_file(path), lambda: local.delete(oid))
        rows.append(Row("blobs", "LocalBlobStore.put_file", t, size, ref))
        t = best_of(args.repeat, lambda: local.put_file(path))
        rows.append(Row("blobs", "LocalBlobStore.put_file (dedup)", t, size, ref))
        t = best_of(args.repeat, lambda: local.verify(oid))
        rows.append(Row("blobs", "LocalBlobStore.verify", t, size, ref))
        local.delete(oid)

        with SeaweedServer(work / "seaweedfs") as server:
            s3 = S3BlobStore(
                "bench",
                endpoint=server.endpoint,
                access_key=server.access_key,
                secret_key=server.secret_key,
            )
            t = best_of(args.repeat, lambda: s3.put_file(path), lambda: s3.delete(oid))
            rows.append(Row("blobs", "S3BlobStore.put_file (SeaweedFS)", t, size, ref))
            raw = best_of(args.repeat, lambda: _raw_upload(s3, path, size))
            rows.append(Row("blobs", "  raw minio put_object, same server", raw, size, ref))
            rows.append(Row("blobs", "  S3 put vs raw upload (ref=raw)", t, size, raw))
            t = best_of(args.repeat, lambda: s3.put_file(path))
            rows.append(Row("blobs", "S3BlobStore.put_file (dedup)", t, size, ref))
            t = best_of(args.repeat, lambda: s3.verify(oid))
            rows.append(Row("blobs", "S3BlobStore.verify (download)", t, size, ref))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _raw_upload(s3, path: Path, size: int) -> None:
    """What the server alone costs: the SDK uploading the file, no hashing, no spool."""
    from storage.blobs.s3 import PARALLEL_PARTS, PART_SIZE

    with open(path, "rb") as f:
        s3.client.put_object(
            s3.bucket,
            "raw/big.bin",
            f,
            size,
            part_size=PART_SIZE if size > PART_SIZE else 0,
            num_parallel_uploads=PARALLEL_PARTS,
        )


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "blobs": bench_blobs,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS))
    parser.add_argument("--size-mib", type=int, default=512, help="size of the generated file")
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs")
    parser.add_argument("--tmp", default=None, help="where to generate data (default: $TMPDIR)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name in args.section or list(SECTIONS):
        rows.extend(SECTIONS[name](args))
    report(rows)


if __name__ == "__main__":
    main()
