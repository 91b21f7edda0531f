"""The foundation CLI end to end: CliRunner in-process, plus a few real subprocess calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.drawings.sheets import make_dxf
from tests.e2e.cli import CODE, yt
from yitaotu.cli import cli


def js(*args: str):
    return json.loads(yt(*args, "--json"))


def test_walkthrough(home: Path, tmp_path: Path) -> None:
    assert js("init")["home"] == str(home)
    assert js("init")["home"] == str(home)  # idempotent
    out = yt(
        "project",
        "create",
        CODE,
        "示例住宅",
        "--location",
        "北京市东城区",
        "--party",
        "设计=甲设计院",
        "--party",
        "建设=乙开发公司",
    )
    assert CODE in out
    assert [p["code"] for p in js("project", "list")] == [CODE]
    shown = js("project", "show", CODE)
    assert shown["parties"] == [
        {"role": "设计", "organisation": "甲设计院"},
        {"role": "建设", "organisation": "乙开发公司"},
    ]
    assert "甲设计院" in yt("project", "show", CODE)

    unit = js(
        "unit",
        "add",
        CODE,
        "--division",
        "110101",
        "--year",
        "2025",
        "--name",
        "1#楼",
        "--floors-above",
        "18",
        "--floors-below",
        "2",
        "--floor-area",
        "12000.5",
        "--height",
        "54.3",
        "--structure-type",
        "框架-剪力墙",
        "--use",
        "住宅",
        "--footprint",
        "POLYGON((116.4 39.9, 116.401 39.9, 116.401 39.901, 116.4 39.9))",
    )
    assert unit["code"] == "110101202500000019" and unit["floors_above"] == 18
    assert js("unit", "show", unit["code"])["use"] == "住宅"
    assert "框架-剪力墙" in yt("unit", "show", unit["code"])
    assert [u["code"] for u in js("unit", "list", CODE)] == [unit["code"]]
    spare = js("unit", "add", CODE, "--division", "110101", "--year", "2025")["code"]
    assert js("unit", "delete", spare) == {"deleted": spare}
    yt("unit", "add", CODE, "--code", spare, code=21)  # never reused
    assert js("unit", "add", CODE, "--division", "110101", "--year", "2025")["code"] != spare

    d = tmp_path / "set"
    make_dxf(d / "A-101 一层平面图.dxf", "A-101", "一层平面图", seed=1)
    make_dxf(d / "A-102 二层平面图.dxf", "A-102", "二层平面图", seed=2)
    r1 = js("ingest", CODE, str(d), "-m", "首次提交", "--unit", unit["code"])
    assert r1["changed"] and r1["added"] == ["A-101", "A-102"]
    assert "没有变化 nothing changed" in yt("ingest", CODE, str(d))
    make_dxf(d / "A-102 二层平面图.dxf", "A-102", "二层平面图", seed=5)
    r2 = js("ingest", CODE, str(d / "A-102 二层平面图.dxf"), "-m", "修改二层")
    assert r2["modified"] == ["A-102"]

    log = js("log", CODE)
    assert [v["id"] for v in log] == [r2["version"], r1["version"]]
    assert "修改二层" in yt("log", CODE)
    assert js("log", CODE, "--reflog")[0]["actor"] == "张工"
    shown = js("show", f"{CODE}:head")
    assert shown["id"] == r2["version"] and shown["changes"]["modified"] == ["A-102"]
    assert js("show", r1["version"][:10])["id"] == r1["version"]
    assert js("show", f"{CODE}:head~1")["id"] == r1["version"]
    assert "~ A-102" in yt("show", f"{CODE}:head")
    sheets = js("ls", f"{CODE}:head")
    assert [s["sheet"] for s in sheets] == ["A-101", "A-102"]
    assert sheets[0]["title"] == "一层平面图" and sheets[0]["unit"] == unit["code"]
    assert "一层平面图" in yt("ls", f"{CODE}:head")

    out_dir = tmp_path / "export"
    exported = js("export", f"{CODE}:head", str(out_dir))
    assert sorted(f["file"] for f in exported["files"]) == ["A-101.dxf", "A-102.dxf"]
    assert (out_dir / "A-102.dxf").read_bytes() == (d / "A-102 二层平面图.dxf").read_bytes()
    assert json.loads((out_dir / "manifest.json").read_text())["version"] == r2["version"]
    yt("export", f"{CODE}:head", str(out_dir), code=20)  # not empty

    assert js("verify", CODE)["ok"]
    assert js("fsck")["ok"]
    assert js("gc", "--dry-run")["deleted"] == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["project", "create", "2023-1101-04-01-123450", "x"], 20, "YYYY-RRRRRR-DD-TT-NNNNNC"),
        (["project", "create", CODE, "dup"], 21, "already exists"),
        (["project", "show", "2024-110105-04-01-000001"], 40, "no such project"),
        (["project", "create", "2024-110105-04-01-000001", "x", "--party", "设计"], 20, "ROLE="),
        (["unit", "add", CODE], 20, "--division"),
        (["unit", "add", CODE, "--code", "110101202500000018"], 20, "check character"),
        (["unit", "add", CODE, "--scheme", "nope", "--division", "110101"], 40, "unknown"),
        (["unit", "show", "110101202500000018"], 40, "no such building unit"),
        (["show", f"{CODE}:head"], 40, "not set"),
        (["show", "deadbeef"], 40, "no version"),
        (["show", ":"], 20, "PROJECT:REV"),
        (["log", CODE, "--ref", "approved"], 40, "not set"),
        (["ingest", CODE, "/nonexistent/file.dxf"], 20, "no such file"),
        (["ingest", CODE], 2, "Missing argument"),  # click usage error
    ],
)
def test_errors_are_one_line(home: Path, args, code, message) -> None:
    yt("init")
    yt("project", "create", CODE, "p")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    if code != 2:
        assert result.output.startswith("error: ") and result.output.count("\n") == 1


def test_bad_file_leaves_nothing(home: Path, tmp_path: Path) -> None:
    yt("init")
    yt("project", "create", CODE, "p")
    d = tmp_path / "set"
    make_dxf(d / "A-101.dxf", "A-101")
    (d / "A-102.dxf").write_bytes(b"")
    out = yt("ingest", CODE, str(d), code=20)
    assert "A-102.dxf" in out and "empty" in out
    assert js("fsck")["checked"]["store_blobs"] == 0
    yt("log", CODE, code=40)


def test_not_initialised(home: Path) -> None:
    out = yt("project", "list", code=60)
    assert "yitaotu init" in out


def test_real_subprocess(home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "YITAOTU_HOME": str(home)}
    exe = (
        [sys.executable, "-m", "yitaotu.cli"]
        if False
        else [str(Path(sys.executable).parent / "yitaotu")]
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*exe, *args], env=env, capture_output=True, text=True, timeout=120)

    assert run("init").returncode == 0
    assert run("project", "create", CODE, "子进程").returncode == 0
    make_dxf(tmp_path / "in" / "A-101.dxf", "A-101")
    r = run("ingest", CODE, str(tmp_path / "in"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == ["A-101"]
    bad = run("project", "create", "nonsense", "x")
    assert (
        bad.returncode == 20 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    )
    assert run("fsck").returncode == 0


def test_concurrent_ingest_processes_all_land(home: Path, tmp_path: Path) -> None:
    """Several `yitaotu ingest` processes at once on the SQLite home: each waits for the
    others' rows (none fails with "database is locked") and the set holds every sheet."""
    env = {**os.environ, "YITAOTU_HOME": str(home)}
    exe = str(Path(sys.executable).parent / "yitaotu")
    yt("init")
    yt("project", "create", CODE, "p")
    dirs = []
    for i in range(5):
        make_dxf(tmp_path / f"s{i}" / f"A-{i:03d}.dxf", f"A-{i:03d}", seed=i)
        dirs.append(tmp_path / f"s{i}")
    procs = [
        subprocess.Popen(
            [exe, "ingest", CODE, str(d), "-m", d.name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for d in dirs
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [err for _out, err in outs]
    assert sorted(r["sheet"] for r in js("ls", f"{CODE}:head")) == [
        f"A-{i:03d}" for i in range(5)
    ]
    assert len(js("log", CODE)) == 5  # each built on the one before
    assert js("fsck")["ok"]


def test_verify_fsck_gc_find_and_fix(home: Path, tmp_path: Path) -> None:
    from storage.blobs import open_blob_store

    yt("init")
    yt("project", "create", CODE, "p")
    make_dxf(tmp_path / "in" / "A-101.dxf", "A-101")
    make_dxf(tmp_path / "in" / "A-102.dxf", "A-102", seed=3)
    r = js("ingest", CODE, str(tmp_path / "in"))
    store = open_blob_store((home / "objects").as_uri())
    orphan = store.put_bytes(b"left behind by an interrupted ingest")
    (home / "objects" / ".deadbeef.tmp").write_bytes(b"partial")
    report = js("fsck")
    assert report["ok"] and len(report["cleanable"]) == 2
    assert any(orphan in c for c in report["cleanable"])
    young = js("gc")  # default grace 24h: what an ingest may still be about to name stays
    assert young["deleted"] == [] and young["kept_young"] == [orphan] and store.has(orphan)
    assert "bad duration" in yt("gc", "--grace", "soon", code=20)
    assert js("gc", "--grace", "0")["deleted"] == [orphan]
    assert js("fsck")["cleanable"] == []

    blob = js("ls", f"{CODE}:head")[0]["blob"]
    path = home / "objects" / blob[:2] / blob[2:]
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"tampered")
    out = yt("verify", CODE, code=50)
    assert blob[:12] in out and "corrupt" in out
    path.unlink()
    out = yt("fsck", code=50)
    assert f"blob {blob} is referenced but missing" in out
    assert r["version"]
