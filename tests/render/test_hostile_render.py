"""The hostile drawings of issue #10 §3 through `yitaotu render`, `yitaotu diff --overlay` and
the tile pyramid, each in its own process under a 2 GiB address space and a timeout (as the
fuzz runs them): each finishes, with a warning naming the file where it drew an outline.
On main they took over 4 GB or two minutes (README, "Render limits")."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fuzz import hostile
from tests.fuzz.harness import Outcome, Zygote

pytestmark = pytest.mark.skipif(os.name != "posix", reason="fork and RLIMIT_AS")

MEM_LIMIT = 2 << 30
#: A hang detector, not a timing assertion: each takes seconds.
TIMEOUT = 240.0
CELLS = "MINSERT of 1e+10 cells, over YITAOTU_RENDER_MAX_CELLS"
FANOUT = "would draw 8.8e+12 entities, over YITAOTU_RENDER_MAX_ENTITIES"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile")
    plain = hostile.dxf_with_entities(d / "plain.dxf", hostile._line(0.0, 0.0, 100.0, 100.0))
    return {
        "plain": plain,
        "minsert": hostile.minsert_dxf(d / "minsert.dxf"),  # 1e5 x 1e5 cells of 600 lines
        "fanout": hostile.fanout_dxf(d / "fanout.dxf"),  # 8 wide, 14 deep
        "tiny-pattern": hostile.hatch_dxf(d / "tiny-pattern.dxf", scale=1e-6, copies=100),
        "huge-pattern": hostile.hatch_dxf(d / "huge-pattern.dxf", scale=1e300, copies=100),
        "coords": hostile.huge_coords_dxf(d / "coords.dxf"),
    }


#: what each file must say on stderr (None: nothing in particular)
EXPECTED = {"minsert": CELLS, "fanout": FANOUT, "tiny-pattern": None, "huge-pattern": None,
            "coords": None}


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "YITAOTU_HOME": str(home), "YITAOTU_DEBUG": "1"}
    for k in list(env):
        if k.startswith("YITAOTU_RENDER_"):
            del env[k]
    work = tmp_path_factory.mktemp("work")
    z = Zygote(env, work, MEM_LIMIT, TIMEOUT)
    yield z
    z.close()


def _finished(o: Outcome, ok: set[int], file: Path, says: str | None) -> None:
    assert not o.timed_out, f"{o.args}: hang"
    assert o.exit in ok, f"{o.args}: exit {o.exit}\n{o.stderr[-2000:]}"
    assert "Traceback" not in o.stderr and "Error" not in o.stderr, o.stderr[-2000:]
    warnings = [ln for ln in o.stderr.splitlines() if "warning:" in ln]
    assert all(str(file) in w for w in warnings), warnings
    if says is not None:
        assert any(says in w for w in warnings), o.stderr[-2000:]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_render_finishes_bounded(name, files, zygote, tmp_path):
    for fmt in ("png", "pdf"):
        out = tmp_path / f"{name}.{fmt}"
        o = zygote.run("render", str(files[name]), "-o", str(out))
        _finished(o, {0}, files[name], EXPECTED[name])
        assert out.stat().st_size > 0


def test_render_json_lists_the_warnings(files, zygote, tmp_path):
    import json

    o = zygote.run("render", str(files["fanout"]), "-o", str(tmp_path / "f.svg"), "--json")
    assert o.exit == 0, o.stderr
    (w,) = json.loads(o.stdout)["warnings"]
    assert FANOUT in w and str(files["fanout"]) in w


@pytest.mark.parametrize("name", list(EXPECTED))
def test_diff_overlay_finishes_bounded(name, files, zygote, tmp_path):
    out = tmp_path / f"{name}-overlay.png"
    o = zygote.run("diff", str(files["plain"]), str(files[name]), "--overlay", str(out),
                   "--format", "quiet")
    _finished(o, {0, 1}, files[name], EXPECTED[name])
    assert out.stat().st_size > 0


TILES = textwrap.dedent("""
    import json, resource, sys
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import drawings
    from drawings.render.tiles import MAX_ZOOM, TileCache
    src, root = sys.argv[2], sys.argv[3]
    cache = TileCache(root, lambda blob: drawings.read(src))
    blob = "ab" * 32
    levels = cache.levels(blob, "")
    cache.prepare(blob, "")
    deep = levels["levels"][MAX_ZOOM]
    for x, y in ((0, 0), (deep["cols"] // 2, deep["rows"] // 2)):
        assert cache.tile(blob, "", MAX_ZOOM, x, y)[:4] == b"\\x89PNG"
    assert cache.thumbnail(blob, "")[:4] == b"\\x89PNG"
    print(json.dumps(levels["warnings"]))
""")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_tiles_finish_bounded(name, files, tmp_path):
    def fence() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))

    env = {k: v for k, v in os.environ.items() if not k.startswith("YITAOTU_RENDER_")}
    r = subprocess.run(
        [sys.executable, "-c", TILES, str(MEM_LIMIT), str(files[name]), str(tmp_path / "t")],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, preexec_fn=fence,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Warning" not in r.stderr, r.stderr[-2000:]
    if EXPECTED[name] is not None:
        assert EXPECTED[name] in r.stdout and str(files[name]) in r.stdout
