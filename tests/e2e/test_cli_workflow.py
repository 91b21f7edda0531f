"""The closed loop end to end through the CLI, on generated sheets; then tampering is named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from tests.workflow.helpers import sheet_dxf
from yitaotu.cli import cli

CODE = "2023-110105-04-01-123450"


class Cli:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()
        self.env = {"YITAOTU_HOME": str(home), "YITAOTU_USER": "", "YITAOTU_DATABASE_URL": "",
                    "YITAOTU_BLOBS": "", "YITAOTU_KEY_PASSPHRASE": ""}

    def __call__(self, *args: str, code: int = 0, user: str | None = None) -> str:
        argv = list(args) + (["--as", user] if user else [])
        res = self.runner.invoke(cli, argv, env=self.env, catch_exceptions=False)
        assert res.exit_code == code, f"{argv}: {res.exit_code}\n{res.output}"
        return res.output

    def json(self, *args: str, user: str | None = None) -> object:
        return orjson.loads(self(*args, "--json", user=user))


def _write(d: Path, sheets: dict[str, bytes]) -> Path:
    d.mkdir(parents=True)
    for name, data in sheets.items():
        (d / f"{name}.dxf").write_bytes(data)
    return d


@pytest.fixture
def y(tmp_path: Path) -> Cli:
    c = Cli(tmp_path / "home")
    c("init")
    c("project", "create", CODE, "测试住宅楼 Test housing")
    people = [("甲设计院", "design", "des", None), ("乙审查中心", "review", "rev_a", "建筑"),
              ("乙审查中心", None, "rev_s", "结构"), ("丙建设公司", "owner", "own", None),
              ("丁施工公司", "contractor", "con", None), ("戊监理公司", "supervisor", "sup", None),
              ("市城建档案馆", "archivist", "arc", None)]
    for org, role, user, disc in people:
        if role:
            c("org", "add", org, *(["--alg", "sm2-sm3"] if role == "owner" else []))
            c("party", "add", CODE, role, org)
        c("user", "add", user, "--org", org, *(["--discipline", disc] if disc else []))
    return c


def ingest(y: Cli, tmp: Path, name: str, sheets: dict[str, bytes]) -> str:
    data = y.json("ingest", CODE, str(_write(tmp / name, sheets)), "-m", name)
    return data["version"]  # type: ignore[index]


def test_loop_end_to_end_then_tamper(y: Cli, tmp_path: Path) -> None:
    a1, s1 = sheet_dxf("A-101", "一层平面图"), sheet_dxf("S-201", "基础平面图")
    v1 = ingest(y, tmp_path, "r1", {"A-101 一层平面图": a1, "S-201 基础平面图": s1})
    y("submit", CODE, v1[:12], "--large", user="des")
    y("review", "accept", CODE, user="rev_a")
    y("opinion", "add", CODE, "A-101", "楼梯宽度不足", "--point", "800,140", "-c", "mandatory",
      user="rev_a")
    y("opinion", "add", CODE, "S-201", "补充说明", "--rect", "100,100,200,200", user="rev_s")
    out = y("review", "sign", CODE, user="rev_a", code=22)
    assert "#1" in out and "mandatory" in out
    y("review", "return", CODE, user="rev_a")
    y("opinion", "reply", CODE, "1", "已加宽", user="des")
    y("opinion", "reply", CODE, "2", "已补充", user="des")
    v2 = ingest(y, tmp_path, "r2", {"A-101 一层平面图": sheet_dxf("A-101", "一层平面图", extra=5),
                                    "S-201 基础平面图": s1})
    y("submit", CODE, v2[:12], user="des")
    ops = y.json("opinion", "list", CODE)
    assert [(o["number"], o["affected"]) for o in ops] == [(1, True), (2, False)]  # type: ignore
    diff = y.json("review", "diff", CODE)
    assert diff["changed"] == ["A-101"]  # type: ignore[index]
    y("review", "accept", CODE, user="rev_a")
    y("opinion", "close", CODE, "1", "同意", user="rev_a")
    y("review", "approve", CODE, user="rev_a", code=22)  # the disciplines have not signed
    y("review", "sign", CODE, user="rev_a")
    y("review", "sign", CODE, user="rev_s")
    y("review", "approve", CODE, user="rev_a")
    st = y.json("status", CODE)
    assert st["state"] == "construction" and st["refs"]["current"] == v2  # type: ignore[index]
    assert st["submissions"][0]["round"]["clock"]["limit"] == 15  # type: ignore[index]
    assert len(st["certificates"][0]["signers"]) == 3  # type: ignore[index]

    v3 = ingest(y, tmp_path, "r3", {"A-101 一层平面图": sheet_dxf("A-101", "一层平面图", extra=6)})
    y("change", "propose", CODE, v3[:12], "--reason", "业主要求", "--class", "major", user="des")
    y("change", "sign", CODE, user="des", code=22)  # not confirmed yet
    y("change", "confirm", CODE, user="own")
    y("change", "confirm", CODE, user="own", code=22)  # once per party
    y("change", "confirm", CODE, user="sup")
    y("change", "sign", CODE, user="des")
    st = y.json("status", CODE)
    assert st["submissions"][1]["state"] == "submitted"  # type: ignore[index]
    assert st["open_changes"] == {"in_review": ["C-1"]}  # type: ignore[index]
    y("review", "accept", CODE, user="rev_a")
    y("review", "sign", CODE, user="rev_a")
    y("review", "approve", CODE, user="rev_a")
    assert y.json("status", CODE)["refs"]["current"] == v3  # type: ignore[index]

    v4 = ingest(y, tmp_path, "r4", {"A-101 一层平面图": sheet_dxf("A-101", "一层平面图", extra=6,
                                                                  box=900)})
    y("asbuilt", "submit", CODE, v4[:12], user="con")
    y("accept", CODE, user="own", code=22)  # needs both confirmations
    y("asbuilt", "confirm", CODE, user="sup")
    y("asbuilt", "confirm", CODE, user="own")
    y("accept", CODE, user="own")
    y("archive", CODE, user="arc")
    st = y.json("status", CODE)
    assert st["state"] == "archived"  # type: ignore[index]
    assert [f["sheet"] for f in st["as_built"]["redraw"]] == ["A-101"]  # type: ignore[index]
    assert "A-101" in y("status", CODE)

    assert "archive" in y("audit", "log", CODE)
    assert "完整 OK" in y("audit", "verify", CODE)
    inbox = y.json("inbox", user="rev_a")
    assert any("Submit" in m["message"] for m in inbox)  # type: ignore[union-attr]
    assert "stateDiagram-v2" in y("workflow", "graph")
    log = y.json("audit", "log", CODE)
    approve_at = [e["at"] for e in log if e["event"] == "approve"][0]  # type: ignore[index]
    proof = y.json("audit", "at", CODE, approve_at)
    assert proof["version"]["id"] == v2 and proof["proof"]["event"] == "approve"  # type: ignore
    assert y.json("show", CODE, "--at", approve_at) == proof
    assert "施工现行版 set in force" in y("show", CODE, "--at", approve_at)

    # the signed move of `current` edited in the reflog: no set is named, no proof cited
    db = sqlite3.connect(y.home / "yitaotu.db")
    with db:
        db.execute("update reflog set new = ? where ref = 'current' and seq = 1", (v1,))
    for cmd in (("audit", "at"), ("show",)):
        out = y(*cmd, CODE, *(["--at"] if cmd == ("show",) else []), approve_at, code=50)
        assert out.startswith("error: ") and out.count("\n") == 1 and "reflog current #1" in out
    assert "reflog current #1: new" in y("audit", "verify", CODE, code=50)
    with db:
        db.execute("update reflog set new = ? where ref = 'current' and seq = 1", (v2,))
    # the first submission set back from approved to in_review: approving again is refused
    with db:
        db.execute("update wf_submissions set state = 'in_review' where number = 1")
    out = y("review", "approve", CODE, "S-1", user="rev_a", code=50)
    assert "submission 1 state is in_review" in out and "approved" in out
    with db:
        db.execute("update wf_submissions set state = 'approved' where number = 1")
    db.close()
    assert "完整 OK" in y("audit", "verify", CODE)

    # an anchor kept outside: removing the newest events (undetectable by the chain alone)
    anchor = y("audit", "head", CODE).splitlines()[0]
    assert y.json("audit", "head", CODE)["anchor"] == anchor
    assert "完整 OK" in y("audit", "verify", CODE, "--anchor", anchor)
    seq, digest = anchor.split(":")
    assert "bad anchor" in y("audit", "verify", CODE, "--anchor", seq, code=20)
    forged = f"{seq}:{'0' * 64}"
    assert "rewritten" in y("audit", "verify", CODE, "--anchor", forged, code=50)
    db = sqlite3.connect(y.home / "yitaotu.db")
    with db:
        (last,) = db.execute("select max(seq) from wf_audit").fetchone()
        saved = db.execute("select * from wf_audit where seq = ?", (last,)).fetchone()
        db.execute("delete from wf_audit where seq = ?", (last,))
    # the chain alone ends cleanly one event earlier; the rows that event wrote betray it
    out = y("audit", "verify", CODE, code=50)
    assert "refs archived: 多余的行 row not in the audit chain" in out
    assert "wf_flows" in out and "removed" not in out
    out = y("audit", "verify", CODE, "--anchor", anchor, code=50)
    assert f"anchor #{seq}" in out and "removed" in out
    with db:
        marks = ",".join("?" * len(saved))
        db.execute(f"insert into wf_audit values ({marks})", saved)
    db.close()
    assert "完整 OK" in y("audit", "verify", CODE, "--anchor", anchor)

    # alter one byte of the audit table and one blob: `audit verify` names both
    db = sqlite3.connect(y.home / "yitaotu.db")
    with db:
        db.execute("update wf_audit set body = replace(body, '楼梯宽度不足', '楼梯宽度充足') "
                   "where event = 'opinion_add'")
    db.close()
    blob = orjson.loads(y("show", f"{CODE}:{v1}", "--json"))["manifest"]["S-201"]["blob"]
    path = y.home / "objects" / blob[:2] / blob[2:]
    path.chmod(0o644)
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0x20
    path.write_bytes(bytes(raw))
    out = y("audit", "verify", CODE, code=50)
    assert "#3 (opinion_add)" in out and "hash mismatch" in out
    assert blob in out


def test_errors_are_one_line(y: Cli) -> None:
    out = y("submit", CODE, "head", code=20)  # nobody is acting
    assert "YITAOTU_USER" in out
    assert "no such user" in y("status", CODE, "--as", "ghost", code=40)
    out = y("review", "accept", CODE, user="des", code=22)
    assert "allowed now" in out
    assert "Traceback" not in out
