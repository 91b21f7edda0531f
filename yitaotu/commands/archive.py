"""Archive commands (issue #13): `archive create | verify | list`, the state move `archive
PROJECT` as before, and the inspector's `inspect`.  Each is one call into ``workflow``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from storage.errors import IntegrityError, InvalidInput
from yitaotu.commands._common import emit, get_app, json_option, short
from yitaotu.commands.workflow import _keys, _user, as_option, fire


class ArchiveGroup(click.Group):
    """`yitaotu archive PROJECT` (no subcommand) is still the state move: a first word that
    names no subcommand goes to ``move`` with all the words."""

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            return "move", self.commands["move"], args
        return super().resolve_command(ctx, args)


@click.group("archive", cls=ArchiveGroup, context_settings={"ignore_unknown_options": True})
def archive_cmd() -> None:
    """归档 Archive: `archive PROJECT` moves `archived`; `create`, `verify`, `list` make,
    check (四性检测) and list archive packages."""


@archive_cmd.command("move")
@click.argument("project")
@as_option
@json_option
def archive_move(project: str, as_user: str | None, as_json: bool) -> None:
    """归档 Archive the accepted project (archivist): moves `archived` (same as `archive
    PROJECT`)."""
    fire(project, "archive", as_user, as_json)


@archive_cmd.command("create")
@click.argument("project")
@click.option("-o", "--output", "out", required=True, metavar="PATH",
              help="包 package: a new directory, or PATH.zip.")
@click.option("--final-only", is_flag=True,
              help="仅最终版本 only the approved, current and as-built versions.")
@as_option
@json_option
def archive_create(project: str, out: str, final_only: bool, as_user: str | None,
                   as_json: bool) -> None:
    """Make the BagIt archive package of an accepted PROJECT, signed by the archivist."""
    import workflow

    app = get_app()
    with app.session() as s:
        data = workflow.create_archive(s, app.blobs, _keys(), project, user=_user(as_user),
                                       out=out, final_only=final_only)

    def text() -> Iterator[str]:
        t = data["catalogue"]
        yield (f"已归档 package {data['path']}: {data['sheets']} 张竣工图 as-built sheets, "
               f"{data['versions']} 个版本 versions, {t['volumes']} 卷 volumes, {t['items']} 件 "
               f"items, {t['pages']} 页 pages")
        yield f"签名 signed by {', '.join(data['signed_by'])}"
        yield f"清单 manifest sha256 {data['payload_manifest_sha256']}"
        empty = [k for k, f in data["stamp"].items() if not f["value"]]
        if empty:
            yield f"竣工图章未记录 stamp fields the chain does not record: {', '.join(empty)}"
    emit(data, as_json, text)


def _report_text(data: dict[str, Any], verbose: bool) -> Iterator[str]:
    for check in data["checks"].values():
        mark = "通过 pass" if check["ok"] else "未通过 FAIL"
        yield f"{check['label']} {mark} ({check['items']} 项 items, {check['failed']} failed)"
    for item in data["items"]:
        if verbose or not item["ok"]:
            mark = "✓" if item["ok"] else "✗"
            detail = f": {item['detail']}" if item["detail"] else ""
            yield f"  {mark} {item['label']} {item['item']} {item['file']}{detail}"
    yield "四性检测通过 all four checks pass" if data["ok"] else "四性检测未通过 checks FAILED"


def _report_exit(data: dict[str, Any]) -> None:
    if not data["ok"]:
        failed = [i for i in data["items"] if not i["ok"]]
        first = failed[0]
        raise IntegrityError(f"{data['package']}: 四性检测未通过 {len(failed)} 项 items failed, "
                             f"first: {first['label']} {first['item']} {first['file']}")


@archive_cmd.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--anchor", "anchors", multiple=True, metavar="SEQ:HASH",
              help="锚点 from `audit head`, kept outside: must be in the package's chain.")
@click.option("--key", "keys", multiple=True, metavar="FINGERPRINT",
              help="打包人公钥指纹 the packer's key fingerprint, kept outside.")
@click.option("-v", "--verbose", is_flag=True, help="列出通过项 list passing items too.")
@json_option
def archive_verify(path: Path, anchors: tuple[str, ...], keys: tuple[str, ...], verbose: bool,
                   as_json: bool) -> None:
    """四性检测 The four checks on the package at PATH (directory or zip); exit 0 only when
    every item passes (50 otherwise)."""
    import workflow

    data = workflow.verify_package(path, anchors=[workflow.parse_anchor(a) for a in anchors],
                                   packer_keys=list(keys)).to_dict()
    emit(data, as_json, lambda: _report_text(data, verbose))
    _report_exit(data)


@archive_cmd.command("list")
@click.argument("project", required=False)
@click.option("--at", "when", metavar="DATETIME", help="到期日 due as of (default now).")
@json_option
def archive_list(project: str | None, when: str | None, as_json: bool) -> None:
    """保管期限 Packages on record and the items whose retention has run (due for appraisal;
    nothing is ever deleted)."""
    import workflow

    at = workflow.parse_time(when) if when else None
    with get_app().session(write=False) as s:
        data = workflow.archive_packages(s, project, at=at)

    def text() -> Iterator[str | tuple[object, ...]]:
        for pk in data:
            counts = ", ".join(f"{k} {v}" for k, v in pk["retention"].items() if v)
            yield (f"#{pk['id']} {pk['project']} {pk['created'][:10]} {short(pk['version'])} "
                   f"{pk['path']}: {pk['items']} 件 items ({counts}); 到期待鉴定 due for "
                   f"appraisal: {len(pk['due'])}; 下次 next {(pk['next_due'] or '-')[:10]}")
            for item in pk["due"]:
                yield "  ", item["file_no"], item["retention"], item["due"][:10], item["file"]
        if not data:
            yield "尚无归档包 no archive packages on record"
    emit(data, as_json, text)


@click.command("inspect")
@click.option("--project", metavar="CODE", help="项目代码 project code.")
@click.option("--unit", metavar="CODE", help="建筑单体代码 building unit code.")
@click.option("--at", "when", required=True, metavar="DATETIME", help="日期 the date.")
@click.option("-o", "--output", "out", required=True, metavar="PATH",
              help="包 package: a new directory, or PATH.zip.")
@as_option
@json_option
def inspect_cmd(project: str | None, unit: str | None, when: str, out: str,
                as_user: str | None, as_json: bool) -> None:
    """调取 The set in force at DATETIME with its certificate, the chain that proves it and a
    verification report, as a package `archive verify` accepts."""
    import workflow

    if (project is None) == (unit is None):
        raise InvalidInput("须指定 --project 或 --unit: name one of a project or a building unit")
    app = get_app()
    with app.session(write=False) as s:
        data = workflow.inspect_pull(s, app.blobs, _keys(), at=workflow.parse_time(when),
                                     user=_user(as_user), out=out, project=project, unit=unit)

    def text() -> Iterator[str | tuple[object, ...]]:
        yield (f"{data['project']}{' ' + data['unit'] if data['unit'] else ''} @ {data['at']}: "
               f"施工现行版 set in force {data['version']}")
        for no, source in data["sheets"].items():
            yield "  ", no, source or "-"
        p = data["proof"]
        yield f"证明 proof: audit #{p['seq']} {p['event']} {p['hash'][:16]}"
        yield f"包 package {data['path']}, 签名 signed by {', '.join(data['signed_by'])}"
        ok = data["report"]["ok"]
        yield "四性检测通过 all four checks pass" if ok else "四性检测未通过 checks FAILED"
    emit(data, as_json, text)
