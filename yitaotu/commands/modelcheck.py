"""`yitaotu check`: 智能辅助审查 — model checks that draft opinions the reviewer confirms or
discards (#18).  Each command is one call into ``workflow``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from yitaotu.commands._common import emit, get_app, json_option
from yitaotu.commands.workflow import _keys, _user, as_option

_CAT = {"mandatory": "强制性条文", "general": "一般性", "advice": "建议"}


def _lines(findings: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    return [(f"F-{f['number']}", f["state"], _CAT.get(f["category"], f["category"]),
             f["clause"], f["guid"] or "-", f["storey"] or "-", f["message"])
            for f in findings]


@click.group("check")
def check_cmd() -> None:
    """模型审查 Assisted review of BIM models: IDS and rule checks drafting opinions."""


@check_cmd.command("run")
@click.argument("project")
@click.argument("model", metavar="MODEL_NO")
@click.option("--submission", metavar="S-N", help="送审 the submission whose round is checked "
                                                  "(default: the model in `head`).")
@click.option("--ids", "ids_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="IDS 文件 buildingSMART IDS file (repeatable; default: the shipped ones).")
@click.option("--unit", help="建筑单体 building unit whose declared facts are checked "
                             "(default: the model's).")
@as_option
@json_option
def check_run(project: str, model: str, submission: str | None, ids_files: tuple[Path, ...],
              unit: str | None, as_user: str | None, as_json: bool) -> None:
    """检查模型 Check MODEL_NO; the findings are drafts for the reviewer."""
    import workflow

    app = get_app()
    with app.session() as s:
        run = workflow.run_model_checks(
            s, app.blobs, project, model, user=_user(as_user), submission=submission,
            ids_files=list(ids_files) or None, unit=unit)
        data = {"run": run.number, "model": run.sheet_no, "blob": run.blob_id,
                "version": run.version_id,
                "findings": [workflow.finding_dict(f) for f in run.findings]}
    emit(data, as_json, lambda: [f"检查 check run #{data['run']} {model}: "
                                 f"{len(data['findings'])} 条待确认 draft findings",
                                 *_lines(data["findings"])])


@check_cmd.command("list")
@click.argument("project")
@click.option("--run", type=int, help="只列出该次检查 only this run.")
@click.option("--state", type=click.Choice(["draft", "confirmed", "discarded"]))
@json_option
def check_list(project: str, run: int | None, state: str | None, as_json: bool) -> None:
    """列出检查结果 List findings."""
    import workflow

    app = get_app()
    with app.session(write=False) as s:
        data = [workflow.finding_dict(f)
                for f in workflow.list_findings(s, project, run=run, state=state)]
    emit(data, as_json, lambda: _lines(data))


@check_cmd.command("confirm")
@click.argument("project")
@click.argument("finding", metavar="F-N")
@click.option("--text", help="意见内容 opinion text (default: the finding's).")
@as_option
@json_option
def check_confirm(project: str, finding: str, text: str | None, as_user: str | None,
                  as_json: bool) -> None:
    """采纳 Confirm a finding: it becomes an opinion of the round."""
    import workflow

    app = get_app()
    with app.session() as s:
        op = workflow.confirm_finding(s, app.blobs, project, finding, user=_user(as_user),
                                      keys=_keys(), text=text)
        data = workflow.opinion_dict(op)
    emit(data, as_json, lambda: [f"{finding} → 意见 opinion #{data['number']} "
                                 f"({data['category']}) {data['text']}"])


@check_cmd.command("discard")
@click.argument("project")
@click.argument("finding", metavar="F-N")
@click.option("--note", required=True, help="理由 why it does not apply.")
@as_option
@json_option
def check_discard(project: str, finding: str, note: str, as_user: str | None,
                  as_json: bool) -> None:
    """不采纳 Discard a finding, saying why."""
    import workflow

    app = get_app()
    with app.session() as s:
        data = workflow.finding_dict(workflow.discard_finding(
            s, project, finding, user=_user(as_user), note=note))
    emit(data, as_json, lambda: [f"{finding} 不采纳 discarded: {note}"])


@check_cmd.command("export-bcf")
@click.argument("project")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--bcf-version", "version", type=click.Choice(["3.0", "2.1"]), default="3.0",
              show_default=True)
@click.option("--sheet", help="只导出该图纸/模型的意见 only this sheet's or model's opinions.")
@json_option
def check_export_bcf(project: str, dest: Path, version: str, sheet: str | None,
                     as_json: bool) -> None:
    """导出 BCF Write the opinions as BCF topics (models: a viewpoint on the element)."""
    import workflow

    app = get_app()
    with app.session(write=False) as s:
        n = workflow.export_bcf(s, project, dest, version=version, sheet_no=sheet)
    emit({"topics": n, "file": str(dest), "version": version}, as_json,
         lambda: [f"BCF {version}: {n} 条意见 topics → {dest}"])


@check_cmd.command("import-bcf")
@click.argument("project")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--model", required=True, metavar="MODEL_NO", help="议题所指的模型 the model.")
@click.option("--submission", metavar="S-N", help="送审 the submission the opinions join.")
@as_option
@json_option
def check_import_bcf(project: str, src: Path, model: str, submission: str | None,
                     as_user: str | None, as_json: bool) -> None:
    """导入 BCF New topics from a BIM tool become opinions on the elements they select."""
    import workflow

    app = get_app()
    with app.session() as s:
        res = workflow.import_bcf(s, app.blobs, project, src, model=model,
                                  user=_user(as_user), keys=_keys(), submission=submission)
    data = res.to_dict()
    emit(data, as_json, lambda: [f"新建意见 created {data['created']} · 本系统导出 own "
                                 f"{data['own']} · 跳过 skipped {len(data['skipped'])}",
                                 *data["skipped"]])
