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


# -- section: ingest (the registry's ingest) -----------------------------------------------------


def _make_sheet_set(directory: Path, sheets: int, entities: int) -> list[Path]:
    """``sheets`` DXF sheets named ``A-NNN <title>.dxf``, each with ``entities`` entities."""
    import ezdxf

    files = []
    for i in range(sheets):
        doc = ezdxf.new("R2013", setup=False)
        msp = doc.modelspace()
        for k in range(entities):
            x, y = (k % 50) * 100 + i, (k // 50) * 100
            if k % 3 == 0:
                msp.add_line((x, y), (x + 80, y + 40), dxfattribs={"layer": "A-WALL"})
            elif k % 3 == 1:
                msp.add_circle((x, y), 20, dxfattribs={"layer": "A-COLS"})
            else:
                msp.add_text(f"T{i}-{k}", dxfattribs={"insert": (x, y), "height": 5})
        path = directory / f"A-{i + 1:03d} 平面图{i + 1}.dxf"
        doc.saveas(path)
        files.append(path)
    return files


def bench_ingest(args: argparse.Namespace) -> list[Row]:
    """A 100-sheet set through ``drawings.ingest`` (read, index, store, one transaction)
    against ``ezdxf.readfile`` of the same files (reference: parsing alone)."""
    import ezdxf

    from drawings import registry
    from drawings.ingest import ingest
    from storage.blobs import open_blob_store
    from storage.db import make_engine, session_factory, transaction
    from storage.migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="yitaotu-bench-ingest-", dir=args.tmp))
    rows: list[Row] = []
    try:
        src = work / "set"
        src.mkdir()
        files = _make_sheet_set(src, args.sheets, args.entities)
        nbytes = sum(f.stat().st_size for f in files)
        ref = best_of(args.repeat, lambda: [ezdxf.readfile(f) for f in files])
        rows.append(Row("ingest", f"ezdxf.readfile x{len(files)} (reference)", ref, nbytes))
        runs = iter(range(1000))

        def fresh() -> None:
            n = next(runs)
            home = work / f"home{n}"
            engine = make_engine(f"sqlite:///{home / 'y.db'}")
            upgrade(engine)
            state["sf"] = session_factory(engine)
            state["blobs"] = open_blob_store((home / "objects").as_uri())
            with transaction(state["sf"]) as s:
                registry.create_project(s, "2023-110105-04-01-123450", "bench")

        def run() -> None:
            with transaction(state["sf"]) as s:
                r = ingest(
                    s,
                    state["blobs"],
                    "2023-110105-04-01-123450",
                    [src],
                    message="bench",
                    author="bench",
                )
            assert len(r.added) == len(files)

        state: dict = {}
        t = best_of(args.repeat, run, fresh)
        rows.append(Row("ingest", f"ingest {len(files)} sheets (SQLite, local)", t, nbytes, ref))
        print(
            f"ingest: {len(files) / t:.1f} sheets/s, ezdxf.readfile: {len(files) / ref:.1f} "
            f"sheets/s, ratio {ref / t:.2f} (1.0 = as fast as parsing with ezdxf alone)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "blobs": bench_blobs,
    "ingest": bench_ingest,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS))
    parser.add_argument("--size-mib", type=int, default=512, help="size of the generated file")
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs")
    parser.add_argument("--tmp", default=None, help="where to generate data (default: $TMPDIR)")
    parser.add_argument("--sheets", type=int, default=100, help="ingest: sheets in the set")
    parser.add_argument("--entities", type=int, default=300, help="ingest: entities per sheet")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name in args.section or list(SECTIONS):
        rows.extend(SECTIONS[name](args))
    report(rows)


if __name__ == "__main__":
    main()
