"""Integrity commands: verify, fsck, gc."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import click

from storage.errors import IntegrityError, InvalidInput
from yitaotu.commands._common import emit, get_app, json_option


def _drawings() -> ModuleType:
    """``drawings`` (its verify, fsck and gc) with every package's blob references
    registered: drawings cannot import the workflow, so the composition root loads it (its
    certificate PDFs and the blobs its events cite are then re-hashed and kept by gc)."""
    import drawings
    import workflow  # noqa: F401 - registers workflow.blob_references

    return drawings


def _report_lines(rep, title: str) -> Iterator[str]:  # noqa: ANN001 - a maintenance.Report
    for p in rep.problems:
        yield f"错误 problem: {p}"
    for c in rep.cleanable:
        yield f"可清理 cleanable: {c}"
    checked = ", ".join(f"{k}={v}" for k, v in rep.checked.items())
    state = "完好 ok" if rep.ok else f"{len(rep.problems)} 个问题 problems"
    yield f"{title}: {state} ({checked})"


@click.command("verify")
@click.argument("project", required=False)
@click.option("--deep", is_flag=True,
              help="四性检测 also the four checks of an archive on PROJECT as it stands.")
@json_option
def verify_cmd(project: str | None, deep: bool, as_json: bool) -> None:
    """校验 Re-hash every blob a row names, recompute every version id, check every ref
    against its reflog (of PROJECT); with --deep, the archive's four checks too."""
    if deep:
        return _verify_deep(project, as_json)
    app = get_app()
    with app.session(write=False) as s:
        rep = _drawings().verify(s, app.blobs, project)
    emit(rep.to_dict(), as_json, lambda: _report_lines(rep, "verify"))
    if not rep.ok:
        raise IntegrityError(f"verify found {len(rep.problems)} problems: {rep.problems[0]}")


def _verify_deep(project: str | None, as_json: bool) -> None:
    """`verify PROJECT --deep`: the store's checks, then the four checks (one service call
    each; either failing exits 50)."""
    from yitaotu.commands.archive import _report_text

    if project is None:
        raise InvalidInput("--deep 须指定项目 needs a PROJECT")
    app = get_app()
    with app.session(write=False) as s:
        rep = _drawings().verify(s, app.blobs, project)
        four = _workflow().verify_project(s, app.blobs, project).to_dict()
    data = {**rep.to_dict(), "deep": four}
    emit(data, as_json, lambda: [*_report_lines(rep, "verify"), *_report_text(four, False)])
    if not rep.ok:
        raise IntegrityError(f"verify found {len(rep.problems)} problems: {rep.problems[0]}")
    if not four["ok"]:
        first = next(i for i in four["items"] if not i["ok"])
        raise IntegrityError(f"{project}: 四性检测未通过 four checks failed, first: "
                             f"{first['label']} {first['item']} {first['file']}")


def _workflow() -> ModuleType:
    import workflow

    return workflow


@click.command("fsck")
@json_option
def fsck_cmd(as_json: bool) -> None:
    """检查 Dangling or corrupt blobs, bad version ids, refs off their reflog (fail); orphans
    and temp files (gc cleans)."""
    app = get_app()
    with app.session(write=False) as s:
        rep = _drawings().fsck(s, app.blobs)
    emit(rep.to_dict(), as_json, lambda: _report_lines(rep, "fsck"))
    if not rep.ok:
        raise IntegrityError(f"fsck found {len(rep.problems)} problems: {rep.problems[0]}")


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in ``30``, ``30s``, ``15m``, ``24h`` or ``7d``."""
    t = text.strip().lower()
    unit = _UNITS.get(t[-1:])
    number = t[:-1] if unit is not None else t
    try:
        value = float(number) * (unit or 1.0)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise InvalidInput(f"bad duration {text!r} / 时长无效: use e.g. 0, 90s, 30m, 24h, 7d")
    return value


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="只列出 only list what would be removed.")
@click.option(
    "--grace",
    default="24h",
    show_default=True,
    help="宽限期 keep unreferenced blobs younger than this (0, 90s, 30m, 24h, 7d).",
)
@json_option
def gc_cmd(dry_run: bool, grace: str, as_json: bool) -> None:
    """清理 Remove unreferenced blobs and temp files older than the grace period."""
    grace_s = parse_duration(grace)
    app = get_app()
    with app.session(write=False) as s:
        data = _drawings().gc(s, app.blobs, dry_run=dry_run, grace_s=grace_s)
    verb = "将删除 would delete" if dry_run else "已删除 deleted"
    emit(
        data,
        as_json,
        lambda: [
            f"{verb} {len(data['deleted'])} blobs ({data['bytes']} bytes), "
            f"{data['temp']} temp files; 保留 kept {len(data['kept_young'])} younger than {grace}"
        ],
    )
