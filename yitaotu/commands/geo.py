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
def export_cmd(project: str, output: Path | None, crs: str | None) -> None:
    """GeoJSON of PROJECT's site and unit footprints."""
    target = geo.parse_crs(crs) if crs else None
    with get_app().session(write=False) as s:
        doc = geo.geojson(s, project, crs=target)
    if output is not None:
        geo.write_json(output, doc)
        emit(None, False, lambda: [f"已导出 wrote {len(doc['features'])} features to {output}"])
    else:
        emit(doc, True, lambda: None)


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
