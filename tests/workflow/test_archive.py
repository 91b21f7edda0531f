"""Archive packages (issue #13): create → verify passes on an archived project (SQLite with
local blobs, PostgreSQL with S3); each tampering fails the right check naming the file; the
inspector's pull returns the set in force on a date; retention says what is due."""

from __future__ import annotations

import secrets
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pymupdf
import pytest

from drawings import registry
from storage.errors import InvalidInput, NotFound
from tests.conftest import private_database
from tests.workflow.archive_story import archived_story
from tests.workflow.helpers import CODE, World, setup_world
from workflow import audit, verify_package
from workflow.archive import create_archive, inspect_pull, list_packages, verify_project
from workflow.archive.report import AUTHENTICITY, INTEGRITY, SECURITY, USABILITY, Report
from workflow.machine import TransitionNotAllowed
from workflow.signing import KeyRing, sha256_hex


@dataclass
class Archived:
    w: World
    tmp: Path
    moments: dict[str, Any]
    made: dict[str, Any]  # what create_archive said of the directory package
    zipped: dict[str, Any]

    @property
    def package(self) -> Path:
        return Path(self.made["path"])


@pytest.fixture(scope="module", params=[("sqlite", "local"), ("postgresql", "s3")],
                ids=["sqlite-local", "postgresql-s3"])
def archived(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One archived project per database and blob store, packed as a directory and a zip."""
    from storage.blobs import open_blob_store
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    db, store = request.param
    tmp = tmp_path_factory.mktemp(f"archive-{db}")
    if store == "local":
        blobs = open_blob_store((tmp / "objects").as_uri())
    else:
        server = request.getfixturevalue("seaweedfs")
        blobs = open_blob_store(server.url("yitaotu-test", secrets.token_hex(6)),
                                endpoint=server.endpoint, access_key=server.access_key,
                                secret_key=server.secret_key)
    with private_database(db, tmp) as url:
        eng = make_engine(url)
        upgrade(eng)
        w = setup_world(session_factory(eng), blobs, KeyRing(tmp / "keys", passphrase=""))
        moments = archived_story(w)
        with w.sf() as s, s.begin():
            made = create_archive(s, blobs, w.keys, CODE, user="arc", out=tmp / "package",
                                  now=w.tick())
            zipped = create_archive(s, blobs, w.keys, CODE, user="arc", out=tmp / "package.zip",
                                    now=w.tick())
        yield Archived(w, tmp, moments, made, zipped)
        eng.dispose()


def failed(rep: Report, check: str, file: str) -> list[str]:
    return [i.line() for i in rep.items if not i.ok and i.check == check and i.file == file]


# -- create → verify ---------------------------------------------------------------------------


def test_create_then_verify_passes(archived: Archived) -> None:
    for path in (archived.package, Path(archived.zipped["path"])):
        rep = verify_package(path)
        assert rep.ok, [i.line() for i in rep.failures()]
        summary = rep.summary()
        assert all(summary[c]["items"] > 0 for c in (AUTHENTICITY, INTEGRITY, USABILITY,
                                                     SECURITY))
        names = {i.name for i in rep.items}
        assert {"sha256", "版本号 version id", "链头锚点 head anchor", "编号连续 numbers without "
                "gaps", "字体嵌入 fonts embedded", "能出图 renders",
                "无活动内容 no active content"} <= names


def test_the_package_holds_what_the_issue_lists(archived: Archived) -> None:
    root, desc = archived.package, orjson.loads(
        (archived.package / "yitaotu-package.json").read_bytes())
    with archived.w.sf() as s:
        versions = registry.list_versions(s, CODE)
        head = audit.audit_head if False else audit.head(s, CODE)
        as_built = registry.refs(s, CODE)["as-built"]
    assert desc["version"] == as_built == archived.moments["as_built"]
    assert sorted(desc["versions"]) == sorted(v.id for v in versions)  # every version
    assert sorted(desc["sheets"]) == ["A-101", "S-01", "S-02", "S-101"]
    for no, sheet in desc["sheets"].items():  # the original bytes, as the blob ids say
        assert sha256_hex((root / sheet["file"]).read_bytes()) == sheet["blob"], no
        assert (root / desc["renders"][no]).read_bytes().startswith(b"%PDF")
    certs = [d for d in desc["documents"] if d["kind"] == "certificate"]
    assert len(certs) == 2 and all(len(d["signers"]) >= 2 for d in certs)  # 桩基 and 主体
    assert desc["chain"]["head"] == {k: head[k] for k in ("seq", "hash", "at")}
    chain = (root / desc["chain"]["file"]).read_bytes().splitlines()
    assert len(chain) == head["seq"]  # every signed event
    ops = orjson.loads((root / desc["opinions"]["json"]).read_bytes())
    assert ops[0]["replies"][0]["text"] == "已核 checked"
    assert "已核 checked" in pymupdf.open(root / desc["opinions"]["pdf"])[0].get_text()
    cat = orjson.loads((root / "data/catalogue/catalogue.json").read_bytes())
    assert cat["totals"]["items"] == len(cat["items"]) == archived.made["files"]
    assert {i["retention"] for i in cat["items"]} == {"永久", "30年"}
    for csv_name in ("案卷目录.csv", "卷内目录.csv"):
        assert (root / "data/catalogue" / csv_name).read_bytes().startswith(b"\xef\xbb\xbf")
    stamp = archived.made["stamp"]
    assert (stamp["contractor"]["value"], stamp["prepared_by"]["value"],
            stamp["supervisor"]["value"], stamp["site_supervisor"]["value"]) == \
        ("丁施工公司", "con", "戊监理公司", "sup")
    assert stamp["checked_by"]["value"] == ""  # the chain records no 审核人: not invented


def test_final_only_keeps_the_final_versions(archived: Archived) -> None:
    w = archived.w
    with w.sf() as s, s.begin():
        made = create_archive(s, w.blobs, w.keys, CODE, user="arc", final_only=True,
                              out=archived.tmp / "final", now=w.tick())
        refs = registry.refs(s, CODE)
    desc = orjson.loads((archived.tmp / "final" / "yitaotu-package.json").read_bytes())
    assert desc["final_only"] and made["final_only"]
    assert set(desc["versions"]) == {refs[r] for r in ("approved", "current", "as-built")}
    assert verify_package(archived.tmp / "final").ok


def test_the_stamp_is_red_80_by_50_mm_with_its_fields(archived: Archived) -> None:
    desc = orjson.loads((archived.package / "yitaotu-package.json").read_bytes())
    doc = pymupdf.open(archived.package / desc["renders"]["A-101"])
    page = doc[0]
    text = page.get_text()
    for word in ("竣工图", "施工单位", "丁施工公司", "编制人", "con", "监理单位", "戊监理公司",
                 "现场监理", "sup", "审核人", "技术负责人", "总监", "编制日期"):
        assert word in text, word
    frames = [d["rect"] for d in page.get_drawings()
              if d.get("color") and d["color"][0] > 0.8 and d["color"][1] < 0.1
              and d["rect"].width > 100]
    mm = 72 / 25.4
    assert any(abs(r.width - 80 * mm) < 1 and abs(r.height - 50 * mm) < 1 for r in frames)
    title = page.search_for("竣工图")[0]
    assert title.y0 > page.rect.height / 2 and title.x0 > page.rect.width / 2  # lower right
    assert not [f for f in page.get_fonts(full=True) if f[1] == "n/a"]  # fonts embedded


# -- tampering: one at a time, on a copy ---------------------------------------------------------


def _flip_sheet(root: Path) -> str:
    f = root / "data/sheets/A-101.dxf"
    b = bytearray(f.read_bytes())
    b[len(b) // 2] ^= 0x01
    f.write_bytes(bytes(b))
    return "data/sheets/A-101.dxf"


def _delete(root: Path) -> str:
    (root / "data/renders/S-01-竣工图.pdf").unlink()
    return "data/renders/S-01-竣工图.pdf"


def _add(root: Path) -> str:
    (root / "data/notes.txt").write_text("备注 a note slipped in", encoding="utf-8")
    return "data/notes.txt"


def _edit_catalogue(root: Path) -> str:
    f = root / "data/catalogue/卷内目录.csv"
    f.write_bytes(f.read_bytes().replace("永久".encode(), "10年".encode(), 1))
    return "data/catalogue/卷内目录.csv"


def _break_signature(root: Path) -> str:
    f = root / "yitaotu-signature.json"
    doc = orjson.loads(f.read_bytes())
    sig = doc["signatures"][0]["sig"]
    doc["signatures"][0]["sig"] = ("1" if sig[0] == "0" else "0") + sig[1:]
    f.write_bytes(orjson.dumps(doc))
    return "yitaotu-signature.json"


def _rewrite_audit(root: Path) -> str:
    """Rewrite an event and recompute its hash and the payload manifest's line: only the
    chain's links, signatures and the signed description can tell."""
    rel = "data/audit/chain.jsonl"
    f = root / rel
    lines = f.read_bytes().splitlines()
    row = orjson.loads(lines[2])
    row["body"] = row["body"].replace('"actor":"', '"actor":"x', 1)
    row["hash"] = sha256_hex(row["body"].encode())
    lines[2] = orjson.dumps(row)
    f.write_bytes(b"\n".join(lines) + b"\n")
    _rehash(root, rel)
    return rel


def _rewrite_reflog(root: Path) -> str:
    """Point a move of `current` at another version (manifest line recomputed)."""
    rel = "data/audit/reflog.json"
    moves = orjson.loads((root / rel).read_bytes())
    move = next(m for m in moves if m["ref"] == "current")
    other = next(m["new"] for m in moves if m["new"] != move["new"])
    move["new"] = other
    (root / rel).write_bytes(orjson.dumps(moves))
    _rehash(root, rel)
    return rel


def _pass_as_live(root: Path) -> str:
    """Call the package an unsigned live check and drop its signatures: still refused."""
    rel = "yitaotu-package.json"
    desc = orjson.loads((root / rel).read_bytes())
    desc["kind"] = "live"
    (root / rel).write_bytes(orjson.dumps(desc))
    (root / "yitaotu-signature.json").write_bytes(b'{"signatures": []}')
    return rel


def _javascript(root: Path) -> str:
    rel = "data/review/opinions.pdf"
    doc = pymupdf.open(root / rel)
    doc.xref_set_key(doc.pdf_catalog(), "OpenAction", "<</S/JavaScript/JS(app.alert(1))>>")
    data = doc.tobytes()
    doc.close()
    (root / rel).write_bytes(data)
    return rel


def _dotdot(root: Path) -> str:
    """A manifest entry reaching out of the bag."""
    with open(root / "manifest-sha256.txt", "a", encoding="utf-8") as f:
        f.write(f"{'0' * 64}  data/../../etc/passwd\n")
    return "data/../../etc/passwd"


def _rehash(root: Path, rel: str) -> None:
    f = root / "manifest-sha256.txt"
    lines = [ln for ln in f.read_text(encoding="utf-8").splitlines() if not ln.endswith(rel)]
    lines.append(f"{sha256_hex((root / rel).read_bytes())}  {rel}")
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")


TAMPERINGS = [(_flip_sheet, AUTHENTICITY), (_delete, INTEGRITY), (_add, INTEGRITY),
              (_edit_catalogue, AUTHENTICITY), (_edit_catalogue, INTEGRITY),
              (_break_signature, AUTHENTICITY), (_rewrite_audit, AUTHENTICITY),
              (_rewrite_reflog, AUTHENTICITY), (_pass_as_live, AUTHENTICITY),
              (_javascript, SECURITY), (_dotdot, SECURITY)]


@pytest.mark.parametrize(("tamper", "check"), TAMPERINGS,
                         ids=[f"{t.__name__[1:]}-{c}" for t, c in TAMPERINGS])
def test_each_tampering_fails_the_right_check_naming_the_file(
        archived: Archived, tmp_path: Path, tamper: Any, check: str) -> None:
    root = tmp_path / "copy"
    shutil.copytree(archived.package, root)
    file = tamper(root)
    rep = verify_package(root)
    assert not rep.ok
    assert failed(rep, check, file), [i.line() for i in rep.failures()]


def test_a_zip_with_a_dotdot_member_fails_security(archived: Archived, tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    shutil.copy(archived.zipped["path"], bad)
    with zipfile.ZipFile(bad, "a") as z:
        z.writestr("package/../../evil.sh", b"#!/bin/sh\nrm -rf ~\n")
    rep = verify_package(bad)
    assert failed(rep, SECURITY, "package/../../evil.sh")
    assert not (tmp_path / "evil.sh").exists() and not (tmp_path.parent / "evil.sh").exists()


def test_what_was_kept_outside(archived: Archived) -> None:
    """A package regenerated whole with new keys proves itself; the anchor and the packer's
    key fingerprint kept outside do not match it."""
    sig = orjson.loads((archived.package / "yitaotu-signature.json").read_bytes())
    keys = [s["key"] for s in sig["signatures"]]
    head = orjson.loads((archived.package / "data/audit/anchor.json").read_bytes())
    good = verify_package(archived.package, anchors=[(head["seq"], head["hash"])],
                          packer_keys=keys)
    assert good.ok and sum("kept outside" in i.name for i in good.items) == 3
    bad = verify_package(archived.package, anchors=[(head["seq"], "0" * 64)],
                         packer_keys=keys[:1])
    assert failed(bad, AUTHENTICITY, "data/audit/chain.jsonl")
    assert failed(bad, AUTHENTICITY, "yitaotu-signature.json")


def test_not_a_package(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04 not really")
    for path in (tmp_path / "x.zip", tmp_path / "missing"):
        rep = verify_package(path)
        assert not rep.ok and rep.failures()[0].check == INTEGRITY


# -- the inspector's pull ------------------------------------------------------------------------


def test_the_pull_between_two_approvals_returns_the_older_set(archived: Archived,
                                                              tmp_path: Path) -> None:
    w, m = archived.w, archived.moments
    with w.sf() as s:
        pull = inspect_pull(s, w.blobs, w.keys, project=CODE, at=m["between"], user="ins",
                            out=tmp_path / "pull.zip")
    assert pull["version"] == m["approved_first"]
    assert sorted(pull["sheets"]) == ["S-01", "S-02"]  # 桩基 only: 主体 was not approved yet
    assert pull["report"]["ok"] and pull["proof"]["event"] == "approve"
    rep = verify_package(tmp_path / "pull.zip")
    assert rep.ok, [i.line() for i in rep.failures()]
    with zipfile.ZipFile(tmp_path / "pull.zip") as z:
        names = z.namelist()
    assert any("审查合格书" in n for n in names) and "pull/yitaotu-verification.json" in names
    assert not any("A-101" in n for n in names)


def test_the_pull_by_unit_after_both_approvals(archived: Archived, tmp_path: Path) -> None:
    w, m = archived.w, archived.moments
    with w.sf() as s:
        pull = inspect_pull(s, w.blobs, w.keys, unit=m["unit"], at=m["after"], user="ins",
                            out=tmp_path / "unit")
    assert pull["unit"] == m["unit"]
    assert sorted(pull["sheets"]) == ["A-101", "S-01", "S-02", "S-101"]
    assert verify_package(tmp_path / "unit").ok


def test_before_the_first_approval_no_set_was_in_force(archived: Archived,
                                                       tmp_path: Path) -> None:
    w = archived.w
    with w.sf() as s, pytest.raises(NotFound, match="no set was in force"):
        inspect_pull(s, w.blobs, w.keys, project=CODE, at=archived.moments["before"],
                     user="ins", out=tmp_path / "none.zip")
    assert not list(tmp_path.iterdir())  # nothing written


# -- the live check, refusals, retention -------------------------------------------------------


def test_verify_a_live_project(archived: Archived) -> None:
    with archived.w.sf() as s:
        rep = verify_project(s, archived.w.blobs, CODE)
    assert rep.ok, [i.line() for i in rep.failures()]


def test_refusals(archived: Archived, tmp_path: Path) -> None:
    w = archived.w
    with w.sf() as s:
        with pytest.raises(TransitionNotAllowed, match="archivist"):
            create_archive(s, w.blobs, w.keys, CODE, user="own", out=tmp_path / "p")
        with pytest.raises(InvalidInput, match="never overwritten"):
            create_archive(s, w.blobs, w.keys, CODE, user="arc", out=archived.package)
        with pytest.raises(TransitionNotAllowed, match="no party"):
            inspect_pull(s, w.blobs, w.keys, project=CODE, at=archived.moments["after"],
                         user="nobody", out=tmp_path / "n.zip")
    assert not list(tmp_path.iterdir())


def test_create_needs_an_accepted_project(tmp_path: Path) -> None:
    from storage.blobs import open_blob_store
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    eng = make_engine(f"sqlite:///{tmp_path / 'db'}")
    upgrade(eng)
    w = setup_world(session_factory(eng), open_blob_store((tmp_path / "o").as_uri()),
                    KeyRing(tmp_path / "k", passphrase=""))
    with w.sf() as s, pytest.raises(TransitionNotAllowed, match="accepted"):
        create_archive(s, w.blobs, w.keys, CODE, user="arc", out=tmp_path / "p")
    eng.dispose()


def test_retention_says_what_is_due_and_deletes_nothing(archived: Archived) -> None:
    w = archived.w
    with w.sf() as s:
        now = list_packages(s, CODE, at=w.t)
        later = list_packages(s, CODE, at=w.t.replace(year=w.t.year + 31))
    mine = [p for p in now if p["path"] == str(archived.package.resolve())]
    assert len(mine) == 1 and mine[0]["due"] == [] and mine[0]["retention"]["30年"] > 0
    due = next(p for p in later if p["id"] == mine[0]["id"])["due"]
    assert due and {d["retention"] for d in due} == {"30年"}
    assert all((archived.package / d["file"]).exists() for d in due)  # nothing deleted
