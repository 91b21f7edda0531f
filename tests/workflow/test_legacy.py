"""Projects written by the one-block loop (tests/data/legacy, made by its own code): migration
0005 moves their rows, their chains (formats 1 and 2) still verify, every governed row is still
compared, and the loop goes on with the new records."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text

from drawings import maintenance
from storage.blobs import open_blob_store
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from tests.conftest import REPO
from tests.workflow.helpers import CODE, World, sheet_dxf
from workflow import audit, service
from workflow.signing import KeyRing

LEGACY = REPO / "tests" / "data" / "legacy"


def unpack(name: str, tmp: Path) -> tuple[World, dict[str, str]]:
    with tarfile.open(LEGACY / f"{name}.tar.xz") as tar:
        tar.extractall(tmp, filter="data")
    home = tmp / name
    eng = make_engine(f"sqlite:///{home / 'yitaotu.db'}")
    upgrade(eng)  # 0005 moves the one-block rows
    w = World(session_factory(eng), open_blob_store((home / "objects").as_uri()),
              KeyRing(home / "keys", passphrase=""))
    versions = dict(line.split() for line in (home / "versions.txt").read_text().splitlines())
    return w, versions


@pytest.mark.parametrize("name", ["format1", "format2", "major"])
def test_migrated_projects_verify(tmp_path: Path, name: str) -> None:
    w, versions = unpack(name, tmp_path)
    with w.sf() as s:
        rep = audit.verify_chain(s, CODE, w.blobs)
        assert rep.ok, rep.problems
        assert maintenance.verify(s, w.blobs, CODE).ok
        st = service.status(s, CODE)
    assert st["state"] == "archived"
    assert [x["state"] for x in st["submissions"]] == (
        ["approved", "approved"] if name == "major" else ["approved"])
    assert [(c["state"], c["kind"]) for c in st["changes"]] == [("effective", "design")]
    if name == "major":
        assert st["submissions"][1]["kind"] == "change" and st["submissions"][1]["change"] == 1
    with w.sf() as s:
        when = [e.at for e in audit.events(s, CODE) if e.event == "sign_change"][-1]
        force = service.set_in_force(s, CODE, when)
    if name == "major":  # the change's review is approved later: the first approval is in force
        assert force["proof"]["event"] == "approve" and force["version"]["id"] == versions["v2"]
    else:
        assert force["proof"]["event"] == "sign_change"
        assert force["version"]["id"] == versions["v3"]
        assert force["changes"][0]["change"] == "C-1"


@pytest.mark.parametrize(("sql", "table"), [
    ("update wf_submissions set state = 'returned'", "wf_submissions"),
    ("update wf_rounds set outcome = 'approved' where number = 1", "wf_rounds"),
    ("update wf_opinions set text = 'x' where number = 1", "wf_opinions"),
    ("update wf_changes set klass = 'major'", "wf_changes"),
    ("update wf_flows set state = 'construction'", "wf_flows"),
])
def test_migrated_rows_are_still_compared(tmp_path: Path, sql: str, table: str) -> None:
    w, _ = unpack("format2", tmp_path)
    with w.sf() as s, s.begin():
        s.execute(text(sql))
    with w.sf() as s:
        rep = audit.verify_chain(s, CODE)
    assert rep.findings and {f.table for f in rep.findings} == {table}, rep.problems


def test_the_loop_goes_on_after_the_migration(tmp_path: Path) -> None:
    """A project migrated in the middle of construction: new changes run in the new shape."""
    w, _ = unpack("major", tmp_path)
    with w.sf() as s, s.begin():  # take it back to construction as an older backup would be
        s.execute(text("delete from wf_outbox"))
        s.execute(text("delete from wf_audit where event in ('submit_as_built', "
                       "'confirm_as_built', 'accept', 'archive')"))
        s.execute(text("delete from reflog where ref in ('as-built', 'archived')"))
        s.execute(text("delete from refs where name in ('as-built', 'archived')"))
        s.execute(text("delete from wf_as_built"))
        s.execute(text("update wf_flows set state = 'construction', "
                       "updated = (select max(at) from wf_audit)"))
    with w.sf() as s:
        assert audit.verify_chain(s, CODE, w.blobs).ok
    w.t = w.t.replace(year=2027)
    w.version("v9", {"A-101": sheet_dxf("A-101", "平面", extra=11)}, "current")
    w.fire("propose_change", "des", version=w.versions["v9"], reason="迁移后的变更")
    w.fire("confirm_change", "own", record=2)
    w.fire("confirm_change", "sup", record=2)
    w.fire("sign_change", "des", record=2)
    with w.sf() as s:
        assert audit.verify_chain(s, CODE, w.blobs).ok
        assert service.status(s, CODE)["open_changes"] == {}
