"""Model diff benchmark (issue #18): yitaotu-ifcdiff/1 against IfcOpenShell's ``ifcdiff``.

For every revision pair of the corpus models (``$YITAOTU_CORPUS/ifc/MANIFEST.tsv``, consecutive
revisions of one model) and a generated pair with all GlobalIds regenerated, each engine runs
in its own subprocess (clean peak RSS):

* ``ifcdiff``: ``ifcopenshell.open`` both files, ``IfcDiff(..., relationships=[every one],
  is_shallow=False).diff()`` -- the reference;
* ``cold``: ``read_model`` both files (parse + element index) and ``diff_models``;
* ``warm``: both element indexes as stored at ingest (``modelindex.loads``) and
  ``diff_models`` -- what ``yitaotu diff`` on two set versions does.

Agreement is measured on ifcdiff's scope (IfcElement + spatial elements, no openings):
the added, deleted and changed GlobalId sets, each as |ours ∩ theirs| / |ours ∪ theirs|.
Printed as ratios against ifcdiff in the same run; no assertion.  Usage::

    YITAOTU_CORPUS=/work/shared/corpus python bench/ifc.py [--pairs NAME…] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
what, a, b = sys.argv[1:4]
from drawings import modelindex, read_model
from diffing import diff_models
if what == "index":  # what ingest stores; the warm run reads these without IfcOpenShell
    for p in (a, b):
        open(p + ".ytim", "wb").write(modelindex.dumps(read_model(open(p, "rb").read(), p)))
    print("{{}}")
    sys.exit(0)
if what == "warm":
    blobs = [open(p + ".ytim", "rb").read() for p in (a, b)]
else:
    import ifcopenshell
t0 = time.perf_counter()
if what == "ifcdiff":
    import logging
    from ifcdiff import IfcDiff
    import contextlib, io
    fa, fb = ifcopenshell.open(a), ifcopenshell.open(b)
    d = IfcDiff(fa, fb, relationships=["attributes", "geometry", "type", "property",
                                       "container", "aggregate", "classification"],
                is_shallow=False)
    with contextlib.redirect_stdout(io.StringIO()):
        d.diff()
    out = {{"added": sorted(d.added_elements), "deleted": sorted(d.deleted_elements),
            "changed": sorted(d.change_register)}}
    scope = None
else:
    if what == "cold":
        ma, mb = (read_model(open(p, "rb").read(), p) for p in (a, b))
    else:
        ma, mb = (modelindex.loads(x, "bench") for x in blobs)
    r = diff_models(ma, mb)
    out = {{"added": sorted(r.guids("added")), "deleted": sorted(r.guids("removed")),
            "changed": sorted(r.guids("modified"))}}
    out["classes"] = {{e.guid: e.cls for e in ma.elements + mb.elements}}
    out["how"] = {{c.guid: c.matched_by for c in r.changes}}
elapsed = time.perf_counter() - t0
out["seconds"] = elapsed
out["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""

#: ifcdiff's scope: IfcElement and the spatial elements, without feature elements (openings).
_SPATIAL = {"IfcSite", "IfcBuilding", "IfcBuildingStorey", "IfcSpace", "IfcSpatialZone",
            "IfcExternalSpatialElement", "IfcFacility", "IfcBridge", "IfcRoad", "IfcRailway",
            "IfcMarineFacility", "IfcFacilityPart", "IfcBridgePart", "IfcRoadPart",
            "IfcRailwayPart", "IfcMarineFacilityPart"}
_NOT_ELEMENTS = {"IfcOpeningElement", "IfcOpeningStandardCase", "IfcVoidingFeature",
                 "IfcProjectionElement", "IfcSurfaceFeature", "IfcAnnotation", "IfcGrid",
                 "IfcPort", "IfcDistributionPort", "IfcStructuralCurveConnection",
                 "IfcStructuralSurfaceMember", "IfcStructuralPointConnection",
                 "IfcStructuralCurveMember", "IfcStructuralSurfaceConnection",
                 "IfcStructuralPointAction", "IfcStructuralLinearAction",
                 "IfcStructuralPlanarAction", "IfcStructuralPointReaction", "IfcProxy",
                 "IfcAlignment", "IfcReferent", "IfcLinearPositioningElement",
                 "IfcGeographicElement"}


def in_scope(cls: str) -> bool:
    """An approximation of ``by_type("IfcElement") + spatial - IfcFeatureElement`` by class
    name (the index keeps classes, not the schema's inheritance)."""
    return cls in _SPATIAL or cls not in _NOT_ELEMENTS


def run(what: str, a: Path, b: Path) -> dict:
    code = _CHILD.format(repo=str(REPO))
    p = subprocess.run([sys.executable, "-c", code, what, str(a), str(b)],
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{what} {a.name} {b.name}: {p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def jaccard(x: set[str], y: set[str]) -> float:
    return 1.0 if not x and not y else len(x & y) / len(x | y)


def pairs(corpus: Path) -> list[tuple[str, Path, Path]]:
    with open(corpus / "ifc" / "MANIFEST.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    by_model: dict[str, list[Path]] = {}
    for r in rows:
        model = r["path"].split("/")[0]
        if model != "single":
            by_model.setdefault(model, []).append(corpus / "ifc" / r["path"])
    out = []
    for model, files in sorted(by_model.items()):
        files.sort()
        out += [(f"{model} {x.stem[:2]}→{y.stem[:2]}", x, y)
                for x, y in zip(files, files[1:], strict=False)]
    return out


def generated(tmp: Path) -> list[tuple[str, Path, Path]]:
    from tests.gen.ifcmodel import edit_house, make_house, regenerate_guids, write

    a = write(make_house(), tmp / "house.ifc")
    f = make_house()
    edit_house(f)
    regenerate_guids(f)
    b = write(f, tmp / "house-edited-newids.ifc")
    return [("generated edited+new GlobalIds", a, b)]


def compare(label: str, a: Path, b: Path) -> dict:
    ref, cold = run("ifcdiff", a, b), run("cold", a, b)
    with tempfile.TemporaryDirectory(prefix="yitaotu-bench-ifc-") as tmp:
        la, lb = Path(tmp) / "old.ifc", Path(tmp) / "new.ifc"
        la.symlink_to(a.resolve())
        lb.symlink_to(b.resolve())
        run("index", la, lb)
        warm = run("warm", la, lb)
    classes = cold["classes"]
    ours = {k: {g for g in cold[k] if in_scope(classes.get(g, ""))}
            for k in ("added", "deleted", "changed")}
    theirs = {k: set(ref[k]) for k in ("added", "deleted", "changed")}
    return {
        "pair": label,
        "agreement": {k: round(jaccard(ours[k], theirs[k]), 3) for k in ours},
        "counts": {k: [len(ours[k]), len(theirs[k])] for k in ours},
        "only_ours_changed": sorted(ours["changed"] - theirs["changed"])[:5],
        "only_ifcdiff_changed": sorted(theirs["changed"] - ours["changed"])[:5],
        "matched_without_guid": sum(1 for h in cold["how"].values() if h not in (None, "guid")),
        "seconds": {"ifcdiff": round(ref["seconds"], 3), "cold": round(cold["seconds"], 3),
                    "warm": round(warm["seconds"], 4)},
        "time_ratio": {"cold": round(cold["seconds"] / ref["seconds"], 3),
                       "warm": round(warm["seconds"] / ref["seconds"], 4)},
        "rss_ratio": {"cold": round(cold["rss_kb"] / ref["rss_kb"], 3),
                      "warm": round(warm["rss_kb"] / ref["rss_kb"], 3)},
        "rss_mb": {"ifcdiff": ref["rss_kb"] // 1024, "cold": cold["rss_kb"] // 1024,
                   "warm": warm["rss_kb"] // 1024},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="*", help="only pairs whose label contains one of these")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    corpus = Path(os.environ.get("YITAOTU_CORPUS", REPO.parent / "shared" / "corpus"))
    with tempfile.TemporaryDirectory(prefix="yitaotu-bench-ifc-") as tmp:
        todo = generated(Path(tmp))
        if (corpus / "ifc" / "MANIFEST.tsv").is_file():
            todo += pairs(corpus)
        else:
            print(f"no corpus at {corpus}: generated pair only", file=sys.stderr)
        if args.pairs:
            todo = [t for t in todo if any(p in t[0] for p in args.pairs)]
        results = [compare(*t) for t in todo]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return
    print(f"{'pair':44} {'agree add/del/chg':20} {'n ours/ifcdiff chg':19} "
          f"{'t ifcdiff':>9} {'cold':>6} {'warm':>7} {'rss cold':>8}")
    for r in results:
        ag, c = r["agreement"], r["counts"]["changed"]
        print(f"{r['pair'][:44]:44} {ag['added']:.2f}/{ag['deleted']:.2f}/{ag['changed']:.2f}"
              f"{'':6} {c[0]:>6}/{c[1]:<12} {r['seconds']['ifcdiff']:>8.2f}s "
              f"{r['time_ratio']['cold']:>6.2f} {r['time_ratio']['warm']:>7.4f} "
              f"{r['rss_ratio']['cold']:>8.2f}")
    print("time and rss columns: ratio to ifcdiff in this run (lower is better)")


if __name__ == "__main__":
    main()
