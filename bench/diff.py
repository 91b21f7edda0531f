"""Diff engine benchmark (issue #4): ratios against ``ezdxf.readfile`` measured in this run.

A generated pair of ~100,000-entity floor-plan DXF sheets with small edits (tests.gen):

* cold diff (both files parsed) / one ``ezdxf.readfile`` of the old file   target <= 0.5
* warm diff (both indexes from the store: ``index.loads``) / readfile      target <= 0.05
* peak RSS of the cold diff / peak RSS of readfile                         target <= 1.5

The cold diff is ``diff_files``: an ASCII DXF pair is read together
(``drawings.readers.pair``), parsing the entities and block definitions the new file shares
with the old one once; the report is the same as with each file read alone
(``YITAOTU_DIFF_PAIR=0``).

Each measurement runs in its own subprocess (clean peak RSS).  Usage::

    python bench/diff.py [--rooms 95] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGETS = {"cold": 0.5, "warm": 0.05, "rss": 1.5}

_CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
what, a, b = sys.argv[1:4]
# imports first, outside the timing (the same for the reference and for us)
import ezdxf
from pathlib import Path
from drawings import index, read
from diffing import diff_drawings, diff_files
t0 = time.perf_counter()
if what == "readfile":
    doc = ezdxf.readfile(a)
    n = len(doc.modelspace())
elif what == "cold":
    r = diff_files(a, b)
    n = len(r.changes)
elif what == "warm":
    ia = index.loads(Path(a).read_bytes(), a)
    ib = index.loads(Path(b).read_bytes(), b)
    r = diff_drawings(ia, ib)
    n = len(r.changes)
elif what == "read":
    n = sum(len(s) for s in read(a).sheets)
dt = time.perf_counter() - t0
# peak RSS of this process: VmHWM (ru_maxrss would carry the parent's peak across exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
print(json.dumps({{"seconds": dt, "rss_kib": hwm, "n": n}}))
"""


def child(what: str, a: Path, b: Path | None = None) -> dict:
    code = _CHILD.format(repo=str(REPO))
    out = subprocess.run([sys.executable, "-c", code, what, str(a), str(b or a)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"bench child {what!r} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(d: Path, rooms: int) -> tuple[Path, Path, int]:
    from tests.gen.floorplan import edit_plan, make_plan, write_dxf

    old, new = d / "old.dxf", d / "new.dxf"
    plan = make_plan((rooms, rooms), seed=1, dim_every=10, hatch_every=4)
    if not (old.exists() and new.exists()):
        edited, truth = edit_plan(plan, seed=2, modify=40, add=10, remove=10)
        write_dxf(plan, old)
        write_dxf(edited, new)
    return old, new, len(plan.items)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rooms", type=int, default=95, help="rooms per side (95 -> ~100k entities)")
    ap.add_argument("--keep", type=Path, help="keep the generated files in this directory")
    ap.add_argument("--repeat", type=int, default=1, help="best of N for each timing")
    args = ap.parse_args()
    tmp = None
    if args.keep:
        d = args.keep
        d.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="yitaotu-bench-diff-")
        d = Path(tmp.name)
    t = time.perf_counter()
    old, new, n = generate(d, args.rooms)
    print(f"pair: {n} entities per sheet, {old.stat().st_size / 1e6:.1f} MB "
          f"(generated in {time.perf_counter() - t:.1f} s)")

    from drawings import index, read

    for p in (old, new):  # what ingest stores: rebuilt each run (the index format may change)
        p.with_suffix(".ytix").write_bytes(index.dumps(read(p)))

    def best(what, a, b=None):
        runs = [child(what, a, b) for _ in range(args.repeat)]
        return min(runs, key=lambda r: r["seconds"])

    ref = best("readfile", old)
    ours_read = best("read", old)
    cold = best("cold", old, new)
    warm = best("warm", old.with_suffix(".ytix"), new.with_suffix(".ytix"))
    ratios = {
        "cold": cold["seconds"] / ref["seconds"],
        "warm": warm["seconds"] / ref["seconds"],
        "rss": cold["rss_kib"] / ref["rss_kib"],
    }
    print(f"ezdxf.readfile(old):        {ref['seconds']:7.2f} s  peak RSS "
          f"{ref['rss_kib'] / 1024:7.0f} MiB")
    print(f"drawings.read(old):         {ours_read['seconds']:7.2f} s  peak RSS "
          f"{ours_read['rss_kib'] / 1024:7.0f} MiB  (our reader, one file)")
    print(f"cold diff (2 files parsed): {cold['seconds']:7.2f} s  peak RSS "
          f"{cold['rss_kib'] / 1024:7.0f} MiB  ({cold['n']} changes)")
    print(f"warm diff (2 indexes):      {warm['seconds']:7.2f} s  peak RSS "
          f"{warm['rss_kib'] / 1024:7.0f} MiB  ({warm['n']} changes)")
    for k, v in ratios.items():
        ok = "OK " if v <= TARGETS[k] else "MISS"
        print(f"  {ok} {k:5s} ratio {v:6.3f}  (target <= {TARGETS[k]})")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
