"""`yitaotu diff` end to end: files, damaged files, markup DXF, set versions through the store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ezdxf
import pytest
from click.testing import CliRunner

from tests.e2e.cli import CODE, yt
from tests.gen.floorplan import edit_plan, make_plan, write_dxf, write_pdf
from yitaotu.cli import cli


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("pair")
    plan = make_plan((4, 3), seed=5)
    new, _ = edit_plan(plan, seed=6, modify=6, add=2, remove=2)
    write_dxf(plan, d / "old.dxf")
    write_dxf(new, d / "new.dxf", shuffle=1, handle_start=0x4000)
    return d / "old.dxf", d / "new.dxf"


def test_same_file_exits_0(pair):
    out = yt("diff", str(pair[0]), str(pair[0]))
    assert "无变化 No changes" in out


def test_changes_exit_1_text_and_json(pair, tmp_path):
    out = yt("diff", str(pair[0]), str(pair[1]), code=1)
    assert "汇总 Summary" in out and "按图层 By layer" in out and "修改 modified" in out
    data = json.loads(yt("diff", str(pair[0]), str(pair[1]), "--format", "json", code=1))
    assert data["engine"] == "yitaotu-diff/1"
    assert data["summary"] == {"added": 2, "removed": 2, "modified": 6,
                               "unchanged": data["old"]["entities"] - 8}
    assert len(data["old"]["blob"]) == 64 and data["old"]["format"] == "dxf"
    assert {c["cluster"] for c in data["changes"]} == {c["id"] for c in data["clusters"]}
    out_file = tmp_path / "report.json"
    assert yt("diff", str(pair[0]), str(pair[1]), "--json", "-o", str(out_file), code=1) == ""
    assert json.loads(out_file.read_text("utf-8")) == data


def test_markup_dxf(pair, tmp_path):
    out = tmp_path / "marked.dxf"
    data = json.loads(yt("diff", str(pair[0]), str(pair[1]), "--json", "--dxf", str(out),
                         code=1))
    doc = ezdxf.readfile(out)
    for layer in ("YTT-ADDED", "YTT-REMOVED", "YTT-MODIFIED", "YTT-CLOUD"):
        assert layer in doc.layers
    msp = doc.modelspace()
    clouds = msp.query('LWPOLYLINE[layer=="YTT-CLOUD"]')
    assert len(clouds) == len(data["clusters"])
    assert all(c.closed and any(b for *_, b in c.get_points("xyb")) for c in clouds)
    assert len(msp.query('*[layer=="YTT-REMOVED"]')) >= 2
    assert len(msp.query('*[layer=="YTT-ADDED"]')) >= 2
    # the new drawing itself is all there
    assert len(msp.query('*[layer!="YTT-ADDED" & layer!="YTT-REMOVED" & layer!="YTT-MODIFIED"'
                         ' & layer!="YTT-CLOUD"]')) == len(ezdxf.readfile(pair[1]).modelspace())


def test_ignore_style_and_tolerance(tmp_path):
    plan = make_plan((2, 2), seed=1)
    recoloured = make_plan((2, 2), seed=1)
    recoloured.items[0].color = 1
    write_dxf(plan, tmp_path / "a.dxf")
    write_dxf(recoloured, tmp_path / "b.dxf")
    out = yt("diff", str(tmp_path / "a.dxf"), str(tmp_path / "b.dxf"), code=1)
    assert "样式 style" in out
    yt("diff", str(tmp_path / "a.dxf"), str(tmp_path / "b.dxf"), "--ignore-style")
    nudged = make_plan((2, 2), seed=1)
    (x, y) = nudged.items[4].p["c"]
    nudged.items[4].p["c"] = (x + 0.001, y)
    write_dxf(nudged, tmp_path / "c.dxf")
    yt("diff", str(tmp_path / "a.dxf"), str(tmp_path / "c.dxf"), code=1)
    yt("diff", str(tmp_path / "a.dxf"), str(tmp_path / "c.dxf"), "--tolerance", "0.01")


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, pair, corpus) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("damaged")
    good = pair[0].read_bytes()
    dwg = (corpus / "pairs/acadsharp-sample-ac1032-dwg/r1_7bc26dd.dwg").read_bytes()
    write_pdf(make_plan((2, 2), seed=1), d / "whole.pdf")
    pdf = (d / "whole.pdf").read_bytes()
    files = {
        "empty.dxf": b"",
        "truncated.dxf": good[: len(good) // 3],
        "garbage.dxf": bytes(range(256)) * 40,
        "not-a-drawing.dxf": "这不是图纸 just text\n".encode() * 10,
        "truncated.dwg": dwg[:20000],
        "truncated.pdf": pdf[: len(pdf) // 2],
    }
    out = {}
    for name, data in files.items():
        p = d / name
        p.write_bytes(data)
        out[name.split(".")[0] if name.endswith(".dxf") else name] = p
    return out


@pytest.mark.parametrize("name", ["empty", "truncated", "garbage", "not-a-drawing",
                                  "truncated.dwg", "truncated.pdf"])
def test_damaged_file_exit_2_names_the_file(pair, damaged, name):
    bad = damaged[name]
    for args in ((str(pair[0]), str(bad)), (str(bad), str(pair[0]))):
        result = CliRunner().invoke(cli, ["diff", *args])
        assert result.exit_code == 2, (name, result.output, result.exception)
        assert str(bad) in result.output
        assert "Traceback" not in result.output


def test_missing_file_and_unknown_sheet(pair):
    result = CliRunner().invoke(cli, ["diff", str(pair[0]), "/nonexistent/x.dxf"])
    assert result.exit_code == 2 and "/nonexistent/x.dxf" in result.output
    result = CliRunner().invoke(cli, ["diff", str(pair[0]), str(pair[1]), "--sheet", "无此图"])
    assert result.exit_code == 2 and "无此图" in result.output


def test_subprocess_exit_codes(pair, damaged):
    exe = [str(Path(sys.executable).parent / "yitaotu")]
    r = subprocess.run([*exe, "diff", str(pair[0]), str(pair[1]), "--format", "quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == ""
    r = subprocess.run([*exe, "diff", str(pair[0]), str(damaged["truncated"])],
                       capture_output=True, text=True)
    assert r.returncode == 2 and str(damaged["truncated"]) in r.stderr
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------------------ set versions


def _version_id(ingest_json: dict) -> str:
    v = ingest_json["version"]
    return v["id"] if isinstance(v, dict) else v


def test_set_versions(home, tmp_path):
    yt("init")
    yt("project", "create", CODE, "示例住宅")
    v1 = tmp_path / "v1"
    v2 = tmp_path / "v2"
    v1.mkdir()
    v2.mkdir()
    p1, p2 = make_plan((3, 2), seed=1), make_plan((2, 2), seed=2)
    write_dxf(p1, v1 / "A-101 一层平面图.dxf")
    write_dxf(p2, v1 / "A-102 二层平面图.dxf")
    r1 = json.loads(yt("ingest", CODE, str(v1), "-m", "first", "--json"))
    p1b, _ = edit_plan(p1, seed=3, modify=3, add=1, remove=1)
    write_dxf(p1b, v2 / "A-101 一层平面图.dxf", shuffle=2, handle_start=0x3000)
    write_dxf(make_plan((2, 1), seed=9), v2 / "A-103 屋顶平面图.dxf")
    r2 = json.loads(yt("ingest", CODE, str(v2), "-m", "second", "--json"))
    a, b = _version_id(r1), _version_id(r2)

    out = yt("diff", CODE, a, b, code=1)
    assert "A-101" in out and "修改 changed" in out and "新增 added" in out
    data = json.loads(yt("diff", CODE, a, b, "--json", code=1))
    status = {s["sheet"]: s for s in data["sheets"]}
    assert status["A-101"]["status"] == "changed"
    assert status["A-101"]["summary"] == {"added": 1, "removed": 1, "modified": 3,
                                          "unchanged": len(p1.items) - 4}
    assert status["A-102"]["status"] == "unchanged" and status["A-102"]["summary"] is None
    assert status["A-103"]["status"] == "added"
    # the same, spelled as references; and one sheet's report (from the cache now)
    assert json.loads(yt("diff", f"{CODE}:{a}", f"{CODE}:{b}", "--json", code=1)) == data
    one = json.loads(yt("diff", CODE, a, b, "--sheet", "A-101", "--json", code=1))
    assert one["summary"] == status["A-101"]["summary"]
    assert one["old"]["blob"] == status["A-101"]["old"]["blob"]
    fresh = json.loads(yt("diff", CODE, a, b, "--sheet", "A-101", "--json", "--no-cache",
                          code=1))
    assert fresh["changes"] == one["changes"]
    yt("diff", CODE, a, a)
    # sheet references (as `yitaotu render` takes them), and a stored sheet against a file
    by_ref = json.loads(yt("diff", f"{CODE}:{a}:A-101", f"{CODE}:{b}:A-101", "--json", code=1))
    assert by_ref["changes"] == one["changes"]
    mixed = json.loads(yt("diff", f"{CODE}:{a}:A-101", str(v2 / "A-101 一层平面图.dxf"),
                          "--json", code=1))
    assert mixed["summary"] == one["summary"]
    assert mixed["old"]["path"] == f"{CODE}:{a}:A-101"
    yt("diff", f"{CODE}:{b}:A-101", str(v2 / "A-101 一层平面图.dxf"))
    result = CliRunner().invoke(cli, ["diff", f"{CODE}:{a}", str(v2 / "A-101 一层平面图.dxf")])
    assert result.exit_code == 2 and "SHEETNO" in result.output
    marked = tmp_path / "A-101.dxf"
    yt("diff", CODE, a, b, "--sheet", "A-101", "--dxf", str(marked), code=1)
    assert "YTT-CLOUD" in ezdxf.readfile(marked).layers
    result = CliRunner().invoke(cli, ["diff", CODE, a, b, "--sheet", "Z-999"])
    assert result.exit_code == 2 and "Z-999" in result.output


def test_overlay_picture(pair, tmp_path):
    out = tmp_path / "overlay.png"
    yt("diff", str(pair[0]), str(pair[1]), "--overlay", str(out), "--format", "quiet", code=1)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
