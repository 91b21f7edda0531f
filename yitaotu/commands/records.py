"""The loop's records beside the project: changes (设计变更, 工程洽商, 技术核定单), 图纸会审
meetings and their questions, submissions, and the sheets' disciplines.  Each command is one
call into ``workflow``; the acting user is ``--as USER`` or ``YITAOTU_USER``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from storage.display import quote
from storage.errors import InvalidInput
from yitaotu.commands._common import emit, get_app, json_option, short
from yitaotu.commands.workflow import Coords, _keys, _user, as_option, fire, take

number_arg = click.argument("number", required=False, metavar="[C-N]")


def _read(fn: Any) -> Any:
    """Call a reading service ``fn(session, blobs)`` in one read-only transaction."""
    app = get_app()
    with app.session(write=False) as s:
        return fn(s, app.blobs)


# -- changes ------------------------------------------------------------------------------------


@click.group("change")
def change_cmd() -> None:
    """变更 Changes: 设计变更 (design firm), 工程洽商 and 技术核定单 (contractor); many at once."""


@change_cmd.command("propose")
@click.argument("project")
@click.argument("rev")
@click.option("--reason", help="变更原因 reason (required for a new change).")
@click.option("--class", "klass", type=click.Choice(["general", "major"]),
              help="一般/重大 general or major (major goes back to review); default general.")
@click.option("--change", "record", metavar="C-N",
              help="为已要求的变更出图 the drawings of a requested change (from a 图纸会审).")
@click.option("--sheets", multiple=True, metavar="PATTERN",
              help="只取这些图纸 take only these sheets of REV onto `current` (repeatable).")
@as_option
@json_option
def change_propose(project: str, rev: str, reason: str | None, klass: str | None,
                   record: str | None, sheets: tuple[str, ...], as_user: str | None,
                   as_json: bool) -> None:
    """提出设计变更 Propose version REV (descending from `current`) as a design change; with
    --sheets, only those sheets of REV on top of `current`."""
    import workflow

    take(project, as_json, lambda s, user, keys, blobs: workflow.propose_change(
        s, project, rev, user=user, keys=keys, blobs=blobs, sheets=sheets, record=record,
        reason=reason, klass=klass), as_user)


@change_cmd.command("raise")
@click.argument("project")
@click.option("--kind", required=True,
              type=click.Choice(["negotiation", "verification", "工程洽商", "技术核定单"]),
              help="工程洽商 negotiation / 技术核定单 verification.")
@click.option("--reason", required=True, help="内容 what is asked.")
@as_option
@json_option
def change_raise(project: str, kind: str, reason: str, as_user: str | None,
                 as_json: bool) -> None:
    """施工单位提出工程洽商或技术核定单 The contractor raises a negotiation or verification."""
    import workflow

    fire(project, "raise_change", as_user, as_json, kind=workflow.parse_change_kind(kind),
         reason=reason)


@change_cmd.command("answer")
@click.argument("project")
@click.argument("number", metavar="C-N")
@click.argument("text")
@click.option("--version", "rev", help="变更图纸 the version with the drawings, if any.")
@click.option("--class", "klass", type=click.Choice(["general", "major"]))
@as_option
@json_option
def change_answer(project: str, number: str, text: str, rev: str | None, klass: str | None,
                  as_user: str | None, as_json: bool) -> None:
    """设计单位答复 The design firm answers a negotiation or verification (with drawings, or
    without: then it is in force as a record once signed)."""
    fire(project, "answer_change", as_user, as_json, record=number, version=rev, text=text,
         klass=klass)


@change_cmd.command("confirm")
@click.argument("project")
@number_arg
@as_option
@json_option
def change_confirm(project: str, number: str | None, as_user: str | None,
                   as_json: bool) -> None:
    """确认 Confirm a change (owner or supervisor)."""
    fire(project, "confirm_change", as_user, as_json, record=number)


@change_cmd.command("reject")
@click.argument("project")
@number_arg
@click.option("--reason", default="")
@as_option
@json_option
def change_reject(project: str, number: str | None, reason: str, as_user: str | None,
                  as_json: bool) -> None:
    """驳回 Reject a change (owner or supervisor)."""
    fire(project, "reject_change", as_user, as_json, record=number, reason=reason)


@change_cmd.command("withdraw")
@click.argument("project")
@click.argument("number", metavar="C-N")
@click.option("--reason", default="")
@as_option
@json_option
def change_withdraw(project: str, number: str, reason: str, as_user: str | None,
                    as_json: bool) -> None:
    """撤回 Withdraw a change (the party that raised it); its review, if any, ends."""
    fire(project, "withdraw_change", as_user, as_json, record=number, reason=reason)


@change_cmd.command("rebase")
@click.argument("project")
@click.argument("number", metavar="C-N")
@click.argument("rev")
@click.option("--drop-edits", "drop_reason", metavar="REASON",
              help="有意舍弃其间生效的修改 drop edits that became effective meanwhile, saying why.")
@as_option
@json_option
def change_rebase(project: str, number: str, rev: str, drop_reason: str | None,
                  as_user: str | None, as_json: bool) -> None:
    """改基 Re-base a change on `current` after another change touched its sheets: the change's
    sheets are taken from REV onto `current` (REV itself when it descends from `current`); they
    must keep the other change's edits (checked entity by entity); confirmations start over."""
    import workflow

    take(project, as_json, lambda s, user, keys, blobs: workflow.rebase_change(
        s, project, number, rev, user=user, keys=keys, blobs=blobs, drop_reason=drop_reason),
        as_user)


@change_cmd.command("sign")
@click.argument("project")
@number_arg
@as_option
@json_option
def change_sign(project: str, number: str | None, as_user: str | None, as_json: bool) -> None:
    """签署 The design firm signs a confirmed change: general — `current` moves to current + the
    change; major — its sheets go to review as their own submission."""
    fire(project, "sign_change", as_user, as_json, record=number)


@change_cmd.command("list")
@click.argument("project")
@click.option("--state", help="状态 (proposed, confirmed, effective…).")
@click.option("--kind", type=click.Choice(["design", "negotiation", "verification"]))
@click.option("--open", "only_open", is_flag=True, help="仅未完成 open ones only.")
@json_option
def change_list(project: str, state: str | None, kind: str | None, only_open: bool,
                as_json: bool) -> None:
    """List changes (filter by state, kind, open)."""
    import workflow

    data = _read(lambda s, _: workflow.list_changes(s, project, state=state, kind=kind,
                                                    only_open=only_open))
    emit(data, as_json, lambda: [(c["name"], c["kind"], c["class"], c["state"],
                                  short(c["version"]), c["reason"]) for c in data])


@change_cmd.command("show")
@click.argument("project")
@click.argument("number", metavar="C-N")
@json_option
def change_show(project: str, number: str, as_json: bool) -> None:
    """One change: its sheets, confirmations, events, and whether another change has touched
    its sheets since (then: what changed there, to rebase)."""
    import workflow

    data = _read(lambda s, blobs: workflow.change_details(s, blobs, project, number))

    def text() -> Iterator[str]:
        c = data["change"]
        yield f"{c['name']} {c['kind']} {c['class']}: {c['state']} — {c['reason']}"
        if c["answer"]:
            yield f"  答复 answer: {c['answer']}"
        t = c["sheets"]
        yield (f"  图纸 sheets: +{','.join(t['added']) or '-'} ~{','.join(t['changed']) or '-'}"
               f" -{','.join(t['removed']) or '-'}")
        yield (f"  确认 confirmed: 建设 {c['owner'] or '-'}, 监理 {c['supervisor'] or '-'}; "
               f"签署 signed: {c['signed_by'] or '-'}")
        for st in data["stale"]:
            yield (f"  ⚠ {st['sheet']}: 其间已修改 changed since its base by "
                   f"{st['by'] or '?'} ({st['summary']}) — rebase")
        for e in data["events"]:
            yield f"  #{e['seq']} {e['at'][:19]} {e['event']} {e['actor']}"
    emit(data, as_json, text)


# -- submissions --------------------------------------------------------------------------------


@click.group("submission")
def submission_cmd() -> None:
    """报审 Submissions: the whole set or one stage of it, each with its own review."""


@submission_cmd.command("list")
@click.argument("project")
@json_option
def submission_list(project: str, as_json: bool) -> None:
    """List submissions with their stage, state and disciplines' sign-offs."""
    import workflow

    data = _read(lambda s, _: workflow.list_submissions(s, project))
    emit(data, as_json, lambda: [(x["name"], x["stage"], x["state"], f"{len(x['sheets'])} sheets",
                                  ", ".join(f"{d}:{u or '-'}" for d, u in x["disciplines"].items()))
                                 for x in data])


@submission_cmd.command("withdraw")
@click.argument("project")
@click.argument("number", metavar="S-N")
@click.option("--reason", default="")
@as_option
@json_option
def submission_withdraw(project: str, number: str, reason: str, as_user: str | None,
                        as_json: bool) -> None:
    """撤回报审 The design firm withdraws a submission not under review."""
    fire(project, "withdraw", as_user, as_json, record=number, reason=reason)


# -- 图纸会审 ------------------------------------------------------------------------------------


@click.group("meeting")
def meeting_cmd() -> None:
    """图纸会审 Drawing review meetings: questions, answers, signed minutes."""


@meeting_cmd.command("open")
@click.argument("project")
@click.option("--date", "held_on", help="日期 YYYY-MM-DD (default today, China time).")
@click.option("--location", help="地点.")
@click.option("--participant", "participants", multiple=True, metavar="ROLE=USER",
              help="参会人 e.g. owner=own; repeatable; every party present needs one.")
@click.option("--version", "rev", help="会审的图纸版本 (default `current`).")
@as_option
@json_option
def meeting_open(project: str, held_on: str | None, location: str | None,
                 participants: tuple[str, ...], rev: str | None, as_user: str | None,
                 as_json: bool) -> None:
    """召开图纸会审 The owner opens a drawing review meeting."""
    import workflow

    people: dict[str, list[str]] = {}
    for item in participants:
        role, sep, user = item.partition("=")
        if not sep or not user.strip():
            raise InvalidInput(f"--participant ROLE=USER, got {quote(item)}")
        people.setdefault(workflow.parse_role(role).value, []).append(user.strip())
    fire(project, "open_meeting", as_user, as_json, version=rev, held_on=held_on,
         location=location, participants=people)


@meeting_cmd.command("question")
@click.argument("project")
@click.argument("sheet")
@click.argument("text")
@click.option("--meeting", metavar="M-N", help="会审 (default: the open one).")
@click.option("--point", type=Coords("X,Y"), metavar="X,Y", help="锚点 a point.")
@click.option("--rect", type=Coords("X0,Y0,X1,Y1"), metavar="X0,Y0,X1,Y1",
              help="矩形 a rectangle.")
@as_option
@json_option
def meeting_question(project: str, sheet: str, text: str, meeting: str | None,
                     point: list[float] | None, rect: list[float] | None, as_user: str | None,
                     as_json: bool) -> None:
    """提出问题 The contractor or supervisor raises a question on SHEET."""
    if (point is None) == (rect is None):
        raise InvalidInput("须给出一个锚点 give exactly one of --point, --rect")
    anchor = ({"type": "point", "coords": point} if point is not None else
              {"type": "rect", "coords": rect})
    fire(project, "raise_question", as_user, as_json, meeting=_number(meeting, "M-"),
         sheet=sheet, anchor=anchor, text=text)


def _number(text: str | None, prefix: str) -> int | None:
    if text is None:
        return None
    raw = text.strip().upper().removeprefix(prefix)
    if not raw.isdigit():
        raise InvalidInput(f"无效编号 invalid number {text!r} (e.g. {prefix}1)")
    return int(raw)


@meeting_cmd.command("answer")
@click.argument("project")
@click.argument("question", metavar="Q-N")
@click.argument("text")
@click.option("--needs-change", is_flag=True,
              help="需出设计变更 the answer needs drawings: a 设计变更 is requested.")
@click.option("--class", "klass", type=click.Choice(["general", "major"]), default="general")
@as_option
@json_option
def meeting_answer(project: str, question: str, text: str, needs_change: bool, klass: str,
                   as_user: str | None, as_json: bool) -> None:
    """答复 The design firm answers a question."""
    fire(project, "answer_question", as_user, as_json, record=question, text=text,
         requires_change=needs_change, klass=klass)


@meeting_cmd.command("close")
@click.argument("project")
@click.argument("meeting", required=False, metavar="[M-N]")
@as_option
@json_option
def meeting_close(project: str, meeting: str | None, as_user: str | None,
                  as_json: bool) -> None:
    """形成纪要 The owner closes the meeting: the minutes are drawn for signing."""
    fire(project, "close_meeting", as_user, as_json, record=meeting)


@meeting_cmd.command("sign")
@click.argument("project")
@click.argument("meeting", required=False, metavar="[M-N]")
@as_option
@json_option
def meeting_sign(project: str, meeting: str | None, as_user: str | None,
                 as_json: bool) -> None:
    """签署纪要 Each party (owner, design, contractor, supervisor) signs the minutes."""
    fire(project, "sign_minutes", as_user, as_json, record=meeting)


@meeting_cmd.command("list")
@click.argument("project")
@json_option
def meeting_list(project: str, as_json: bool) -> None:
    """List meetings with their questions."""
    import workflow

    data = _read(lambda s, _: workflow.meetings(s, project))
    emit(data, as_json, lambda: [(m["name"], m["held_on"], m["state"],
                                  f"{len(m['questions'])} 问题 questions",
                                  ", ".join(f"{r}:{v['user']}" for r, v in m["signed"].items()))
                                 for m in data])


@meeting_cmd.command("minutes")
@click.argument("project")
@click.argument("meeting", metavar="M-N")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@json_option
def meeting_minutes(project: str, meeting: str, output: Path, as_json: bool) -> None:
    """Write the minutes PDF (as last signed) to OUTPUT."""
    import workflow
    from drawings.render import write_atomic

    app = get_app()
    m = _read(lambda s, _: workflow.meeting(s, project, meeting))
    write_atomic(output, app.blobs.read_bytes(workflow.minutes_blob(m)))
    data = {"path": str(output), "meeting": m["name"], "state": m["state"],
            "signed": sorted(m["signed"]), "blob": m["minutes"]}
    emit(data, as_json, lambda: [f"{output} ({m['state']}; 已签 signed by "
                                 f"{', '.join(data['signed']) or '-'})"])


# -- disciplines --------------------------------------------------------------------------------


@click.group("discipline")
def discipline_cmd() -> None:
    """专业 The discipline of each sheet (title block 专业, sheet-number prefix, or set here)."""


@discipline_cmd.command("set")
@click.argument("project")
@click.argument("sheet")
@click.argument("discipline")
@as_option
@json_option
def discipline_set(project: str, sheet: str, discipline: str, as_user: str | None,
                   as_json: bool) -> None:
    """Set SHEET's discipline (design firm or review agency); a signed event."""
    import workflow

    with get_app().session() as s:
        data = workflow.set_discipline(s, project, sheet, discipline, user=_user(as_user),
                                      keys=_keys())
    emit(data, as_json, lambda: [f"{sheet}: {data['before'] or '-'} → {data['discipline']}"])


@discipline_cmd.command("list")
@click.argument("project")
@click.argument("rev", default="head")
@json_option
def discipline_list(project: str, rev: str, as_json: bool) -> None:
    """Every sheet of version REV (default `head`) with its discipline."""
    import workflow

    data = _read(lambda s, _: workflow.sheet_disciplines(s, project, rev))
    emit(data, as_json, lambda: list(data.items()))
