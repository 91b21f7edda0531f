"""`yitaotu render` and `yitaotu diff --overlay` end to end: files, store references, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from tests.e2e.cli import CODE, yt
from tests.gen.floorplan import edit_plan, make_plan, write_dxf
from yitaotu.cli import cli


@pytest.fixture(scope="module")
def plan_dxf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "A-101 一层平面图.dxf"
    write_dxf(make_plan((3, 2), seed=7), path)
    return path


@pytest.mark.parametrize("ext", ["png", "pdf", "svg"])
def test_render_file(plan_dxf, tmp_path, ext):
    out = tmp_path / f"sheet.{ext}"
    yt("render", str(plan_dxf), "-o", str(out), *(["--width", "900"] if ext == "png" else []))
    data = out.read_bytes()
    if ext == "png":
        assert pymupdf.Pixmap(data).width == 900
    elif ext == "pdf":
        assert "卧室" in pymupdf.open(out)[0].get_text()  # Chinese room names stay text
    else:
        assert b"<svg" in data[:300] and b"<text" in data


def test_render_json_summary(plan_dxf, tmp_path):
    out = tmp_path / "s.svg"
    info = json.loads(yt("render", str(plan_dxf), "-o", str(out), "--json"))
    assert info["output"] == str(out) and info["format"] == "svg" and info["sheet"] == "Model"
    assert info["bytes"] == out.stat().st_size and info["entities"] > 10
    assert info["renderer"].startswith("yitaotu-render/")


def test_render_dpi_and_paper(plan_dxf, tmp_path):
    out = tmp_path / "a4.png"
    yt("render", str(plan_dxf), "-o", str(out), "--dpi", "50", "--paper", "A4")
    pix = pymupdf.Pixmap(str(out))
    long_side, short_side = sorted((pix.width, pix.height), reverse=True)
    assert abs(long_side - 297 / 25.4 * 50) <= 1 and abs(short_side - 210 / 25.4 * 50) <= 1


@pytest.mark.parametrize(
    "args, needle",
    [
        (["render", "{missing}", "-o", "{out}.png"], "no such file"),
        (["render", "{garbage}", "-o", "{out}.png"], "garbage.dxf"),
        (["render", "{dxf}", "-o", "{out}.gif"], "gif"),
        (["render", "{dxf}", "-o", "{out}.png", "--layout", "Nope"], "Nope"),
        (["render", "{dxf}", "-o", "{out}.png", "--dpi", "100", "--width", "9"], "--width"),
        (["render", "{dxf}", "-o", "{out}.png", "--paper", "B9"], "B9"),
    ],
)
def test_bad_input_exits_2(plan_dxf, tmp_path, args, needle):
    garbage = tmp_path / "garbage.dxf"
    garbage.write_bytes(b"this is not a drawing at all\n" * 10)
    subs = {
        "missing": str(tmp_path / "none.dxf"),
        "garbage": str(garbage),
        "dxf": str(plan_dxf),
        "out": str(tmp_path / "out"),
    }
    result = CliRunner().invoke(cli, [a.format(**subs) for a in args])
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output
    assert not list(tmp_path.glob("out*"))  # nothing written


def test_diff_overlay(tmp_path):
    plan = make_plan((3, 2), seed=8)
    new, _ = edit_plan(plan, seed=9, modify=3, add=2, remove=2)
    write_dxf(plan, tmp_path / "old.dxf")
    write_dxf(new, tmp_path / "new.dxf", shuffle=3, handle_start=0x5000)
    out = tmp_path / "overlay.png"
    yt("diff", str(tmp_path / "old.dxf"), str(tmp_path / "new.dxf"), "--overlay", str(out), code=1)
    assert pymupdf.Pixmap(str(out)).width > 1000


def test_render_store_reference(home, plan_dxf, tmp_path):
    yt("init")
    yt("project", "create", CODE, "示例住宅")
    folder = tmp_path / "v1"
    folder.mkdir()
    (folder / plan_dxf.name).write_bytes(plan_dxf.read_bytes())
    ingested = json.loads(yt("ingest", CODE, str(folder), "-m", "first", "--json"))
    version = ingested["version"]
    version = version["id"] if isinstance(version, dict) else version
    out = tmp_path / "store.pdf"
    yt("render", f"{CODE}:{version}:A-101", "-o", str(out))
    assert "卧室" in pymupdf.open(out)[0].get_text()
    result = CliRunner().invoke(cli, ["render", f"{CODE}:{version}:Z-999", "-o", str(out)])
    assert result.exit_code == 2 and "Z-999" in result.output
