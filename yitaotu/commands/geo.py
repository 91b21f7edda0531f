"""Building units on the map (#14): sites, footprints, GeoJSON, checks, 落图, queries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from drawings import geo
from yitaotu.commands._common import FINITE, emit, get_app, json_option

tolerance_option = click.option(
    "--tolerance", type=FINITE, default=geo.TOLERANCE_M, show_default=True,
    help="容差 tolerance in metres (outside the site, overlaps).")


@click.group("geo")
def geo_cmd() -> None:
    """落图 Sites and building-unit footprints on the map (lon/lat, CGCS2000)."""


@geo_cmd.command("export")
@click.argument("project")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件 write to FILE (atomically) instead of stdout.")
@click.option("--crs", help="投影坐标 projected output: EPSG:n (e.g. EPSG:4547) or "
                            "local:lon0,lat0[,x0,y0,rotation,scale].")
@json_option
def export_cmd(project: str, output: Path | None, crs: str | None, as_json: bool) -> None:
    """GeoJSON of PROJECT's site and unit footprints (on stdout, or written to -o FILE)."""
    target = geo.parse_crs(crs) if crs else None
    with get_app().session(write=False) as s:
        doc = geo.geojson(s, project, crs=target)
    if output is None:
        emit(doc, True, lambda: None)
        return
    geo.write_json(output, doc)
    data = {"written": str(output), "features": len(doc["features"])}
    emit(data, as_json, lambda: [f"已导出 wrote {data['features']} features to {output}"])


@geo_cmd.command("import")
@click.argument("project")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@tolerance_option
@json_option
def import_cmd(project: str, file: Path, tolerance: float, as_json: bool) -> None:
    """Set PROJECT's site and footprints from a lon/lat GeoJSON FILE (all checked first)."""
    doc = geo.read_json(file, "GeoJSON")
    with get_app().session() as s:
        data = geo.import_geojson(s, project, doc, tolerance_m=tolerance)
    emit(data, as_json, lambda: [
        f"已导入 imported: site {'yes' if data['site'] else 'unchanged'}, "
        f"units {', '.join(data['units']) or '-'}"])


@geo_cmd.command("site")
@click.argument("project")
@click.argument("polygon")
@tolerance_option
@json_option
def site_cmd(project: str, polygon: str, tolerance: float, as_json: bool) -> None:
    """Set PROJECT's site (用地红线) to POLYGON (lon/lat WKT or GeoJSON)."""
    with get_app().session() as s:
        p = geo.set_site(s, project, polygon, tolerance_m=tolerance)
        data = {"project": p.code, "site": p.site_footprint_wkt}
    emit(data, as_json, lambda: [f"已设置用地 site set for {data['project']}"])


@geo_cmd.command("footprint")
@click.argument("unit")
@click.argument("polygon")
@tolerance_option
@json_option
def footprint_cmd(unit: str, polygon: str, tolerance: float, as_json: bool) -> None:
    """Set building UNIT's footprint to POLYGON (lon/lat WKT or GeoJSON)."""
    with get_app().session() as s:
        data = geo.set_footprint(s, unit, polygon, tolerance_m=tolerance).to_dict()
    emit(data, as_json, lambda: [f"已设置轮廓 footprint set for {data['code']}"])


@geo_cmd.command("check")
@click.argument("project")
@tolerance_option
@json_option
def check_cmd(project: str, tolerance: float, as_json: bool) -> None:
    """Run every check over PROJECT's stored site and footprints; exit 20 on a finding."""
    with get_app().session(write=False) as s:
        found = [f.to_dict() for f in geo.check_project(s, project, tolerance_m=tolerance)]

    def text() -> Iterator[str]:
        if not found:
            yield "全部通过 all checks passed"
        for f in found:
            yield f"{f['check']}\t{f['subject']}\t{f['detail']}"

    emit(found, as_json, text)
    if found:
        raise click.exceptions.Exit(20)


# -- 落图 from a site plan ------------------------------------------------------------------------


@geo_cmd.command("place")
@click.argument("project")
@click.argument("sheet")
@click.option("--point", "points", multiple=True, required=True, metavar="X,Y=LON,LAT",
              help="控制点 control point: drawing x,y = lon,lat (or E,N with --crs); ≥ 2.")
@click.option("--crs", help="控制点坐标系 the control points' CRS: EPSG:n or local:… "
                            "(default: lon/lat).")
@click.option("--layer", help="图层 outlines on this layer, matched to units by the label "
                              "inside (unit code or name).")
@click.option("--unit", "units", multiple=True, metavar="CODE=HANDLE",
              help="单体=句柄 a unit and the handle of its closed outline (repeatable).")
@click.option("--site-layer", help="用地红线图层 also set the project's site from the red line "
                                   "on this layer (closed outline or loop of lines).")
@click.option("--rev", default="head", show_default=True, help="版本 the set version.")
@click.option("--max-residual", type=FINITE, default=0.5, show_default=True,
              help="残差限值 largest control-point residual accepted (m).")
@tolerance_option
@json_option
def place_cmd(project: str, sheet: str, points: tuple[str, ...], crs: str | None,
              layer: str | None, units: tuple[str, ...], site_layer: str | None, rev: str,
              max_residual: float,
              tolerance: float, as_json: bool) -> None:
    """落图: tie site-plan SHEET to the ground and give units their footprints."""
    from storage.errors import InvalidInput
    from yitaotu.commands._common import actor

    siteplan = geo.siteplan
    cps = [siteplan.parse_control_point(p) for p in points]
    handles = {}
    for item in units:
        code, sep, handle = item.partition("=")
        if not sep or not code.strip() or not handle.strip():
            raise InvalidInput(f"--unit {item!r}: expected CODE=HANDLE")
        handles[code.strip().upper()] = handle.strip()
    app = get_app()
    with app.session() as s:
        data = siteplan.place_units(
            s, app.blobs, project, sheet, cps, rev=rev, crs=crs, layer=layer,
            handles=handles or None, site_layer=site_layer, fit_tolerance_m=max_residual,
            tolerance_m=tolerance,
            actor=actor())

    def text() -> Iterator[tuple[object, ...] | str]:
        t = data["transform"]
        yield (f"已落图 placed {len(data['units'])} units (fit {data['fit']}, {data['crs']}): "
               f"scale {t['scale']:.6g}, rotation {t['rotation']:.4f}°, "
               f"rms {data['rms']:.3f} m, max {data['max_residual']:.3f} m")
        for i, p in enumerate(data["points"], 1):
            yield (f"  {i}", f"{p['drawing'][0]:g},{p['drawing'][1]:g}",
                   f"residual {p['residual']:.3f} m")
        if data["site"]:
            yield ("  site", data["project"])
        for code in data["units"]:
            yield ("  unit", code)

    emit(data, as_json, text)


@geo_cmd.command("moved")
@click.argument("project")
@click.argument("sheet")
@click.option("--rev", default="head", show_default=True, help="版本 the later set version.")
@click.option("--fit", "fit_id", type=int, help="配准 the fit to read it with (default: latest).")
@tolerance_option
@json_option
def moved_cmd(project: str, sheet: str, rev: str, fit_id: int | None, tolerance: float,
              as_json: bool) -> None:
    """Check a later revision of site-plan SHEET for moved units; exit 21 when one moved."""
    app = get_app()
    with app.session(write=False) as s:
        data = geo.siteplan.check_moved(s, app.blobs, project, sheet, rev=rev, fit_id=fit_id,
                                        tolerance_m=tolerance)

    def text() -> Iterator[tuple[object, ...] | str]:
        yield f"fit {data['fit']} → version {data['version'][:12]}"
        for u in data["units"]:
            shift = "-" if u["shift_m"] is None else f"{u['shift_m']:.3f} m"
            yield (u["unit"], u["status"], shift, u["matched_by"])

    emit(data, as_json, text)
    if data["moved"]:
        raise click.exceptions.Exit(21)


@geo_cmd.command("fits")
@click.argument("project")
@json_option
def fits_cmd(project: str, as_json: bool) -> None:
    """List PROJECT's stored 落图 fits."""
    with get_app().session(write=False) as s:
        data = [geo.siteplan.fit_report(f) | {"units": [p.unit_code for p in f.placements]}
                for f in geo.siteplan.list_fits(s, project)]

    def text() -> Iterator[tuple[object, ...] | str]:
        if not data:
            yield "(尚未落图 no fits)"
        for f in data:
            yield (f["fit"], f["sheet"], f["version"][:12], f["crs"],
                   f"max {f['max_residual']:.3f} m", ",".join(f["units"]))

    emit(data, as_json, text)


@geo_cmd.command("query")
@click.option("--point", metavar="LON,LAT", help="点 what contains this point.")
@click.option("--polygon", help="多边形 what intersects this polygon (lon/lat WKT/GeoJSON).")
@click.option("--within", "distance", type=FINITE, metavar="METRES",
              help="距离 what lies within METRES of the point or polygon.")
@click.option("--project", "projects", multiple=True, help="only these projects (repeatable).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["project", "unit"]),
              help="only sites (project) or footprints (unit).")
@json_option
def query_cmd(point: str | None, polygon: str | None, distance: float | None,
              projects: tuple[str, ...], kinds: tuple[str, ...], as_json: bool) -> None:
    """Projects and units by place: containing a point, intersecting a polygon, or near."""
    from storage.errors import InvalidInput

    xy = None
    if point is not None:
        try:
            lon, lat = (float(v) for v in point.split(","))
        except ValueError:
            raise InvalidInput(f"--point {point!r}: expected LON,LAT") from None
        xy = (lon, lat)
    with get_app().session(write=False) as s:
        hits = geo.query.search(s, point=xy, polygon=polygon, distance_m=distance,
                                projects=[p.strip().upper() for p in projects] or None,
                                kinds=kinds or ("project", "unit"))

    def text() -> Iterator[tuple[object, ...] | str]:
        if not hits:
            yield "(没有结果 nothing found)"
        for h in hits:
            dist = f"{h['distance_m']:.3f} m" if "distance_m" in h else ""
            yield (h["kind"], h["code"], h["project"], h["name"] or "-", dist)

    emit(hits, as_json, text)
