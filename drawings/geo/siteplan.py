"""落图: a site-plan sheet of the set, tied to the ground by control points, gives the units
their footprints; a later revision of that sheet is checked for units that moved.

The fit (similarity transform, residuals, control points) is stored with the sheet revision it
was made on (:class:`drawings.models.SiteFit`), and each placed outline with it
(:class:`drawings.models.Placement`), so later revisions are read in the same frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely
from shapely import wkt
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import index as drawing_index
from drawings import registry
from drawings.geo.fit import Fit, Similarity, fit_similarity
from drawings.geo.footprints import site_of, validate_layout
from drawings.geo.outlines import Outline, by_handle, on_layer, outlines, site_outline
from drawings.geo.spatial import (
    TOLERANCE_M,
    Crs,
    crs_spec,
    forward_points,
    gk_epsg,
    parse_crs,
    parse_polygon,
    to_lonlat,
    to_projected,
)
from drawings.models import Placement, SiteFit, utcnow
from storage import limits
from storage.display import quote
from storage.errors import IntegrityError, InvalidInput, NotFound

#: Largest control-point residual accepted by default (metres on the ground).
FIT_TOLERANCE_M = 0.5

_POINT = re.compile(r"^\s*([^,=\s]+)\s*,\s*([^,=\s]+)\s*=\s*([^,=\s]+)\s*,\s*([^,=\s]+)\s*$")


@dataclass(frozen=True)
class ControlPoint:
    drawing: tuple[float, float]
    ground: tuple[float, float]  # lon/lat, or x/y in the CRS given with the points


def parse_control_point(text: str) -> ControlPoint:
    """``x,y=X,Y``: a drawing point and its ground coordinates (lon,lat or projected)."""
    m = _POINT.match(text or "")
    try:
        if not m:
            raise ValueError
        x, y, gx, gy = (float(v) for v in m.groups())
    except ValueError:
        raise InvalidInput(f"无效的控制点 invalid control point {quote(text)}: expected "
                           "x,y=lon,lat (or x,y=E,N with --crs)") from None
    if not all(np.isfinite([x, y, gx, gy])):
        raise InvalidInput(f"无效的控制点 invalid control point {quote(text)}: not finite")
    return ControlPoint((x, y), (gx, gy))


def fit_points(points: list[ControlPoint], crs: Crs | None) -> tuple[Fit, Crs, np.ndarray]:
    """The fit in metres: lon/lat ground points go to their Gauss–Krüger zone first."""
    ground = np.array([p.ground for p in points], dtype=float)
    if crs is None:
        from shapely.geometry import MultiPoint

        from drawings.geo.spatial import check_china

        check_china(MultiPoint(ground.tolist()), "control points")
        crs = gk_epsg(float(ground[:, 0].mean()))
        ground = forward_points(ground, crs)
    fit = fit_similarity([p.drawing for p in points], [tuple(g) for g in ground])
    return fit, crs, ground


def _entry(s: Session, project: str, sheet_no: str, rev: str) -> tuple[Any, dict[str, Any]]:
    version = registry.resolve_version(s, project, rev)
    entry = version.manifest.get(sheet_no)
    if entry is None:
        raise NotFound(f"{project}@{version.id[:12]}: 没有图号 no sheet {quote(sheet_no)}")
    return version, entry


def load_entities(blobs: Any, entry: dict[str, Any], label: str) -> list[Any]:
    """The entities of one manifest entry's sheet (model space of a DXF/DWG, or its page),
    from the index stored at ingest."""
    index_id = entry.get("index")
    if not index_id:
        raise NotFound(f"{label}: no stored index for blob {entry['blob'][:12]}")
    try:
        data = blobs.read_bytes(index_id)
    except KeyError:
        raise NotFound(f"{label}: index blob {index_id[:12]} missing from the store") from None
    idx = drawing_index.loads(data, label)
    page = entry.get("page")
    if page:
        if not 1 <= int(page) <= len(idx.sheets):
            raise IntegrityError(f"{label}: page {page} not in its index")
        sheet = idx.sheets[int(page) - 1]
    else:
        names = [sh.name for sh in idx.sheets]
        sheet = idx.sheets[names.index("Model")] if "Model" in names else idx.sheets[0]
    return sheet.entities()


def _assign(s: Session, project: str, found: list[Outline], layer: str | None,
            handles: dict[str, str] | None) -> dict[str, Outline]:
    """unit code -> outline: by handle when given, else by the label inside each outline on
    ``layer`` (a unit's code or name)."""
    chosen: dict[str, Outline] = {}
    if handles:
        for code, handle in handles.items():
            u = registry.get_unit(s, code)
            if u.project_code != project:
                raise InvalidInput(f"building unit {u.code} belongs to project {u.project_code}")
            chosen[u.code] = by_handle(found, handle)
        return chosen
    names: dict[str, str] = {}
    for u in registry.list_units(s, project):
        names[u.code] = u.code
        if u.name:
            names.setdefault(" ".join(u.name.split()), u.code)
    for o in on_layer(found, layer):
        codes = {names[t] for t in o.labels if t in names}
        if len(codes) > 1:
            raise InvalidInput(f"outline {o.handle} on layer {quote(layer)} is labelled with "
                               f"several units: {', '.join(sorted(codes))}")
        if codes:
            code = codes.pop()
            if code in chosen:
                raise InvalidInput(f"unit {code} is labelled in two outlines: "
                                   f"{chosen[code].handle} and {o.handle}")
            chosen[code] = o
    if not chosen:
        raise InvalidInput(f"图层 layer {quote(layer)}: no outline is labelled with a unit's "
                           "code or name (give --unit CODE=HANDLE)")
    return chosen


def _to_lonlat(poly: Any, t: Similarity, crs: Crs) -> Any:
    return to_lonlat(shapely.transform(poly, t.apply), crs)


def place_units(
    s: Session,
    blobs: Any,
    project: str,
    sheet_no: str,
    points: list[ControlPoint],
    *,
    rev: str = "head",
    crs: str | None = None,
    layer: str | None = None,
    handles: dict[str, str] | None = None,
    site_layer: str | None = None,
    fit_tolerance_m: float = FIT_TOLERANCE_M,
    tolerance_m: float = TOLERANCE_M,
    actor: str,
) -> dict[str, Any]:
    """落图: fit ``points`` on sheet ``sheet_no`` of ``rev``, turn the chosen outlines into
    footprints (all checked: geometry, China, inside the site, overlaps), store the fit.
    ``site_layer`` also takes the project's site from the red line drawn on that layer.

    A fit whose worst residual exceeds ``fit_tolerance_m`` is refused with the figure."""
    p = registry.get_project(s, project)
    limits.AUTHOR.check(actor, required=True)
    version, entry = _entry(s, p.code, sheet_no, rev)
    target = parse_crs(crs) if crs else None
    fit, work, ground = fit_points(points, target)
    if fit.max_residual > fit_tolerance_m:
        raise InvalidInput(
            f"配准残差超限 fit refused: control point {fit.worst + 1} "
            f"({points[fit.worst].drawing[0]:g},{points[fit.worst].drawing[1]:g}) is off by "
            f"{fit.max_residual:.3f} m (tolerance {fit_tolerance_m} m, rms {fit.rms:.3f} m)")
    label = f"{p.code} {sheet_no}@{version.id[:12]}"
    entities = load_entities(blobs, entry, label)
    found = outlines(entities)
    chosen = _assign(s, p.code, found, layer, handles) if layer or handles else {}
    if not chosen and site_layer is None:
        raise InvalidInput("落图 needs --layer, --unit CODE=HANDLE or --site-layer")
    site = site_of(p)
    if site_layer is not None:
        site = parse_polygon(_to_lonlat(site_outline(entities, site_layer), fit.transform, work),
                             f"site of {p.code} (layer {quote(site_layer)})")
    footprints = {}
    for code, o in chosen.items():
        footprints[code] = parse_polygon(_to_lonlat(o.polygon, fit.transform, work),
                                         f"unit {code} (outline {o.handle})")
    units = {u.code: u.footprint for u in registry.list_units(s, p)}
    units.update(footprints)
    validate_layout(site, units, changed=set(footprints), site_changed=site_layer is not None,
                    tolerance_m=tolerance_m)
    if site_layer is not None:
        p.site_footprint_wkt = limits.FOOTPRINT.check(site.wkt)
    sheet = registry.get_sheet(s, entry["blob"], entry.get("page"))
    row = SiteFit(
        project_code=p.code, sheet_revision_id=sheet.id, version_id=version.id,
        sheet_no=sheet_no, crs=crs_spec(work),
        params=orjson.dumps(fit.transform.to_dict()).decode(),
        points=orjson.dumps([
            {"drawing": list(cp.drawing), "ground": list(cp.ground), "metres": list(g),
             "residual": r}
            for cp, g, r in zip(points, ground.tolist(), fit.residuals, strict=True)]).decode(),
        rms=fit.rms, max_residual=fit.max_residual, tolerance=fit_tolerance_m, actor=actor,
        created=utcnow(),
    )
    s.add(row)
    s.flush()
    for code, o in sorted(chosen.items()):
        registry.get_unit(s, code).footprint_wkt = limits.FOOTPRINT.check(footprints[code].wkt)
        s.add(Placement(fit_id=row.id, unit_code=code, handle=o.handle, layer=o.layer,
                        outline_wkt=o.polygon.wkt))
    s.flush()
    return fit_report(row) | {"units": sorted(chosen), "site": site_layer is not None}


def fit_report(row: SiteFit) -> dict[str, Any]:
    return {"fit": row.id, "project": row.project_code, "sheet": row.sheet_no,
            "version": row.version_id, "crs": row.crs, "transform": orjson.loads(row.params),
            "points": orjson.loads(row.points), "rms": row.rms,
            "max_residual": row.max_residual, "tolerance": row.tolerance}


def list_fits(s: Session, project: str) -> list[SiteFit]:
    code = registry.get_project(s, project).code
    return list(s.scalars(select(SiteFit).where(SiteFit.project_code == code)
                          .order_by(SiteFit.id)))


def _stored_transform(row: SiteFit) -> tuple[Similarity, Crs]:
    try:
        t = orjson.loads(row.params)
        return Similarity(t["a"], t["b"], t["tx"], t["ty"]), parse_crs(row.crs)
    except (orjson.JSONDecodeError, KeyError, TypeError) as e:
        raise IntegrityError(f"fit {row.id}: stored transform unreadable: {e}") from None


def _match(old: Placement, found: list[Outline]) -> tuple[Outline | None, str]:
    """The later revision's outline for a placement: the same handle on the same layer, else
    the outline on that layer nearest the old one with an area within 10 %."""
    for o in found:
        if old.handle and o.handle == old.handle and o.layer == old.layer:
            return o, "handle"
    before = wkt.loads(old.outline_wkt)
    near = [o for o in found if o.layer == old.layer
            and abs(o.polygon.area - before.area) <= 0.1 * before.area]
    if not near:
        return None, "none"
    best = min(near, key=lambda o: o.polygon.centroid.distance(before.centroid))
    return best, "nearest"


def check_moved(s: Session, blobs: Any, project: str, sheet_no: str, *, rev: str = "head",
                fit_id: int | None = None, tolerance_m: float = TOLERANCE_M
                ) -> dict[str, Any]:
    """Read ``sheet_no`` of ``rev`` in the frame of its latest fit (or ``fit_id``) and say,
    per placed unit, whether its outline still lands on its footprint: ``same``, ``moved``
    (by how many metres, Hausdorff distance) or ``missing``."""
    p = registry.get_project(s, project)
    fits = [f for f in list_fits(s, p.code) if f.sheet_no == sheet_no]
    if fit_id is not None:
        fits = [f for f in fits if f.id == fit_id]
    if not fits:
        raise NotFound(f"{p.code} {quote(sheet_no)}: 尚未落图 no fit stored for this sheet")
    row = fits[-1]
    t, work = _stored_transform(row)
    version, entry = _entry(s, p.code, sheet_no, rev)
    found = outlines(load_entities(blobs, entry, f"{p.code} {sheet_no}@{version.id[:12]}"))
    report = []
    for pl in row.placements:
        unit = registry.get_unit(s, pl.unit_code)
        o, how = _match(pl, found)
        if o is None:
            report.append({"unit": pl.unit_code, "status": "missing", "matched_by": how,
                           "shift_m": None})
            continue
        now = to_projected(_to_lonlat(o.polygon, t, work), work)
        was = to_projected(unit.footprint, work) if unit.footprint is not None else None
        shift = float(now.hausdorff_distance(was)) if was is not None else None
        status = "moved" if shift is None or shift > tolerance_m else "same"
        report.append({"unit": pl.unit_code, "status": status, "matched_by": how,
                       "handle": o.handle, "shift_m": None if shift is None else round(shift, 3)})
    return {"fit": row.id, "project": p.code, "sheet": sheet_no, "fitted_version": row.version_id,
            "version": version.id, "tolerance": tolerance_m, "units": report,
            "moved": [r["unit"] for r in report if r["status"] != "same"]}
