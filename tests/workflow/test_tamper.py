"""Every row the audit chain governs is checked against it: each tampering of issue #10 §2,
on SQLite and PostgreSQL, is named (table, row, what differs) by `audit verify`, and the blob
cases by `verify` and `fsck` too.

One story per database (module scope); each test alters rows inside a transaction, checks,
and rolls back, so the tests share the story and stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from drawings import maintenance, registry
from storage.db import make_engine, session_factory
from storage.errors import IntegrityError
from storage.migrate import upgrade
from tests.conftest import private_database
from tests.workflow.helpers import CODE, World, setup_world
from tests.workflow.test_story import run_story
from workflow import audit, service
from workflow.models import AuditEvent, Certificate, JSONText
from workflow.signing import KeyRing


@dataclass
class Story:
    w: World
    versions: dict[str, str]

    def event(self, s: Session, name: str) -> AuditEvent:
        return s.scalars(select(AuditEvent).where(AuditEvent.event == name)
                         .order_by(AuditEvent.seq)).first()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def story(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Story]:
    from storage.blobs import open_blob_store

    tmp = tmp_path_factory.mktemp(f"tamper-{request.param}")
    with private_database(request.param, tmp) as url:
        eng = make_engine(url)
        try:
            upgrade(eng)
            blobs = open_blob_store((tmp / "objects").as_uri())
            w = setup_world(session_factory(eng), blobs, KeyRing(tmp / "keys", passphrase=""))
            yield Story(w, run_story(w))
        finally:
            eng.dispose()


@contextmanager
def tampered(story: Story, *statements: tuple[str, dict[str, Any]]) -> Iterator[Session]:
    """A session in which ``statements`` have altered the rows; rolled back afterwards."""
    with story.w.sf() as s:
        s.begin()
        try:
            for sql, params in statements:
                s.execute(text(sql), params)
            yield s
        finally:
            s.rollback()


def named(rep: Any, table: str, row: str, *words: str) -> bool:
    return any(f.table == table and f.row == row and all(w in f.what for w in words)
               for f in rep.findings)


def test_an_untouched_project_verifies_clean(story: Story) -> None:
    w = story.w
    with w.sf() as s:
        rep = audit.verify_chain(s, CODE, w.blobs)
        assert rep.ok, rep.problems
        assert rep.events >= 20 and rep.blobs >= 5
        assert maintenance.verify(s, w.blobs, CODE).ok
        assert maintenance.fsck(s, w.blobs).ok


def test_edited_reflog_new_is_named_and_cites_no_proof(story: Story) -> None:
    """current's second move (sign_change → v3) edited to v1: `audit at` must not name v1
    with a proof."""
    w, v1 = story.w, story.versions["v1"]
    sql = "update reflog set new = :v where ref = 'current' and seq = 2"
    with tampered(story, (sql, {"v": v1})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "reflog", "current #2", "new", v1)
        assert named(rep, "reflog", "current #2", "bad signature")
        when = story.event(s, "sign_change").at
        with pytest.raises(IntegrityError, match="reflog current #2"):
            service.set_in_force(s, CODE, when)
        assert any("refs" in p and "current" in p for p in maintenance.verify(s, w.blobs, CODE)
                   .problems)
    with w.sf() as s:  # untouched: the proof is the sign_change event
        assert service.set_in_force(s, CODE, when)["proof"]["event"] == "sign_change"


def test_moved_ref_is_named(story: Story) -> None:
    w, v1 = story.w, story.versions["v1"]
    with tampered(story, ("update refs set version_id = :v where name = 'current'",
                          {"v": v1})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "refs", "current", "version_id", v1)
        problems = maintenance.verify(s, w.blobs, CODE).problems
        assert any(p.startswith(f"refs {CODE} current: points at {v1[:12]}") for p in problems)
        assert any("refs" in p for p in maintenance.fsck(s, w.blobs).problems)


def test_deleted_reflog_rows_are_named(story: Story) -> None:
    w = story.w
    with tampered(story, ("delete from reflog where ref = 'current' and seq = 2", {}),
                  ("delete from reflog where ref = 'submitted' and seq = 1", {})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "reflog", "current #2", "row missing")
        assert named(rep, "reflog", "submitted #1", "row missing")
        problems = maintenance.verify(s, w.blobs, CODE).problems
        assert any(f"reflog {CODE} submitted #2: moves missing" in p for p in problems)
        assert any(f"refs {CODE} current" in p for p in problems)


def test_broken_reflog_signature_is_named(story: Story) -> None:
    sql = ("update reflog set signature = replace(signature, '\"sig\":\"', '\"sig\":\"00') "
           "where ref = 'approved'")
    with tampered(story, (sql, {})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "reflog", "approved #1", "bad signature")
        assert [f.row for f in rep.findings] == ["approved #1"]


def test_state_set_back_is_named_and_refused(story: Story) -> None:
    """A submission set back from approved to in_review: `review approve` must not succeed
    again; the project set back from archived to construction: no new as-built."""
    w = story.w
    with tampered(story, ("update wf_submissions set state = 'in_review' where number = 1",
                          {})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "wf_submissions", "S-1", "state", "in_review", "approved")
        with pytest.raises(IntegrityError, match="submission 1 state is in_review"):
            service.fire(s, CODE, "approve", user="rev_a", keys=w.keys, blobs=w.blobs)
    with tampered(story, ("update wf_flows set state = 'construction'", {})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "wf_flows", CODE, "state", "construction", "archived")
        with pytest.raises(IntegrityError, match="wf_flows.state is construction"):
            service.fire(s, CODE, "submit_as_built", user="con", keys=w.keys, blobs=w.blobs,
                         version=story.versions["v4"])


@pytest.mark.parametrize("who", ["user:rev_a", "org:乙审查中心"])
def test_removed_event_signature_is_named(story: Story, who: str) -> None:
    with story.w.sf() as s:
        ev = story.event(s, "approve")
        kept = [r for r in JSONText.load(ev.signatures) if r["signer"] != who]
        seq = ev.seq
    sql = "update wf_audit set signatures = :sigs where seq = :seq"
    with tampered(story, (sql, {"sigs": JSONText.dump(kept), "seq": seq})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "wf_audit", f"#{seq} (approve)", f"no valid signature by {who}")
        assert len(rep.findings) == 1


def test_edited_opinion_text_is_named(story: Story) -> None:
    sql = "update wf_opinions set text = '楼梯宽度足够 wide enough' where number = 1"
    with tampered(story, (sql, {})) as s:
        rep = audit.verify_chain(s, CODE)
        assert named(rep, "wf_opinions", "#1", "text", "楼梯宽度足够", "楼梯宽度不足")
        assert len(rep.findings) == 1


@pytest.mark.parametrize(("sql", "table", "row", "what"), [
    ("update wf_flows set large_works = false", "wf_flows", CODE, "large_works"),
    ("update wf_rounds set outcome = 'approved' where number = 1", "wf_rounds", "round 1",
     "outcome"),
    ("update wf_submissions set stage = '?'", "wf_submissions", "S-1", "stage"),
    ("update wf_signoffs set user_name = 'rev_x' where discipline = '结构'", "wf_signoffs", None,
     "user_name"),
    ("update wf_opinions set discipline = '电气' where number = 1", "wf_opinions", "#1",
     "discipline"),
    ("update wf_opinions set affected = true where number = 2", "wf_opinions", "#2", "affected"),
    ("update wf_opinion_replies set text = '?' where kind = 'carry' and opinion_id = "
     "(select id from wf_opinions where number = 1)", "wf_opinion_replies", "opinion #1 reply 2",
     "text"),
    ("update wf_change_marks set mark = 'queried'", "wf_change_marks", None, "mark"),
    ("update wf_changes set reason = '?'", "wf_changes", "C-1", "reason"),
    ("update wf_as_built set redraw = '[]'", "wf_as_built", "as-built 1", "redraw"),
    ("update wf_certificates set signers = '[]'", "wf_certificates", "#1", "signers"),
])
def test_every_governed_table_is_compared(story: Story, sql: str, table: str, row: str | None,
                                          what: str) -> None:
    with tampered(story, (sql, {})) as s:
        rep = audit.verify_chain(s, CODE)
        assert rep.findings and all(f.table == table and (row is None or f.row == row)
                                    and f.what.startswith(what) for f in rep.findings), \
            rep.problems


def _certificate_blob(story: Story) -> str:
    with story.w.sf() as s:
        return s.scalars(select(Certificate.blob_id)).one()


def test_corrupted_certificate_blob_is_named_by_all_three(story: Story) -> None:
    w = story.w
    oid = _certificate_blob(story)
    path: Path = w.blobs.root / oid[:2] / oid[2:]
    original = path.read_bytes()
    path.chmod(0o644)
    try:
        path.write_bytes(original.replace(b"%%EOF", b"%%EOX", 1))
        with w.sf() as s:
            rep = audit.verify_chain(s, CODE, w.blobs)
            assert named(rep, "blobs", oid, "corrupt", "wf_audit")
            for problems in (maintenance.verify(s, w.blobs, CODE).problems,
                             maintenance.fsck(s, w.blobs).problems):
                assert any(p.startswith(f"blob {oid[:12]} (wf_certificates {CODE} #1): "
                                        "corrupt") for p in problems), problems
    finally:
        path.write_bytes(original)
        path.chmod(0o444)


def test_deleted_blobs_row_is_named_and_the_blob_kept(story: Story) -> None:
    w = story.w
    oid = _certificate_blob(story)
    with tampered(story, ("delete from blobs where id = :oid", {"oid": oid})) as s:
        rep = audit.verify_chain(s, CODE, w.blobs)
        assert named(rep, "blobs", oid, "no `blobs` row")
        for problems in (maintenance.verify(s, w.blobs, CODE).problems,
                         maintenance.fsck(s, w.blobs).problems):
            assert f"wf_certificates {CODE} #1: blob {oid} has no `blobs` row" in problems
        assert oid not in maintenance.gc(s, w.blobs, dry_run=True, grace_s=0)["deleted"]


def test_reflog_matches_registry_reads(story: Story) -> None:
    """The replayed moves are the ones the registry's readers see (nothing but the rows)."""
    with story.w.sf() as s:
        rep = audit.verify_chain(s, CODE)
        assert rep.replayed is not None
        moves = rep.replayed.tables["reflog"]
        rows = {(e.ref, e.seq): e.new for e in registry.reflog(s, CODE) if e.ref != "head"}
        assert rows == {k: m["new"] for k, m in moves.items()}


def test_times_given_in_china_time_verify(sqlite_world: World) -> None:
    """An event time given in another zone is kept as UTC, so the signed texts (chain body,
    reflog signature) read back the same from the rows."""
    from tests.workflow.helpers import Driver
    from workflow.clock import CHINA_TZ

    w = sqlite_world
    Driver(w).goto("signed")
    with w.sf() as s, s.begin():
        service.fire(s, CODE, "approve", user="rev_s", keys=w.keys, blobs=w.blobs,
                     now=w.tick().astimezone(CHINA_TZ))
    with w.sf() as s:
        assert audit.verify_chain(s, CODE, w.blobs).ok
