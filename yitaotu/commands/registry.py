"""Foundation commands: init, project, unit, log, show, ls, export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from drawings import PARTY_ROLES, registry
from yitaotu.commands._common import (
    DB_INT,
    FINITE,
    emit,
    get_app,
    json_option,
    short,
    split_version_spec,
)


@click.command("init")
@json_option
def init_cmd(as_json: bool) -> None:
    """初始化 Create or upgrade the home, database and blob store (idempotent)."""
    info = get_app().init()
    emit(
        info,
        as_json,
        lambda: [
            "已就绪 ready",
            f"  主目录 home:     {info['home']}",
            f"  数据库 database: {info['database']}",
            f"  对象库 blobs:    {info['blobs']}",
        ],
    )


# -- projects -----------------------------------------------------------------------------------


@click.group("project")
def project_cmd() -> None:
    """项目 Projects (keyed by 投资项目统一代码)."""


@project_cmd.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--location", help="所在地 location (administrative area).")
@click.option("--site", help="建设地点 site address.")
@click.option(
    "--party",
    "parties",
    multiple=True,
    metavar="ROLE=ORG",
    help=f"参与方 party, ROLE one of {'/'.join(PARTY_ROLES)} (repeatable).",
)
@json_option
def project_create(
    code: str, name: str, location: str | None, site: str | None, parties: tuple, as_json: bool
) -> None:
    """Create project CODE named NAME."""
    from storage.errors import InvalidInput

    pairs = []
    for item in parties:
        role, sep, org = item.partition("=")
        if not sep:
            raise InvalidInput(f"--party {item!r}: expected ROLE=ORGANISATION")
        pairs.append((role.strip(), org.strip()))
    with get_app().session() as s:
        p = registry.create_project(s, code, name, location=location, site=site)
        for role, org in pairs:
            registry.add_party(s, p, role, org)
        data = p.to_dict()
    emit(data, as_json, lambda: [f"已创建项目 created project {data['code']} {data['name']}"])


@project_cmd.command("list")
@json_option
def project_list(as_json: bool) -> None:
    """List projects."""
    with get_app().session(write=False) as s:
        data = []
        for p in registry.list_projects(s):
            d = p.to_dict()
            head = registry.get_ref(s, p, "head")
            d["head"] = head.id if head else None
            data.append(d)

    def text() -> Iterator[str]:
        if not data:
            yield "(没有项目 no projects)"
        for d in data:
            yield f"{d['code']}  {short(d['head']):12}  {d['name']}"

    emit(data, as_json, text)


@project_cmd.command("show")
@click.argument("code")
@json_option
def project_show(code: str, as_json: bool) -> None:
    """Show project CODE: parties, units, refs."""
    with get_app().session(write=False) as s:
        p = registry.get_project(s, code)
        data = p.to_dict()
        data["units"] = [u.code for u in registry.list_units(s, p)]
        data["refs"] = registry.refs(s, p)

    def text() -> Iterator[str]:
        yield f"项目代码 Code:     {data['code']}"
        yield f"项目名称 Name:     {data['name']}"
        yield f"所在地 Location:   {data['location'] or '-'}"
        yield f"建设地点 Site:     {data['site'] or '-'}"
        for party in data["parties"]:
            yield f"参与方 Party:      {party['role']} {party['organisation']}"
        for u in data["units"]:
            yield f"单体 Unit:         {u}"
        for name, vid in sorted(data["refs"].items()):
            yield f"引用 Ref:          {name:10} {short(vid)}"

    emit(data, as_json, text)


# -- building units -----------------------------------------------------------------------------


@click.group("unit")
def unit_cmd() -> None:
    """建筑单体 Building units and their life-long codes."""


@unit_cmd.command("add")
@click.argument("project")
@click.option("--scheme", default="yitaotu", show_default=True, help="编码方案 code scheme.")
@click.option("--code", help="已有代码 an existing code (else one is allocated).")
@click.option("--division", help="行政区划代码 6-digit administrative division (to allocate).")
@click.option("--year", type=DB_INT, help="赋码年份 year in the code (default: this year).")
@click.option("--name", help="名称 name, e.g. 1#住宅楼.")
@click.option("--address", help="地址 address.")
@click.option("--floors-above", type=DB_INT, help="地上层数 floors above ground.")
@click.option("--floors-below", type=DB_INT, help="地下层数 floors below ground.")
@click.option("--floor-area", type=FINITE, help="建筑面积 floor area (m²).")
@click.option("--height", type=FINITE, help="建筑高度 height (m).")
@click.option("--structure-type", help="结构类型 structure type.")
@click.option("--use", help="用途 use.")
@click.option("--completion-year", type=DB_INT, help="竣工年份 completion year.")
@click.option("--footprint", help="轮廓 footprint polygon, lon/lat WKT or GeoJSON.")
@json_option
def unit_add(
    project: str,
    scheme: str,
    code: str | None,
    division: str | None,
    year: int | None,
    as_json: bool,
    **attrs: object,
) -> None:
    """Register a building unit of PROJECT."""
    attrs = {k: v for k, v in attrs.items() if v is not None}
    with get_app().session() as s:
        u = registry.add_unit(
            s, project, scheme=scheme, code=code, division=division, year=year, **attrs
        )
        data = u.to_dict()
    emit(data, as_json, lambda: [f"建筑单体代码 building code {data['code']}"])


@unit_cmd.command("list")
@click.argument("project", required=False)
@json_option
def unit_list(project: str | None, as_json: bool) -> None:
    """List building units (of PROJECT)."""
    with get_app().session(write=False) as s:
        data = [u.to_dict() for u in registry.list_units(s, project)]

    def text() -> Iterator[str]:
        if not data:
            yield "(没有建筑单体 no building units)"
        for d in data:
            yield (
                f"{d['code']}  {d['scheme']}/{d['scheme_version']}  {d['project']}  "
                f"{d['name'] or ''}"
            )

    emit(data, as_json, text)


@unit_cmd.command("show")
@click.argument("code")
@json_option
def unit_show(code: str, as_json: bool) -> None:
    """Show building unit CODE."""
    with get_app().session(write=False) as s:
        data = registry.get_unit(s, code).to_dict()

    def text() -> Iterator[str]:
        labels = {
            "code": "代码 Code",
            "scheme": "编码方案 Scheme",
            "project": "项目 Project",
            "name": "名称 Name",
            "address": "地址 Address",
            "floors_above": "地上层数 Floors above",
            "floors_below": "地下层数 Floors below",
            "floor_area": "建筑面积 Floor area",
            "height": "高度 Height",
            "structure_type": "结构类型 Structure",
            "use": "用途 Use",
            "completion_year": "竣工年份 Completed",
            "footprint": "轮廓 Footprint",
        }
        for key, label in labels.items():
            value = data.get(key)
            if key == "scheme":
                value = f"{data['scheme']}/{data['scheme_version']}"
            if key == "footprint" and value:
                value = value["type"]
            yield f"{label:24} {value if value is not None else '-'}"

    emit(data, as_json, text)


@unit_cmd.command("footprint")
@click.argument("code")
@click.option("--from", "source", required=True, metavar="PROJECT:REV:MODEL",
              help="定位的模型 a georeferenced model of the set (its IfcBuilding's ground floor).")
@click.option("--replace", is_flag=True, help="替换已有轮廓 replace a footprint already set.")
@json_option
def unit_footprint(code: str, source: str, replace: bool, as_json: bool) -> None:
    """由模型生成轮廓 Fill a unit's footprint (lon/lat) from its model (#18)."""
    from drawings import unit_footprint_from_model
    from storage.errors import InvalidInput

    parts = source.split(":")
    if len(parts) != 3 or not all(parts):
        raise InvalidInput(f"--from {source!r}: expected PROJECT:REV:MODEL")
    app = get_app()
    with app.session() as s:
        u = unit_footprint_from_model(s, app.blobs, code, *parts, replace=replace)
        data = u.to_dict()
    emit(data, as_json,
         lambda: [f"{data['code']}: 轮廓已由模型生成 footprint filled from {source}"])


@unit_cmd.command("delete")
@click.argument("code")
@json_option
def unit_delete(code: str, as_json: bool) -> None:
    """Remove building unit CODE; its code stays assigned and is never reused."""
    with get_app().session() as s:
        registry.delete_unit(s, code)
    data = {"deleted": code.strip().upper()}
    emit(
        data,
        as_json,
        lambda: [f"已删除 deleted {data['deleted']} (代码不再复用 never reused)"],
    )


# -- versions -----------------------------------------------------------------------------------


def _resolve(s, spec: str):  # noqa: ANN001, ANN202 - a session and a SetVersion
    project, rev = split_version_spec(spec)
    return registry.resolve_version(s, project, rev)


@click.command("log")
@click.argument("project")
@click.option("--ref", default="head", show_default=True, help="引用或版本 ref or version.")
@click.option("--reflog", "show_reflog", is_flag=True, help="显示引用日志 show the reflog.")
@json_option
def log_cmd(project: str, ref: str, show_reflog: bool, as_json: bool) -> None:
    """版本日志 Versions of PROJECT, newest first."""
    with get_app().session(write=False) as s:
        if show_reflog:
            entries = [e.to_dict() for e in registry.reflog(s, project)]

            def text_reflog() -> Iterator[str]:
                for e in entries:
                    yield (
                        f"{e['at'][:19]}  {e['ref']:9} {short(e['old'])} -> {short(e['new'])}  "
                        f"{e['actor']}: {e['reason']}"
                    )

            emit(entries, as_json, text_reflog)
            return
        data = [v.to_dict() for v in registry.log(s, project, ref)]
        names: dict[str, list[str]] = {}
        for name, vid in registry.refs(s, project).items():
            names.setdefault(vid, []).append(name)

    def text() -> Iterator[str]:
        for d in data:
            tags = f" ({', '.join(sorted(names[d['id']]))})" if d["id"] in names else ""
            yield f"版本 version {d['id']}{tags}"
            yield f"作者 Author: {d['author']}   时间 Date: {d['created_at'][:19]}Z"
            yield from (f"图纸 Sheets: {d['sheets']}", "", f"    {d['message']}", "")

    emit(data, as_json, text)


@click.command("show")
@click.argument("version")
@click.option("--at", "at", metavar="DATETIME",
              help="VERSION is a project: show the set in force then, with its proof.")
@json_option
def show_cmd(version: str, at: str | None, as_json: bool) -> None:
    """显示版本 Show VERSION (PROJECT:REV, or a full/short version id).

    With `--at DATETIME`, VERSION is a project code and the set in force (`current`) at that
    moment is shown with the audit-chain entry that proves it.
    """
    if at is not None:
        from yitaotu.commands.workflow import show_set_in_force

        show_set_in_force(version, at, as_json)
        return
    with get_app().session(write=False) as s:
        v = _resolve(s, version)
        data = v.to_dict(manifest=True)
        parent = registry.get_version(s, v.parents[0]) if v.parents else None
        old = parent.manifest if parent else {}
        new = v.manifest
        data["changes"] = {
            "added": sorted(set(new) - set(old)),
            "removed": sorted(set(old) - set(new)),
            "modified": sorted(k for k in set(new) & set(old) if new[k] != old[k]),
        }

    def text() -> Iterator[str]:
        yield f"版本 version {data['id']}"
        yield f"项目 Project: {data['project']}"
        for p in data["parents"]:
            yield f"父版本 Parent: {p}"
        yield f"作者 Author: {data['author']}   时间 Date: {data['created_at'][:19]}Z"
        yield from ("", f"    {data['message']}", "")
        for kind, mark in (("added", "+"), ("modified", "~"), ("removed", "-")):
            for k in data["changes"][kind]:
                yield f"{mark} {k}"
        yield f"共 {data['sheets']} 张图纸 sheets"

    emit(data, as_json, text)


@click.command("ls")
@click.argument("version")
@json_option
def ls_cmd(version: str, as_json: bool) -> None:
    """图纸目录 List the sheets of VERSION."""
    with get_app().session(write=False) as s:
        v = _resolve(s, version)
        data = [{"sheet": k, **e} for k, e in sorted(v.manifest.items())]

    def text() -> Iterator[str]:
        yield f"{'图号 Sheet no.':16} {'格式 Format':12} {'页 Page':8} {'对象 Blob':14} 图名 Title"
        for d in data:
            fmt = f"{d['format']} {d['version'] or ''}".strip()
            page = str(d["page"]) if d["page"] else "-"
            yield f"{d['sheet']:16} {fmt:12} {page:8} {short(d['blob']):14} {d['title'] or ''}"

    emit(data, as_json, text)


@click.command("export")
@click.argument("version")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--stamp-unit-codes", is_flag=True,
              help="模型写入单体编码 write each model's building unit code into its IfcBuilding "
                   "when missing (the file then differs from the stored one).")
@json_option
def export_cmd(version: str, directory: Path, stamp_unit_codes: bool, as_json: bool) -> None:
    """导出 Write the files of VERSION into DIRECTORY, checking every hash."""
    from drawings import export_version

    app = get_app()
    with app.session(write=False) as s:
        v = _resolve(s, version)
        written = export_version(s, app.blobs, v, directory,
                                 stamp_unit_codes=stamp_unit_codes)
    data = {"version": v.id, "directory": str(directory), "files": written}
    emit(
        data,
        as_json,
        lambda: [f"已导出 exported {len(written)} files of {short(v.id)} to {directory}"],
    )
