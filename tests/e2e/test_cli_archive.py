"""`yitaotu archive create | verify | list`, `archive PROJECT`, `inspect` and `verify --deep`
as a user types them, on an accepted project made through the services in the CLI's home."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import orjson
import pytest

from tests.e2e.test_cli_workflow import Cli
from tests.workflow.archive_story import archived_story
from tests.workflow.helpers import CODE, setup_world


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, dict]:
    from storage.blobs import open_blob_store
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade
    from workflow.signing import KeyRing

    home = tmp_path_factory.mktemp("cli-archive") / "home"
    home.mkdir()
    eng = make_engine(f"sqlite:///{home / 'yitaotu.db'}")
    upgrade(eng)
    w = setup_world(session_factory(eng), open_blob_store((home / "objects").as_uri(),
                                                          create=True),
                    KeyRing(home / "keys", passphrase=""))
    moments = archived_story(w)
    eng.dispose()
    return Cli(home), moments


def test_create_verify_move_list(home: tuple[Cli, dict], tmp_path: Path) -> None:
    y, _ = home
    out = tmp_path / "归档.zip"
    y("archive", "create", CODE, "-o", str(out), "--as", "own", code=22)  # not the archivist
    made = y.json("archive", "create", CODE, "-o", str(out), user="arc")
    assert made["sheets"] == 4 and made["signed_by"] == ["user:arc", "org:市城建档案馆"]
    y("archive", "create", CODE, "-o", str(out), code=20, user="arc")  # never overwritten
    text = y("archive", "verify", str(out))
    assert "真实性 通过 pass" in text and "四性检测通过 all four checks pass" in text
    assert y.json("archive", "verify", str(out))["ok"] is True
    head = y.json("audit", "head", CODE)["anchor"]
    keys = [s["key"] for s in orjson.loads(zipfile.ZipFile(out).read(
        "归档/yitaotu-signature.json"))["signatures"]]
    kept = y("archive", "verify", str(out), "--anchor", head, "--key", keys[0], "--key", keys[1])
    assert "外部锚点" not in kept  # passing items are listed with -v only
    assert "✗ 真实性 已知密钥" in y("archive", "verify", str(out), "--key", keys[0], code=50)
    # a byte of a sheet flipped inside the zip: exit 50, the file named
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for m in src.infolist():
            data = src.read(m)
            if m.filename.endswith("data/sheets/A-101.dxf"):
                data = data.replace(b"A-WALL", b"B-WALL", 1)
            dst.writestr(m, data)
    text = y("archive", "verify", str(bad), code=50)
    assert "✗ 真实性 sha256 data/sheets/A-101.dxf" in text
    # the bare form still moves `archived`
    assert "归档 Archived" in y("archive", CODE, "--as", "arc")
    assert y.json("status", CODE)["refs"]["archived"] == made["version"]
    listed = y.json("archive", "list", CODE, "--at", "2060-01-01")
    assert listed[0]["path"] == str(out.resolve()) and listed[0]["due"]
    assert "到期待鉴定 due for appraisal: 0" in y("archive", "list")


def test_inspect_and_deep_verify(home: tuple[Cli, dict], tmp_path: Path) -> None:
    y, m = home
    pull = tmp_path / "pull.zip"
    text = y("inspect", "--project", CODE, "--at", m["between"].isoformat(), "-o", str(pull),
             "--as", "ins")
    assert m["approved_first"] in text and "S-01" in text and "A-101" not in text
    assert "四性检测通过" in y("archive", "verify", str(pull))
    before = y("inspect", "--project", CODE, "--at", m["before"].isoformat(), "-o",
               str(tmp_path / "none.zip"), "--as", "ins", code=40)
    assert "no set was in force" in before and not (tmp_path / "none.zip").exists()
    unit = y.json("inspect", "--unit", m["unit"], "--at", m["after"].isoformat(), "-o",
                  str(tmp_path / "unit"), user="ins")
    assert sorted(unit["sheets"]) == ["A-101", "S-01", "S-02", "S-101"]
    y("inspect", "--at", m["after"].isoformat(), "-o", str(tmp_path / "x"), code=20)
    deep = y.json("verify", CODE, "--deep")
    assert deep["ok"] and deep["deep"]["ok"]
    assert set(deep["deep"]["checks"]) == {"authenticity", "integrity", "usability", "security"}


def test_deep_verify_names_a_damaged_blob(home: tuple[Cli, dict], tmp_path: Path) -> None:
    y, _ = home
    copy = tmp_path / "home"
    shutil.copytree(y.home, copy)
    c = Cli(copy)
    oid = orjson.loads(c("ls", f"{CODE}:current", "--json"))[0]["blob"]
    f = copy / "objects" / oid[:2] / oid[2:]
    f.chmod(0o644)
    f.write_bytes(f.read_bytes().replace(b"A-WALL", b"B-WALL", 1))
    out = c("verify", CODE, "--deep", code=50)
    assert oid[:12] in out
