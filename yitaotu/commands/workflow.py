"""Closed-loop commands: org/user/party, submit, review, opinion, asbuilt, accept, archive,
status, inbox, audit, workflow graph (changes, meetings, submissions and disciplines are in
``records``).  Each is one call into ``workflow`` services; the acting user is ``--as USER`` or
``YITAOTU_USER``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from storage.errors import InvalidInput, NotFound
from storage.numbers import finite
from yitaotu.commands._common import DB_INT, emit, get_app, json_option, short

as_option = click.option("--as", "as_user", metavar="USER", envvar="YITAOTU_USER",
                         help="操作人 acting user (default: $YITAOTU_USER).")


def _keys() -> Any:
    from workflow import KeyRing

    return KeyRing(get_app().settings.home / "keys")


def _user(as_user: str | None) -> str:
    user = as_user or get_app().settings.user
    if not user:
        raise InvalidInput("须指定用户 who is acting? use --as USER or set YITAOTU_USER")
    return user


def fire(project: str, event: str, as_user: str | None, as_json: bool,
         record: str | None = None, **kw: Any) -> dict[str, Any]:
    """Take one event of the loop and say what it did (see :func:`take`)."""
    import workflow

    return take(project, as_json, lambda s, user, keys, blobs: workflow.fire(
        s, project, event, user=user, keys=keys, blobs=blobs, record=record, **kw), as_user)


def take(project: str, as_json: bool, call: Any, as_user: str | None) -> dict[str, Any]:
    """Run one service move ``call(session, user, keys, blobs) -> event`` in one transaction
    and say what it did: the record, its new state, the audit entry, and the follow-up events
    it caused."""
    import workflow

    app = get_app()
    with app.session() as s:
        data = workflow.outcome(s, call(s, _user(as_user), _keys(), app.blobs))
    emit(data, as_json, lambda: [workflow.event_line(project, e)
                                 for e in [data, *data["follow"]]])
    return data


# -- organisations, users, parties --------------------------------------------------------------


@click.group("org")
def org_cmd() -> None:
    """单位 Organisations (each has a key pair)."""


@org_cmd.command("add")
@click.argument("name")
@click.option("--alg", type=click.Choice(["ed25519", "sm2-sm3"]), default="ed25519",
              show_default=True, help="签名算法 signature algorithm.")
@json_option
def org_add(name: str, alg: str, as_json: bool) -> None:
    """Add organisation NAME."""
    import workflow

    with get_app().session() as s:
        data = workflow.add_org(s, _keys(), name, alg=alg).to_dict()
    emit(data, as_json, lambda: [f"已添加单位 added organisation {data['name']} ({alg})"])


@org_cmd.command("list")
@json_option
def org_list(as_json: bool) -> None:
    """List organisations."""
    import workflow

    with get_app().session(write=False) as s:
        data = [o.to_dict() for o in workflow.list_orgs(s)]
    emit(data, as_json, lambda: [(o["name"], o["alg"], ", ".join(o["users"])) for o in data])


@org_cmd.command("jurisdiction")
@click.argument("name")
@click.argument("division")
@json_option
def org_jurisdiction(name: str, division: str, as_json: bool) -> None:
    """Let inspecting organisation NAME (监督机构) see, read-only, every project whose code
    names administrative DIVISION (``110000`` a province, ``110100`` a city, ``110105`` a
    district)."""
    import workflow

    with get_app().session() as s:
        row = workflow.add_jurisdiction(s, name, division)
        data = {"organisation": name, "division": row.division}
    emit(data, as_json, lambda: [f"{name}: 监督范围 oversees division {data['division']}*"])


@click.group("user")
def user_cmd() -> None:
    """用户 Users (each has a key pair)."""


@user_cmd.command("add")
@click.argument("name")
@click.option("--org", required=True, help="所属单位 organisation.")
@click.option("--display-name", help="姓名 display name.")
@click.option("--discipline", help="专业 discipline (reviewers: 建筑/结构/给排水/暖通/电气…).")
@json_option
def user_add(name: str, org: str, display_name: str | None, discipline: str | None,
             as_json: bool) -> None:
    """Add user NAME to organisation --org."""
    import workflow

    with get_app().session() as s:
        data = workflow.add_user(s, _keys(), name, org, display_name=display_name,
                                discipline=discipline).to_dict()
    emit(data, as_json, lambda: [
        f"已添加用户 added user {data['name']} ({data['organisation']})"])


@user_cmd.command("list")
@json_option
def user_list(as_json: bool) -> None:
    """List users."""
    import workflow

    with get_app().session(write=False) as s:
        data = [u.to_dict() for u in workflow.list_users(s)]
    emit(data, as_json, lambda: [(u["name"], u["organisation"], u["discipline"] or "")
                                 for u in data])


@user_cmd.command("passwd")
@click.argument("name")
@click.option("--admin/--no-admin", default=None, help="管理员 the web app's admin flag.")
@json_option
def user_passwd(name: str, admin: bool | None, as_json: bool) -> None:
    """Set the web login password of user NAME, read from stdin (asked twice, not echoed, on
    a terminal; else the first line)."""
    import getpass
    import sys

    import workflow

    if sys.stdin.isatty():
        password = getpass.getpass("密码 password: ")
        if getpass.getpass("再输入一次 again: ") != password:
            raise InvalidInput("两次输入的密码不同 the passwords differ")
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    with get_app().session() as s:
        acc = workflow.set_password(s, name, password, admin=admin)
        data = {"user": name, "admin": acc.admin}
    emit(data, as_json, lambda: [f"已设置密码 password set for {name}"
                                 + (" (admin)" if data["admin"] else "")])


@click.group("party")
def party_cmd() -> None:
    """项目参与方 Project parties: an organisation in a role."""


@party_cmd.command("add")
@click.argument("project")
@click.argument("role")
@click.argument("org")
@json_option
def party_add(project: str, role: str, org: str, as_json: bool) -> None:
    """Make ORG a party of PROJECT as ROLE (design 设计, review 审查, owner 建设, contractor
    施工, supervisor 监理, archivist 档案馆, inspector 监督)."""
    import workflow

    with get_app().session() as s:
        data = workflow.add_party(s, project, role, org).to_dict()
    emit(data, as_json, lambda: [f"{project}: {data['role']} {data['organisation']}"])


# -- the loop -----------------------------------------------------------------------------------


@click.command("submit")
@click.argument("project")
@click.argument("rev")
@click.option("--stage", help="阶段 stage (桩基, 基坑, 主体, 幕墙, 装修…; default 全套).")
@click.option("--sheets", "sheets", multiple=True, metavar="PATTERN",
              help="报审图纸 sheet numbers or patterns (S-0*, 结施-*); repeatable; default all.")
@click.option("--submission", "record", metavar="S-N",
              help="重新报审 resubmit this returned submission (default: the only returned one).")
@click.option("--large/--not-large", default=None,
              help="一级以上建筑/大型市政工程: 15 working days of review (else 10).")
@as_option
@json_option
def submit_cmd(project: str, rev: str, stage: str | None, sheets: tuple[str, ...],
               record: str | None, large: bool | None, as_user: str | None,
               as_json: bool) -> None:
    """报审 Submit version REV of PROJECT for review — the whole set or a stage of it — or
    resubmit a returned submission."""
    import workflow

    take(project, as_json, lambda s, user, keys, blobs: workflow.submit(
        s, project, rev, user=user, keys=keys, blobs=blobs, record=record, stage=stage,
        sheets=list(sheets), large_works=large), as_user)


@click.group("review")
def review_cmd() -> None:
    """审查 Review agency actions."""


submission_arg = click.argument("submission", required=False, metavar="[S-N]")


@review_cmd.command("accept")
@click.argument("project")
@submission_arg
@as_option
@json_option
def review_accept(project: str, submission: str | None, as_user: str | None,
                  as_json: bool) -> None:
    """受理 Accept a submission for review (the clock starts); S-N when several wait."""
    fire(project, "accept_review", as_user, as_json, record=submission)


@review_cmd.command("return")
@click.argument("project")
@submission_arg
@as_option
@json_option
def review_return(project: str, submission: str | None, as_user: str | None,
                  as_json: bool) -> None:
    """退回 Return a submission to the design firm with its open opinions (the clock pauses)."""
    fire(project, "return", as_user, as_json, record=submission)


@review_cmd.command("sign")
@click.argument("project")
@submission_arg
@click.option("--discipline", help="专业 (default: the reviewer's own).")
@as_option
@json_option
def review_sign(project: str, submission: str | None, discipline: str | None,
                as_user: str | None, as_json: bool) -> None:
    """专业签署 A discipline's reviewer signs their part of a submission."""
    fire(project, "sign_discipline", as_user, as_json, record=submission, discipline=discipline)


@review_cmd.command("approve")
@click.argument("project")
@submission_arg
@as_option
@json_option
def review_approve(project: str, submission: str | None, as_user: str | None,
                   as_json: bool) -> None:
    """审查合格 Approve a submission once every discipline signed: its sheets join `approved`
    and `current`, and the 审查合格书 is issued, signed by each discipline's reviewer."""
    fire(project, "approve", as_user, as_json, record=submission)


@review_cmd.command("diff")
@click.argument("project")
@submission_arg
@json_option
def review_diff(project: str, submission: str | None, as_json: bool) -> None:
    """本轮修改 What changed since a submission's last round (sheets and per-sheet changes)."""
    import workflow

    app = get_app()
    with app.session(write=False) as s:
        data = workflow.round_changes(s, app.blobs, project, submission)

    def text() -> Iterator[str]:
        yield (f"S-{data['submission']} {data['stage']} 第 {data['round']} 轮 round "
               f"{data['round']}: {short(data['previous'])} → {short(data['version'])}")
        for k, label in (("added", "新增 added"), ("removed", "删除 removed"),
                         ("changed", "修改 changed")):
            yield f"  {label}: {', '.join(data[k]) or '-'}"
        for sheet, changes in data["sheets"].items():
            if changes is None:
                yield f"  {sheet}: (无法比较 not comparable)"
                continue
            for c in changes:
                yield f"  {sheet} {c['id']} {c['kind']} {c['bbox']} {c['mark'] or ''}"
    emit(data, as_json, text)


@review_cmd.command("mark")
@click.argument("project")
@click.argument("sheet")
@click.argument("change_id")
@click.argument("mark", type=click.Choice(["accepted", "queried"]))
@click.option("--text", help="质询内容 query text (queried).")
@click.option("--category", default="general", show_default=True)
@click.option("--submission", metavar="S-N", help="报审 (default: the one in review).")
@as_option
@json_option
def review_mark(project: str, sheet: str, change_id: str, mark: str, text: str | None,
                category: str, submission: str | None, as_user: str | None,
                as_json: bool) -> None:
    """Mark change CHANGE_ID of SHEET accepted or queried (a query becomes an opinion)."""
    import workflow

    app = get_app()
    with app.session() as s:
        m = workflow.mark_change(s, project, sheet, change_id, mark, user=_user(as_user),
                                 keys=_keys(), blobs=app.blobs, text=text, category=category,
                                 submission=submission)
        data = {"sheet": sheet, "change_id": change_id, "mark": mark, "opinion": m.opinion_id}
    emit(data, as_json, lambda: [f"{sheet} {change_id}: {mark}"])


# -- opinions -----------------------------------------------------------------------------------


class Coords(click.ParamType):
    """Anchor coordinates as typed: ``X,Y`` or ``X0,Y0,X1,Y1`` (commas between numbers), or
    polygon points ``X,Y;X,Y;X,Y…`` (semicolons between points).  Nothing else separates, and
    every number is finite; the service checks the shape (a rect's area, a simple polygon)."""

    name = "coords"

    def __init__(self, form: str) -> None:
        self.form = form

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> Any:
        if not isinstance(value, str):
            return value
        what = param.opts[0] if isinstance(param, click.Option) else self.form
        if ";" in self.form:
            return [self._numbers(p, 2, what, value) for p in value.split(";")]
        return self._numbers(value, self.form.count(",") + 1, what, value)

    def _numbers(self, text: str, n: int, what: str, value: str) -> list[float]:
        parts = text.split(",")
        if len(parts) != n:
            raise InvalidInput(f"{what}: 应为 {self.form} expected {self.form} (numbers separated "
                               f"by commas), got {value!r}")
        return [finite(p, what) for p in parts]


@click.group("opinion")
def opinion_cmd() -> None:
    """审查意见 Review opinions."""


@opinion_cmd.command("add")
@click.argument("project")
@click.argument("sheet")
@click.argument("text")
@click.option("--point", type=Coords("X,Y"), metavar="X,Y", help="锚点 a point.")
@click.option("--rect", type=Coords("X0,Y0,X1,Y1"), metavar="X0,Y0,X1,Y1",
              help="矩形 a rectangle (with an area).")
@click.option("--polygon", type=Coords("X,Y;X,Y;X,Y…"), metavar="X,Y;X,Y;X,Y…",
              help="多边形 a simple polygon.")
@click.option("--category", "-c", default="general", show_default=True,
              help="mandatory 强制性条文 / general 一般性 / advice 建议")
@click.option("--change", "change_id", help="关联修改 diff change id.")
@click.option("--discipline", help="专业 (default: the reviewer's, else the sheet's).")
@click.option("--submission", metavar="S-N", help="报审 (default: the one reviewing SHEET).")
@as_option
@json_option
def opinion_add(project: str, sheet: str, text: str, point: list[float] | None,
                rect: list[float] | None, polygon: list[list[float]] | None, category: str,
                change_id: str | None, discipline: str | None, submission: str | None,
                as_user: str | None, as_json: bool) -> None:
    """Add an opinion TEXT on SHEET, anchored by --point, --rect or --polygon; --change names
    a change of the round's diff (`review diff`)."""
    import workflow

    given = [(k, v) for k, v in (("point", point), ("rect", rect), ("polygon", polygon))
             if v is not None]
    if len(given) != 1:
        raise InvalidInput("须给出一个锚点 give exactly one of --point, --rect, --polygon")
    kind, coords = given[0]
    app = get_app()
    with app.session() as s:
        o = workflow.add_opinion(s, project, user=_user(as_user), keys=_keys(), sheet_no=sheet,
                                 anchor={"type": kind, "coords": coords}, category=category,
                                 text=text, change_id=change_id, blobs=app.blobs,
                                 discipline=discipline, submission=submission)
        data = workflow.opinion_dict(o)
    emit(data, as_json, lambda: [f"意见 opinion #{data['number']} ({data['category']})"])


def _opinion_action(action: str) -> click.Command:
    @click.command(action)
    @click.argument("project")
    @click.argument("number", type=DB_INT)
    @click.argument("text", required=action == "reply", default="")
    @click.option("--if-lock", type=DB_INT, help="乐观锁 fail if the opinion changed since LOCK.")
    @as_option
    @json_option
    def cmd(project: str, number: int, text: str, if_lock: int | None, as_user: str | None,
            as_json: bool) -> None:
        import workflow

        with get_app().session() as s:
            o = getattr(workflow, action)(s, project, number, text, user=_user(as_user),
                                          keys=_keys(), expect_lock=if_lock)
            data = workflow.opinion_dict(o)
        emit(data, as_json, lambda: [f"意见 opinion #{number}: {data['state']}"])

    cmd.help = {"reply": "答复 Reply to opinion NUMBER (design firm).",
                "close": "关闭 Close opinion NUMBER (reviewer).",
                "reopen": "重新打开 Reopen opinion NUMBER (reviewer)."}[action]
    return cmd


for _action in ("reply", "close", "reopen"):
    opinion_cmd.add_command(_opinion_action(_action))


@opinion_cmd.command("list")
@click.argument("project")
@click.option("--state", type=click.Choice(["open", "answered", "closed", "reopened"]))
@click.option("--sheet")
@click.option("--discipline", help="专业.")
@click.option("--submission", metavar="S-N")
@json_option
def opinion_list(project: str, state: str | None, sheet: str | None, discipline: str | None,
                 submission: str | None, as_json: bool) -> None:
    """List opinions (those whose anchored region changed first)."""
    import workflow

    with get_app().session(write=False) as s:
        data = [workflow.opinion_dict(o) for o in workflow.list_opinions(
            s, project, state=state, sheet_no=sheet, discipline=discipline,
            submission=submission)]

    def text() -> Iterator[tuple[object, ...]]:
        for o in data:
            flag = " ⚠受影响 affected" if o["affected"] else ""
            yield (f"#{o['number']}", o["state"], o["category"], o["discipline"] or "-",
                   o["sheet"], o["text"] + flag)
    emit(data, as_json, text)


# -- as-built, acceptance, archive -------------------------------------------------------------


@click.group("asbuilt")
def asbuilt_cmd() -> None:
    """竣工图 As-built set."""


@asbuilt_cmd.command("submit")
@click.argument("project")
@click.argument("rev")
@click.option("--redrawn", multiple=True, metavar="SHEET",
              help="重新绘制的图纸 sheets declared redrawn (repeatable).")
@as_option
@json_option
def asbuilt_submit(project: str, rev: str, redrawn: tuple[str, ...], as_user: str | None,
                   as_json: bool) -> None:
    """Submit version REV as the as-built set (contractor); flags sheets changed > 1/3."""
    fire(project, "submit_as_built", as_user, as_json, version=rev, redrawn=list(redrawn))


@asbuilt_cmd.command("confirm")
@click.argument("project")
@as_option
@json_option
def asbuilt_confirm(project: str, as_user: str | None, as_json: bool) -> None:
    """确认 Confirm the as-built set (supervisor or owner)."""
    fire(project, "confirm_as_built", as_user, as_json)


@asbuilt_cmd.command("reject")
@click.argument("project")
@click.option("--reason", default="")
@as_option
@json_option
def asbuilt_reject(project: str, reason: str, as_user: str | None, as_json: bool) -> None:
    """退回 Return the as-built set (supervisor or owner)."""
    fire(project, "reject_as_built", as_user, as_json, reason=reason)


@click.command("accept")
@click.argument("project")
@as_option
@json_option
def accept_cmd(project: str, as_user: str | None, as_json: bool) -> None:
    """竣工验收 Accept the project (owner): moves `as-built`."""
    fire(project, "accept", as_user, as_json)


@click.command("archive")
@click.argument("project")
@as_option
@json_option
def archive_cmd(project: str, as_user: str | None, as_json: bool) -> None:
    """归档 Archive the accepted project (archive): moves `archived`."""
    fire(project, "archive", as_user, as_json)


# -- reading ------------------------------------------------------------------------------------


@click.command("status")
@click.argument("project")
@as_option
@json_option
def status_cmd(project: str, as_user: str | None, as_json: bool) -> None:
    """状态 Where PROJECT stands: phase, refs, submissions and their clocks, changes by state,
    meetings, opinions, as-built, certificates; with --as, what that user may do now."""
    import workflow

    with get_app().session(write=False) as s:
        data = workflow.status(s, project, user=as_user)

    def text() -> Iterator[str]:
        yield f"{data['project']} {data['name']}"
        yield f"阶段 State: {data['label']}"
        for ref, vid in sorted(data["refs"].items()):
            yield f"  {ref:10} {short(vid)}"
        for sub in data["submissions"]:
            line = (f"报审 {sub['name']} {sub['stage']} ({len(sub['sheets'])} 张 sheets): "
                    f"{sub['label']}")
            if sub["state"] not in ("approved", "withdrawn") and (rnd := sub.get("round")):
                c = rnd["clock"]
                over = " 已超期 OVERDUE" if c["overdue"] else ""
                line += (f"; 已用 used {c['used']}/{c['limit']} 工作日 working days, 到期 due "
                         f"{c['due'] or '-'}{over}")
                signed = ", ".join(f"{d} {'✓ ' + u if u else '✗'}"
                                   for d, u in sub["disciplines"].items())
                line += f"; 专业 disciplines: {signed}"
            yield line
        if data["open_changes"]:
            yield "未完成变更 Open changes: " + "; ".join(
                f"{state}: {', '.join(names)}" for state, names in data["open_changes"].items())
        done = [c["name"] for c in data["changes"] if c["state"] == "effective"]
        if done:
            yield "已生效变更 Effective changes: " + ", ".join(done)
        for m in data["meetings"]:
            yield f"图纸会审 {m['name']} {m['held_on']}: {m['state']}"
        if data["opinions"]:
            yield "意见 Opinions: " + ", ".join(f"{k}={v}"
                                              for k, v in sorted(data["opinions"].items()))
        if ab := data.get("as_built"):
            yield f"竣工图 As-built: {ab['state']}"
            for f in ab["redraw"]:
                if not f.get("measured", True):
                    mark = "已重绘 redrawn" if f["redrawn"] else "须人工核对 check by hand"
                    yield f"  {f['sheet']}: 未能测量 not measured ({f['reason']}) — {mark}"
                    continue
                mark = "已重绘 redrawn" if f["redrawn"] else "须重绘 must be redrawn"
                yield f"  {f['sheet']}: 修改面积 {f['fraction']:.0%} > 1/3 — {mark}"
        for cert in data["certificates"]:
            yield (f"审查合格书 Certificate S-{cert['submission']} {cert['stage']}: blob "
                   f"{short(cert['blob'])}")
        if you := data.get("you"):
            moves = "; ".join(f"{k}: {', '.join(v)}" for k, v in you["allowed"].items())
            yield f"{you['user']} 可执行 may do now: {moves or '-'}"
        else:
            yield "可执行 Allowed now: " + (", ".join(data["allowed"]) or "-")
    emit(data, as_json, text)


@click.command("inbox")
@as_option
@click.option("--unread", is_flag=True, help="仅未读 unread only.")
@click.option("--mark-read", is_flag=True, help="标为已读 mark the listed messages read.")
@json_option
def inbox_cmd(as_user: str | None, unread: bool, mark_read: bool, as_json: bool) -> None:
    """待办 Messages for the acting user."""
    import workflow

    with get_app().session() as s:
        msgs = workflow.inbox(s, _user(as_user), unread=unread, mark_read=mark_read)
        data = [{"id": m.id, "project": m.project_code, "message": m.message,
                 "created": m.created.isoformat(),
                 "read": m.read_at.isoformat() if m.read_at else None} for m in msgs]
    emit(data, as_json, lambda: [f"{'  ' if m['read'] else '* '}{m['created'][:16]} "
                                 f"{m['message']}" for m in data])


@click.group("audit")
def audit_cmd() -> None:
    """审计 The signed hash chain of a project."""


@audit_cmd.command("log")
@click.argument("project")
@json_option
def audit_log(project: str, as_json: bool) -> None:
    """Show the chain, oldest first."""
    import workflow
    from drawings import registry

    with get_app().session(write=False) as s:
        code = registry.get_project(s, project).code
        data = [e.to_dict() for e in workflow.audit_events(s, code)]
    emit(data, as_json, lambda: [
        f"#{e['seq']:<4} {e['at'][:19]} {e['event']:<17} {e['actor']:<10} "
        f"{short(e['version'])} {e['hash'][:12]} ← {e['prev'][:12]}" for e in data])


@audit_cmd.command("head")
@click.argument("project")
@json_option
def audit_head(project: str, as_json: bool) -> None:
    """锚点 The chain's newest event as SEQ:HASH, to record outside the database."""
    import workflow
    from drawings import registry

    app = get_app()
    with app.session(write=False) as s:
        data = workflow.audit_head(s, registry.get_project(s, project).code)
    if data is None:
        raise NotFound(f"{project}: 尚无审计事件 no audit events yet")
    emit(data, as_json, lambda: [
        data["anchor"],
        f"(审计 audit #{data['seq']} at {data['at']}; keep this line outside "
        f"the system, then `yitaotu audit verify {project} --anchor {data['anchor']}`)"])


@audit_cmd.command("verify")
@click.argument("project")
@click.option("--anchor", "anchors", multiple=True,
              help="锚点 SEQ:HASH from `audit head`, kept outside; may repeat.")
@json_option
def audit_verify(project: str, anchors: tuple[str, ...], as_json: bool) -> None:
    """Recompute the chain, check every signature, compare every row it governs with its
    replay, re-hash every blob it names, and check that every anchor is still in the chain;
    exit 50 if not."""
    import workflow
    from drawings import registry
    from storage.errors import IntegrityError

    parsed = [workflow.parse_anchor(a) for a in anchors]
    app = get_app()
    with app.session(write=False) as s:
        rep = workflow.verify_chain(s, registry.get_project(s, project).code, app.blobs,
                                 anchors=parsed)
    data = rep.to_dict()

    def text() -> Iterator[str]:
        yield (f"{project}: {data['events']} 事件 events, {data['signatures']} 签名 "
               f"signatures, {data['blobs']} 文件 blobs checked")
        for p in data["problems"]:
            yield f"  ✗ {p}"
        if rep.ok:
            yield ("完整 OK: chain intact, all signatures valid, every row as the chain "
                   "has it")
    emit(data, as_json, text)
    if not rep.ok:
        raise IntegrityError(f"{project}: {len(rep.problems)} 处问题 problems in the audit chain")


@audit_cmd.command("at")
@click.argument("project")
@click.argument("when")
@json_option
def audit_at(project: str, when: str, as_json: bool) -> None:
    """The set in force (`current`) at WHEN, with the chain entry that proves it."""
    show_set_in_force(project, when, as_json)


def show_set_in_force(project: str, when: str, as_json: bool) -> None:
    """Shared by `audit at` and `show PROJECT --at`."""
    import workflow

    with get_app().session(write=False) as s:
        data = workflow.set_in_force(s, project, workflow.parse_time(when))

    def text() -> Iterator[str | tuple[object, ...]]:
        v = data["version"]
        yield f"{data['project']} @ {data['at']}: 施工现行版 set in force {v['id']}"
        for no, e in sorted(v["manifest"].items()):
            yield f"  {no}", short(e["blob"]), data["sheets"].get(no) or "-", e.get("title") or ""
        for part in data["parts"]:
            yield (f"审查合格 approved {part['submission']} {part['stage']} at "
                   f"{part['approved_at']}: {len(part['sheets'])} 张 sheets")
        for ch in data["changes"]:
            events = ", ".join(f"#{e['seq']} {e['event']} ({e['actor']})" for e in ch["events"])
            yield f"变更 change {ch['change']} 生效 effective {ch['effective_at']}: {events}"
        if p := data["proof"]:
            yield (f"证明 proof: audit #{p['seq']} {p['event']} by {p['actor']} at {p['at']}, "
                   f"hash {p['hash'][:16]}, signed by {', '.join(p['signers'])}")
        if h := data["chain_head"]:
            yield f"链头 chain head: #{h['seq']} {h['hash'][:16]}"
    emit(data, as_json, text)


@click.group("workflow")
def workflow_cmd() -> None:
    """流程 The declared lifecycles."""


@workflow_cmd.command("graph")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]),
              default="mermaid", show_default=True)
@click.option("--record", type=click.Choice(["project", "submission", "change", "meeting",
                                             "question", "opinion"]),
              help="一种记录 one kind of record (default: all).")
@json_option
def workflow_graph(fmt: str, record: str | None, as_json: bool) -> None:
    """Print the lifecycles as Mermaid, Graphviz DOT or JSON rows (--json: --format json)."""
    from workflow import machine

    graph = machine.to_mermaid if fmt == "mermaid" else machine.to_dot
    rows = [r for r in machine.describe() if record in (None, r["record"])]
    emit(rows, as_json or fmt == "json", lambda: graph(record).splitlines())
