"""Only `yitaotu init` creates the home: every other command on a missing home (a typo in
YITAOTU_HOME) says so and leaves nothing behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.cli import CODE, yt


@pytest.mark.parametrize(
    "args",
    [["fsck"], ["verify"], ["log", CODE], ["project", "list"], ["gc", "--dry-run"],
     ["project", "create", CODE, "p"], ["org", "add", "甲设计院"], ["status", CODE]],
)
def test_missing_home_is_not_created(home: Path, args: list[str]) -> None:
    out = yt(*args, code=60)
    assert "not initialised: run `yitaotu init`" in out and str(home) in out
    assert not home.exists()


def test_missing_blob_directory(home: Path) -> None:
    yt("init")
    shutil.rmtree(home / "objects")
    assert "blob directory" in yt("fsck", code=60)
    assert not (home / "objects").exists()
    yt("init")  # init makes what is missing
    assert "完好 ok" in yt("fsck")
