"""Reader benchmark: ratios against ``ezdxf.readfile`` measured in the same run.

    .venv/bin/python -m bench.read [N]        (default N = 100000 entities)

Prints, for a generated N-entity DXF (see ``bench/gen_big.py``):

* ``drawings.read`` ÷ ``ezdxf.readfile`` wall time (target ≤ 0.2),
* peak RSS of a process doing only ``drawings.read`` ÷ one doing only ``ezdxf.readfile``
  (target ≤ 1.5),
* ``index.dumps`` and ``index.loads`` + fingerprint-array access ÷ readfile (loads ≤ 0.01),
* decoding one entity from a loaded index, and all of them.

Each figure is the best of a few runs in child processes, so a busy machine skews both sides
alike.  Nothing here asserts; it prints.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import gc, json, resource, sys, time
path, what = sys.argv[1], sys.argv[2]
out = {}
t0 = time.perf_counter()
if what == "ezdxf":
    import ezdxf
    t0 = time.perf_counter()
    doc = ezdxf.readfile(path)
    out["t"] = time.perf_counter() - t0
elif what == "read":
    import drawings
    import ezdxf.tools.text  # one-time import, excluded as for readfile (MTEXT plain text)
    t0 = time.perf_counter()
    d = drawings.read(path)
    out["t"] = time.perf_counter() - t0
    out["n"] = sum(len(s) for s in d.sheets)
elif what == "index":
    import drawings
    from drawings import index
    d = drawings.read(path)
    t0 = time.perf_counter()
    data = index.dumps(d)
    out["dumps"] = time.perf_counter() - t0
    del d
    gc.collect()
    t0 = time.perf_counter()
    ix = index.loads(data, path)
    fps = [s.fingerprints for s in ix.sheets]
    n = sum(len(f) for f in fps)
    out["loads"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ix.sheets[0].entity(len(ix.sheets[0]) // 2)
    out["one"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in ix.sheets:
        s.entities()
    out["all"] = time.perf_counter() - t0
    out["bytes"] = len(data)
    out["n"] = n
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def child(path: Path, what: str) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), what],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(res.stdout.strip().splitlines()[-1])


def best(path: Path, what: str, runs: int, key: str = "t") -> dict:
    results = [child(path, what) for _ in range(runs)]
    return min(results, key=lambda r: r[key])


def main(n: int = 100_000, runs: int = 3) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.gen_big import cached_big

    t0 = time.perf_counter()
    path = cached_big(n)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB, {n} entities, "
          f"made/cached in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
    ref = best(path, "ezdxf", runs)
    ours = best(path, "read", runs)
    ix = best(path, "index", runs, key="loads")
    rt = ref["t"]
    print(f"ezdxf.readfile          {rt:8.3f} s   peak RSS {ref['rss_mb']:7.1f} MB")
    print(f"drawings.read           {ours['t']:8.3f} s   peak RSS {ours['rss_mb']:7.1f} MB   "
          f"({ours['n']} entities)")  # fmt: skip
    print(f"index.dumps             {ix['dumps']:8.3f} s   ({ix['bytes'] / 1e6:.1f} MB)")
    print(f"index.loads + fps       {ix['loads']:8.4f} s")
    print(f"decode 1 entity         {ix['one'] * 1e6:8.1f} us")
    print(f"decode all entities     {ix['all']:8.3f} s")
    print("ratios (target):")
    print(f"  read / readfile        {ours['t'] / rt:6.3f}  (<= 0.2)")
    print(f"  peak RSS read / ezdxf  {ours['rss_mb'] / ref['rss_mb']:6.3f}  (<= 1.5)")
    print(f"  dumps / readfile       {ix['dumps'] / rt:6.3f}")
    print(f"  loads / readfile       {ix['loads'] / rt:6.4f}  (<= 0.01)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
