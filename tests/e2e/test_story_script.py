"""The README's workflow story is scripts/story.sh, and it runs (the CLI as a user types it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def _block(text: str, begin: str, end: str) -> str:
    start = text.index(begin) + len(begin)
    return text[start:text.index(end, start)].strip()


def test_the_readme_shows_the_script() -> None:
    script = (REPO / "scripts" / "story.sh").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = _block(readme[readme.index("## 闭环流程 Workflow"):], "```sh\n", "```")
    assert shown == _block(script, "# --- story begin\n", "# --- story end")


def test_the_story_runs(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "YITAOTU_HOME": str(tmp_path / "home"), "YITAOTU_USER": ""}
    for k in ("YITAOTU_DATABASE_URL", "YITAOTU_BLOBS", "YITAOTU_KEY_PASSPHRASE"):
        env.pop(k, None)
    res = subprocess.run(["bash", str(REPO / "scripts" / "story.sh")], env=env, text=True,
                         capture_output=True, timeout=1200, check=False)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    # the two refusals the story shows, then the six moments
    assert "refused: C-3 must be rebased first" in out
    assert "refused: C-2's door would be lost" in out and "3 missing of 3 added" in out
    moments = out.split("施工现行版 set in force")[1:]
    assert len(moments) == 5 and "no set was in force" in out  # T0: nothing yet
    last = moments[-1]
    for sheet, source in (("S-01", "S-1"), ("S-02", "S-1"), ("A-101", "C-3"), ("A-102", "C-3"),
                          ("S-101", "C-1")):
        assert any(line.split("\t")[0].strip() == sheet and line.split("\t")[2] == source
                   for line in last.splitlines() if "\t" in line), (sheet, last)
    assert "完整 OK" in out
