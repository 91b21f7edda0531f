"""verify / fsck / gc over every row that names a blob (upper layers' rows through a provider)
and over every ref against its reflog, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from drawings import maintenance, registry
from storage.db import transaction

CODE = "2023-110105-04-01-123450"


@pytest.fixture
def store(tmp_path: Path):
    from storage.blobs import open_blob_store

    return open_blob_store((tmp_path / "objects").as_uri())


@pytest.fixture
def world(sf, store):
    """A project with one version on `head` and `current`, and a blob only an upper layer's
    row names (registered through a provider, as the workflow names its certificates)."""
    with transaction(sf) as s:
        registry.create_project(s, CODE, "p")
        sheet = store.put_bytes(b"0\nSECTION\n0\nENDSEC\n0\nEOF\n")
        registry.record_blob(s, sheet, 26, format="dxf")
        v = registry.commit_version(s, CODE, {"A-101": {"blob": sheet}}, parents=[], author="a",
                                    message="m")
        registry.move_ref(s, CODE, "head", v.id, actor="a", reason="ingest")
        registry.move_ref(s, CODE, "current", v.id, actor="a", reason="approve")
        pdf = store.put_bytes(b"%PDF-1.7 a certificate")
        registry.record_blob(s, pdf, 22, format="pdf")
    return sf, store, v.id, pdf


@pytest.fixture
def provider(world, monkeypatch):
    _, _, _, pdf = world

    def names(s, project):
        if project in (None, CODE):
            yield pdf, "upper_rows #1"

    monkeypatch.setitem(maintenance._PROVIDERS, "test", names)
    return pdf


def test_clean(world, provider) -> None:
    sf, store, _, pdf = world
    with transaction(sf) as s:
        assert maintenance.verify(s, store, CODE).ok
        assert maintenance.fsck(s, store).ok
        assert maintenance.blob_references(s, CODE)[pdf] == "upper_rows #1"


def test_a_providers_blob_is_rehashed_recorded_and_kept(world, provider) -> None:
    sf, store, _, pdf = world
    path = store.root / pdf[:2] / pdf[2:]
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.7 a forged certificate")
    with transaction(sf) as s:
        for rep in (maintenance.verify(s, store, CODE), maintenance.fsck(s, store)):
            assert any(p.startswith(f"blob {pdf[:12]} (upper_rows #1): corrupt")
                       for p in rep.problems), rep.problems
        s.execute(text("delete from blobs where id = :oid"), {"oid": pdf})
        for rep in (maintenance.verify(s, store, CODE), maintenance.fsck(s, store)):
            assert f"upper_rows #1: blob {pdf} has no `blobs` row" in rep.problems
        assert maintenance.gc(s, store, grace_s=0)["deleted"] == []  # still named: kept
        assert store.has(pdf)
        s.rollback()


def test_refs_off_their_reflog_are_named(world) -> None:
    sf, store, vid, _ = world
    with transaction(sf) as s:
        v2 = registry.commit_version(s, CODE, {"A-102": registry.get_version(s, vid)
                                               .manifest["A-101"]}, parents=[vid], author="a",
                                     message="m2")
        registry.move_ref(s, CODE, "current", v2.id, actor="a", reason="change")
        registry.move_ref(s, CODE, "current", vid, actor="a", reason="back")
    with transaction(sf) as s:
        assert maintenance.verify(s, store, CODE).ok
        s.execute(text("update refs set version_id = :v where name = 'head'"), {"v": v2.id})
        s.execute(text("delete from reflog where ref = 'current' and seq = 2"))
        problems = maintenance.verify(s, store, CODE).problems
        assert problems == [
            f"reflog {CODE} current #3: moves missing before it (expected #2)",
            f"refs {CODE} head: points at {v2.id[:12]}, its reflog's last move went to "
            f"{vid[:12]}",
        ]
        assert maintenance.fsck(s, store).problems == problems
        s.rollback()
