"""Faults during ingest: the S3 server stopping mid-upload, SIGKILL at random moments."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from drawings import registry
from drawings.ingest import ingest
from drawings.maintenance import fsck
from drawings.models import SetVersion
from storage.blobs import open_blob_store
from storage.db import make_engine, session_factory, transaction
from storage.errors import StorageUnavailable
from storage.migrate import upgrade
from tests.drawings.sheets import make_dxf

CODE = "2023-110105-04-01-123450"


@pytest.fixture
def sqlite_sf(tmp_path: Path):
    """Faults here are in the blob store: one database kind is enough."""
    engine = make_engine(f"sqlite:///{tmp_path / 'y.db'}")
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def test_s3_stopped_mid_ingest(sqlite_sf, seaweedfs_factory, tmp_path: Path) -> None:
    sf = sqlite_sf
    server = seaweedfs_factory()
    store = open_blob_store(
        server.url("yitaotu"),
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
    )
    files = [make_dxf(tmp_path / "set" / f"A-{i:03d}.dxf", f"A-{i:03d}", seed=i) for i in range(4)]
    with transaction(sf) as s:
        registry.create_project(s, CODE, "p")

    def progress(name: str, done: int, total: int) -> None:
        if name.endswith("A-001.dxf") and server.proc is not None:
            server.stop()

    with pytest.raises(StorageUnavailable) as e, transaction(sf) as s:
        ingest(s, store, CODE, files, message="m", author="a", progress=progress)
    assert "A-00" in str(e.value)
    with transaction(sf) as s:
        assert s.scalar(select(func.count()).select_from(SetVersion)) == 0
        assert registry.get_ref(s, CODE, "head") is None
    # The same data directory, served again: the store holds at most orphans, fsck is clean.
    server.start()
    store = open_blob_store(
        server.url("yitaotu"),
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
    )
    with transaction(sf) as s:
        report = fsck(s, store)
    assert report.ok, report.problems
    with transaction(sf) as s:
        r = ingest(s, store, CODE, files, message="retry", author="a")
    assert r.changed and len(r.added) == 4


CHILD = """
import sys
from yitaotu.cli import main
import drawings, drawings.ingest, ezdxf  # warm up before the go signal
sys.stdout.write("ready\\n")
sys.stdout.flush()
sys.stdin.readline()
main(sys.argv[1:])
"""


def test_sigkill_during_ingest_leaves_fsck_clean(tmp_path: Path, monkeypatch) -> None:
    """30 ingests killed at random moments; after each, `yitaotu fsck` is clean."""
    from yitaotu.cli import cli

    home = tmp_path / "home"
    env = {**os.environ, "YITAOTU_HOME": str(home), "YITAOTU_USER": "crash-test"}
    for k in ("YITAOTU_DATABASE_URL", "YITAOTU_BLOBS"):
        env.pop(k, None)
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("YITAOTU_HOME", str(home))
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["project", "create", CODE, "crash"]).exit_code == 0
    rng = random.Random(20261127)
    sets = []
    for i in range(30):
        d = tmp_path / f"set{i}"
        for n in range(3):
            make_dxf(d / f"A-{n:03d}.dxf", f"A-{n:03d}", seed=i * 10 + n, lines=20)
        sets.append(d)

    def spawn(d: Path) -> subprocess.Popen[bytes]:
        p = subprocess.Popen(
            [sys.executable, "-c", CHILD, "ingest", CODE, str(d), "-m", d.name],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert p.stdout is not None and p.stdout.readline() == b"ready\n"
        return p

    # One uninterrupted ingest tells how long the work after start-up takes on this machine;
    # kills then land anywhere from the first file read to after the commit.
    probe = spawn(tmp_path / "probe")
    make_dxf(tmp_path / "probe" / "Z-001.dxf", "Z-001")
    t0 = time.monotonic()
    probe.stdin.write(b"go\n")  # type: ignore[union-attr]
    probe.stdin.flush()  # type: ignore[union-attr]
    assert probe.wait(120) == 0
    span = (time.monotonic() - t0) * 1.2
    probe.stdin.close()  # type: ignore[union-attr]
    probe.stdout.close()  # type: ignore[union-attr]

    killed = completed = 0
    nxt = spawn(sets[0])
    for i in range(30):
        proc = nxt
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.0, span))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        else:
            completed += 1
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()  # type: ignore[union-attr]
        if i + 1 < 30:
            nxt = spawn(sets[i + 1])  # import while we check
        result = runner.invoke(cli, ["fsck", "--json"])
        assert result.exit_code == 0, (i, result.output)
    print(f"SIGKILL: {killed} killed mid-ingest, {completed} finished first (span {span:.2f}s)")
    assert killed >= 5, (killed, completed)
    gc = runner.invoke(cli, ["gc", "--grace", "0"])
    assert gc.exit_code == 0
    result = runner.invoke(cli, ["fsck", "--json"])
    assert result.exit_code == 0 and '"cleanable": []' in result.output
    assert runner.invoke(cli, ["verify"]).exit_code == 0


def test_gc_beside_a_running_ingest(sqlite_sf, tmp_path: Path) -> None:
    """gc runs while an ingest has stored its blobs but not yet committed its rows; one of
    the files was stored long ago and left unreferenced (an ingest that failed then), so its
    blob is old until this ingest puts it again.  Nothing the ingest names may be lost."""
    from drawings.maintenance import gc

    sf = sqlite_sf
    store = open_blob_store((tmp_path / "objects").as_uri())
    files = [make_dxf(tmp_path / "set" / f"A-{i:03d}.dxf", f"A-{i:03d}", seed=i) for i in range(3)]
    old = store.put_file(files[0])
    two_days_ago = time.time() - 2 * 86400
    os.utime(store.path(old), (two_days_ago, two_days_ago))
    stale = store.put_bytes(b"an orphan nobody will name")
    os.utime(store.path(stale), (two_days_ago, two_days_ago))
    with transaction(sf) as s:
        registry.create_project(s, CODE, "p")
    reports = []

    def progress(name: str, done: int, total: int) -> None:
        if done == total and not reports:  # blobs stored, rows not yet written
            with transaction(sf) as other:
                reports.append(gc(other, store))

    with transaction(sf) as s:
        ingest(s, store, CODE, files, message="m", author="a", progress=progress)
    assert reports and reports[0]["deleted"] == [stale]  # the old orphan goes, nothing else
    assert old in reports[0]["kept_young"]
    with transaction(sf) as s:
        assert fsck(s, store).ok
