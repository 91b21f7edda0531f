"""The code of the effects named in :data:`workflow.machine.EFFECTS`.

Effects run after the guards held, inside the action's transaction; what they record goes
into the event's payload (``a.payload``), so the chain alone tells what each action did.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from drawings import registry
from drawings.models import SetVersion
from storage.display import quote
from storage.errors import InvalidInput, NotFound
from workflow import certificate, diffs
from workflow.clock import china_date
from workflow.engine import Act, effect, get_record, get_user, next_number, party_users, roles_of
from workflow.facts import (
    change_of,
    confirmer,
    meeting_of,
    opinion_discipline,
    rounds_of,
    submission_disciplines,
    submission_of_opinion,
    submission_scope,
    valid_signoffs,
)
from workflow.guards import minutes_role, signing_discipline
from workflow.machine import CHANGE, MEETING, OPINION, QUESTION, SUBMISSION, Role
from workflow.models import (
    AsBuilt,
    Certificate,
    Change,
    JSONText,
    Meeting,
    Opinion,
    OpinionReply,
    Question,
    Round,
    SigningKey,
    Signoff,
    Submission,
    User,
)

# -- set versions the loop makes ----------------------------------------------------------------


def derive(a: Act, ref: str, manifest: dict[str, dict[str, Any]], source: SetVersion,
           message: str) -> str:
    """The version ``ref`` moves to: ``source`` itself when its sheets are exactly
    ``manifest``, else a new version whose parents are ``ref``'s and ``source``."""
    if manifest == source.manifest:
        return source.id
    prev = a.ref(ref)
    if prev is not None and manifest == prev.manifest:
        return prev.id
    parents = [v.id for v in (prev, source) if v is not None]
    v = registry.commit_version(a.s, a.project, manifest, parents=list(dict.fromkeys(parents)),
                                author=a.user.name, message=message, created_at=a.now)
    return v.id


# -- the project: as-built, acceptance, archive --------------------------------------------------

REDRAW_FRACTION = 1 / 3


def redraw_flags(blobs: Any, approved: dict[str, dict[str, Any]],
                 as_built: dict[str, dict[str, Any]], redrawn: set[str]) -> list[dict[str, Any]]:
    """Sheets whose changed area since the approved set exceeds a third of the sheet, and
    sheets the diff could not measure (``measured`` False, with the ``reason``): a failing
    diff must not exempt a sheet from the rule."""
    flags = []
    for no in diffs.set_diff(approved, as_built)["changed"]:
        try:
            frac = diffs.measure_sheet(blobs, approved[no], as_built[no]).changed_fraction()
            reason = None if frac is not None else "图纸范围未知 the sheet's extents are unknown"
        except diffs.NotMeasured as e:
            frac, reason = None, e.reason
        if reason is not None:
            flags.append({"sheet": no, "fraction": None, "measured": False, "reason": reason,
                          "redrawn": no in redrawn})
        elif frac is not None and frac > REDRAW_FRACTION:
            flags.append({"sheet": no, "fraction": round(frac, 3), "measured": True,
                          "redrawn": no in redrawn})
    return flags


def pending_as_built(a: Act) -> AsBuilt | None:
    return a.s.scalar(select(AsBuilt).where(AsBuilt.project_code == a.project.code,
                                            AsBuilt.state.in_(("submitted", "confirmed")))
                      .order_by(AsBuilt.id.desc()).limit(1))


@effect("record_as_built")
def _record_as_built(a: Act) -> None:
    assert a.version is not None
    base = a.ref("current")
    approved = a.ref("approved")
    assert base is not None
    redrawn = set(a.params.get("redrawn") or ())
    flags = redraw_flags(a.blobs, approved.manifest if approved else {}, a.version.manifest,
                         redrawn)
    a.s.add(AsBuilt(project_code=a.project.code, version_id=a.version.id,
                    base_version_id=base.id, state="submitted", redraw=JSONText.dump(flags),
                    created=a.now))
    a.payload["redraw"] = flags


@effect("record_confirmation")
def _record_confirmation(a: Act) -> None:
    item = a.obj if isinstance(a.obj, Change) else pending_as_built(a)
    role = confirmer(a.roles, item)
    assert item is not None and role is not None
    setattr(item, f"{role.value}_by", a.user.name)
    setattr(item, f"{role.value}_at", a.now)
    if isinstance(item, AsBuilt) and item.owner_by and item.supervisor_by:
        item.state = "confirmed"
    a.payload["confirmed_as"] = role.value
    if item.version_id:
        a.version = registry.get_version(a.s, item.version_id)


@effect("reject_as_built")
def _reject_as_built(a: Act) -> None:
    item = pending_as_built(a)
    assert item is not None
    item.state = "rejected"
    a.version = registry.get_version(a.s, item.version_id)
    a.payload["reason"] = a.params.get("reason") or ""


@effect("move_as_built")
def _move_as_built(a: Act) -> None:
    item = pending_as_built(a)
    assert item is not None
    item.state = "accepted"
    a.version = registry.get_version(a.s, item.version_id)
    a.move_ref("as-built", item.version_id)


@effect("move_archived")
def _move_archived(a: Act) -> None:
    v = a.ref("as-built")
    assert v is not None
    a.version = v
    a.move_ref("archived", v.id)


# -- submissions --------------------------------------------------------------------------------


@effect("create_submission")
def _create_submission(a: Act) -> None:
    assert a.version is not None
    scope, removed = submission_scope(a)
    change = a.params.get("change")
    ch = get_record(a.s, CHANGE, a.project, change) if change is not None else None
    stage = (a.params.get("stage") or "").strip() or (
        f"变更 C-{ch.number}" if ch is not None else "全套")
    if len(stage) > 100:
        raise InvalidInput("阶段名称过长 stage name longer than 100 characters")
    if a.params.get("large_works") is not None:
        a.flow.large_works = bool(a.params["large_works"])
    sub = Submission(project_code=a.project.code, number=next_number(a.s, SUBMISSION, a.project),
                     kind="change" if ch is not None else "stage", stage=stage,
                     scope=JSONText.dump(scope), version_id=a.version.id,
                     change_id=ch.id if ch is not None else None, state="submitted",
                     created=a.now, updated=a.now)
    a.s.add(sub)
    a.s.flush()
    a.obj = sub
    a.payload.update({"submission": sub.number, "kind": sub.kind, "stage": stage,
                      "scope": scope, "removed": removed, "large_works": a.flow.large_works,
                      "change": ch.number if ch is not None else None})


@effect("move_submitted")
def _move_submitted(a: Act) -> None:
    assert a.version is not None
    a.obj.version_id = a.version.id
    a.move_ref("submitted", a.version.id)


@effect("open_round")
def _open_round(a: Act) -> None:
    assert a.version is not None
    sub: Submission = a.obj
    rounds = rounds_of(a, sub)
    if rounds:
        prev: str | None = rounds[-1].version_id
    elif sub.change_id is not None:
        cur = a.ref("current")
        prev = cur.id if cur else None
    else:
        prev = None
    summary: dict[str, Any] | None = None
    if prev is not None:
        old = registry.get_version(a.s, prev).manifest
        full = diffs.set_diff(old, a.version.manifest)
        summary = {k: [no for no in v if no in sub.sheets] for k, v in full.items()}
    last = a.s.scalar(select(Round.number).where(Round.project_code == a.project.code)
                      .order_by(Round.number.desc()).limit(1))
    rnd = Round(project_code=a.project.code, submission_id=sub.id, number=(last or 0) + 1,
                version_id=a.version.id, prev_version_id=prev, submitted_at=a.now,
                diff=JSONText.dump(summary) if summary is not None else None)
    a.s.add(rnd)
    a.s.flush()
    a.payload["round"] = rnd.number
    if summary is not None:
        a.payload["diff"] = summary


def latest_round(a: Act, sub: Submission) -> Round:
    rounds = rounds_of(a, sub)
    assert rounds, f"S-{sub.number} has no round"
    return rounds[-1]


@effect("start_clock")
def _start_clock(a: Act) -> None:
    rnd = latest_round(a, a.obj)
    rnd.accepted_at = a.now
    a.payload["round"] = rnd.number
    a.version = registry.get_version(a.s, rnd.version_id)


@effect("pause_clock")
def _pause_clock(a: Act) -> None:
    from workflow.service import clock_of

    rnd = latest_round(a, a.obj)
    rnd.ended_at = a.now
    rnd.outcome = "approved" if a.event == "approve" else "returned"
    a.payload["round"] = rnd.number
    a.version = registry.get_version(a.s, rnd.version_id)
    a.payload["clock"] = clock_of(a.s, a.obj, a.flow, now=a.now).to_dict()


@effect("carry_opinions")
def _carry(a: Act) -> None:
    from workflow.opinions import carry_opinions

    sub: Submission = a.obj
    rnd = latest_round(a, sub)
    assert a.version is not None
    a.payload["carried"] = carry_opinions(a.s, a.blobs, sub, rnd, a.version,
                                          author=a.user.name, now=a.now)


@effect("record_signoff")
def _record_signoff(a: Act) -> None:
    sub: Submission = a.obj
    d = signing_discipline(a)
    rnd = latest_round(a, sub)
    a.s.add(Signoff(submission_id=sub.id, round_id=rnd.id, discipline=d,
                    user_name=a.user.name, signed_at=a.now))
    sheets = sorted(no for no, x in submission_disciplines(a, sub).items() if x == d)
    a.version = registry.get_version(a.s, rnd.version_id)
    a.payload.update({"discipline": d, "sheets": sheets, "round": rnd.number})


@effect("approve_scope")
def _approve_scope(a: Act) -> None:
    sub: Submission = a.obj
    version = registry.get_version(a.s, sub.version_id)
    approved, current = a.ref("approved"), a.ref("current")
    label = f"审查合格 S-{sub.number} {sub.stage}"
    new_approved = derive(a, "approved", diffs.merged(
        approved.manifest if approved else {}, version.manifest, sub.sheets), version, label)
    new_current = derive(a, "current", diffs.merged(
        current.manifest if current else {}, version.manifest, sub.sheets), version, label)
    a.move_ref("approved", new_approved)
    a.move_ref("current", new_current)
    a.version = registry.get_version(a.s, new_current)
    signers = valid_signoffs(a, sub)
    cert = issue_certificate(a, sub, version, [get_user(a.s, so.user_name)
                                               for _, so in sorted(signers.items())])
    a.payload.update({"certificate_blob": cert.blob_id,
                      "certificate_signers": JSONText.load(cert.signers),
                      "stage": sub.stage, "scope": sub.sheets,
                      "disciplines": {d: so.user_name for d, so in sorted(signers.items())}})
    if a.flow.state == "design":
        a.then("start_construction")
    if sub.change_id is not None:
        a.then("approve_change", change_of(a, sub).number)


@effect("withdraw_submission")
def _withdraw_submission(a: Act) -> None:
    a.payload["reason"] = a.params.get("reason") or ""


def issue_certificate(a: Act, sub: Submission, version: SetVersion, reviewers: list[User]
                      ) -> Certificate:
    """Render and sign the 审查合格书: each discipline's reviewer, then the agency."""
    if a.blobs is None:
        raise InvalidInput("签发合格书需要文件存储 issuing the certificate needs the blob store")
    agency = a.user.organisation
    people = reviewers or [a.user]
    sheets = [(no, (version.manifest.get(no) or {}).get("title") or "") for no in sub.sheets]
    discs = submission_disciplines(a, sub)
    code = certificate.verify_code(a.project.code, version.id, sub.stage, a.now)
    url = certificate.public_url() + certificate.verify_path(a.project.code, code)
    pdf = certificate.render(project_code=a.project.code, project_name=a.project.name,
                             version_id=version.id, agency=agency.name,
                             reviewers=[(u.display_name or u.name, u.discipline or "")
                                        for u in people],
                             sheets=sheets, issued=a.now, stage=sub.stage,
                             disciplines=discs, verify_url=url)
    idents = [(certificate.identity(a.keys, f"user:{u.name}", u.display_name or u.name,
                                    agency.name), f"Reviewer-{i}-{u.name}")
              for i, u in enumerate(people, 1)]
    idents.append((certificate.identity(a.keys, f"org:{agency.name}", agency.name, agency.name),
                   "Agency"))
    _register_x509(a, [i for i, _ in idents])
    signed = certificate.sign(pdf, idents)
    oid = a.blobs.put_bytes(signed)
    registry.record_blob(a.s, oid, len(signed), format="pdf")
    cert = Certificate(project_code=a.project.code, version_id=version.id,
                       submission_id=sub.id, stage=sub.stage, blob_id=oid,
                       signers=JSONText.dump([i.owner for i, _ in idents]), issued=a.now)
    a.s.add(cert)
    return cert


def _register_x509(a: Act, idents: list[certificate.Identity]) -> None:
    """The X.509 certificates become trust anchors on record (verifying needs no key files)."""
    for ident in idents:
        fp = certificate.cert_fingerprint(ident.cert_pem)
        if a.s.scalar(select(SigningKey).where(SigningKey.fingerprint == fp)) is None:
            a.s.add(SigningKey(owner=ident.owner, alg=certificate.X509, fingerprint=fp,
                               public=ident.cert_pem.decode(), created=a.now))


# -- changes ------------------------------------------------------------------------------------


def _text(a: Act, key: str, what: str) -> str:
    text = (a.params.get(key) or "").strip()
    if not text:
        raise InvalidInput(f"须填写{what}")
    return text


@effect("create_change")
def _create_change(a: Act) -> None:
    raised = a.event == "raise_change"
    kind = a.params.get("kind") or ("negotiation" if raised else "design")
    if not raised and kind != "design":
        raise InvalidInput("设计单位提出设计变更 the design firm proposes design changes "
                           "(工程洽商/技术核定单 are raised by the contractor)")
    klass = a.params.get("klass") or "general"
    if klass not in ("general", "major"):
        raise InvalidInput(f"变更类别 change class must be general or major, not {quote(klass)}")
    question = a.params.get("question")
    reason = _text(a, "reason", "变更原因 a reason")
    ch = Change(project_code=a.project.code, number=next_number(a.s, CHANGE, a.project),
                kind=kind, klass=klass, raised_by="contractor" if raised else "design",
                reason=reason, sheets=JSONText.dump({"added": [], "changed": [], "removed": []}),
                question_id=question, state="new", author=a.user.name, created=a.now,
                updated=a.now)
    a.s.add(ch)
    a.s.flush()
    a.obj = ch
    a.payload.update({"change": ch.number, "kind": kind, "class": klass, "reason": reason,
                      "raised_by": ch.raised_by})
    if question is not None:
        q = a.s.get(Question, question)
        a.payload["question"] = q.number if q else None


def _set_drawings(a: Act, ch: Change) -> None:
    """The proposed version, the `current` it is based on and the sheets it touches."""
    assert a.version is not None
    cur = a.ref("current")
    assert cur is not None
    touched = diffs.set_diff(cur.manifest, a.version.manifest)
    ch.base_version_id, ch.version_id = cur.id, a.version.id
    ch.sheets = JSONText.dump(touched)
    a.payload.update({"base": cur.id, "version": a.version.id, "sheets": touched})


@effect("record_proposal")
def _record_proposal(a: Act) -> None:
    ch: Change = a.obj
    if a.params.get("klass"):
        if a.params["klass"] not in ("general", "major"):
            raise InvalidInput("变更类别 change class must be general or major")
        ch.klass = a.params["klass"]
        a.payload["class"] = ch.klass
    _set_drawings(a, ch)


@effect("record_answer")
def _record_answer(a: Act) -> None:
    ch: Change = a.obj
    ch.answer = _text(a, "text", "答复内容 an answer")
    a.payload["answer"] = ch.answer
    if a.params.get("klass") in ("general", "major"):
        ch.klass = a.params["klass"]
        a.payload["class"] = ch.klass
    if a.version is not None:
        from workflow.guards import _based_on_current, _changes_sheets

        if why := _based_on_current(a) or _changes_sheets(a):
            raise InvalidInput(why)
        _set_drawings(a, ch)


@effect("rebase")
def _rebase(a: Act) -> None:
    ch: Change = a.obj
    a.payload.update({"old_base": ch.base_version_id, "old_version": ch.version_id,
                      "drop_reason": (a.params.get("drop_reason") or "").strip() or None})
    _set_drawings(a, ch)
    ch.owner_by = ch.owner_at = ch.supervisor_by = ch.supervisor_at = None


@effect("apply_change")
def _apply_change(a: Act) -> None:
    ch: Change = a.obj
    ch.signed_by, ch.signed_at, ch.effective_at = a.user.name, a.now, a.now
    a.payload["change"] = ch.number
    if ch.version_id is None:  # an answer without drawings: in force as a document
        return
    version = registry.get_version(a.s, ch.version_id)
    cur = a.ref("current")
    assert cur is not None
    t = ch.touched
    manifest = diffs.merged(cur.manifest, version.manifest,
                            [*t["added"], *t["changed"], *t["removed"]])
    target = derive(a, "current", manifest, version, f"变更 C-{ch.number} 生效 effective")
    a.move_ref("current", target)
    a.version = registry.get_version(a.s, target)


@effect("review_change")
def _review_change(a: Act) -> None:
    ch: Change = a.obj
    ch.signed_by, ch.signed_at = a.user.name, a.now
    a.payload["change"] = ch.number
    a.then("submit", change=ch.number, version=ch.version_id)


@effect("mark_effective")
def _mark_effective(a: Act) -> None:
    ch: Change = a.obj
    ch.effective_at = a.now
    a.payload["change"] = ch.number
    a.version = a.ref("current")


@effect("close_change")
def _close_change(a: Act) -> None:
    ch: Change = a.obj
    a.payload.update({"change": ch.number, "reason": a.params.get("reason") or ""})
    if ch.state == "in_review":
        sub = a.s.scalar(select(Submission).where(Submission.change_id == ch.id,
                                                  Submission.state != "approved")
                         .order_by(Submission.number.desc()).limit(1))
        if sub is not None:
            sub.state = "withdrawn"
            a.payload["submission_withdrawn"] = sub.number


# -- meetings and questions ---------------------------------------------------------------------


def _participants(a: Act) -> dict[str, list[str]]:
    """{role: [user, …]} as given, each user checked to act for that party of the project."""
    out: dict[str, list[str]] = {}
    for role, names in (a.params.get("participants") or {}).items():
        for name in names:
            u = get_user(a.s, name)
            if Role(role) not in roles_of(a.s, a.project, u):
                raise InvalidInput(f"{name} 不代表 does not act for the {role} of {a.project.code}")
            out.setdefault(Role(role).value, []).append(u.name)
    for r in (Role.owner, Role.design, Role.contractor, Role.supervisor):
        if r.value not in out and party_users(a.s, a.project, r):
            raise InvalidInput(f"须有 {r.value} 参会人 the meeting needs a participant of the "
                               f"{r.value} (--participant {r.value}=USER)")
    return out


@effect("create_meeting")
def _create_meeting(a: Act) -> None:
    held = a.params.get("held_on") or china_date(a.now).isoformat()
    try:
        held = date.fromisoformat(str(held)).isoformat()
    except ValueError:
        raise InvalidInput(f"无效日期 invalid date {quote(held)} (YYYY-MM-DD)") from None
    version = a.version or a.ref("current") or a.ref("approved")
    assert version is not None
    a.version = version
    m = Meeting(project_code=a.project.code, number=next_number(a.s, MEETING, a.project),
                held_on=held, location=(a.params.get("location") or "").strip() or None,
                version_id=version.id, participants=JSONText.dump(_participants(a)),
                state="new", signed="{}", created=a.now)
    a.s.add(m)
    a.s.flush()
    a.obj = m
    a.payload.update({"meeting": m.number, "held_on": held, "location": m.location,
                      "participants": JSONText.load(m.participants)})


@effect("draw_minutes")
def _draw_minutes(a: Act) -> None:
    from workflow.minutes import render_minutes

    m: Meeting = a.obj
    pdf = render_minutes(a.s, a.project, m, drawn=a.now)
    oid = a.blobs.put_bytes(pdf)
    registry.record_blob(a.s, oid, len(pdf), format="pdf")
    m.minutes_blob = oid
    a.version = registry.get_version(a.s, m.version_id)
    a.payload.update({"meeting": m.number, "minutes_blob": oid})


@effect("sign_minutes")
def _sign_minutes(a: Act) -> None:
    m: Meeting = a.obj
    role = minutes_role(a)
    assert role is not None and m.minutes_blob is not None
    ident = certificate.identity(a.keys, f"user:{a.user.name}",
                                 a.user.display_name or a.user.name, a.user.organisation.name)
    _register_x509(a, [ident])
    pdf = certificate.sign(a.blobs.read_bytes(m.minutes_blob),
                           [(ident, f"Minutes-{role.value}-{a.user.name}")],
                           reason="图纸会审纪要 minutes signed")
    oid = a.blobs.put_bytes(pdf)
    registry.record_blob(a.s, oid, len(pdf), format="pdf")
    signed = JSONText.load(m.signed) or {}
    signed[role.value] = {"user": a.user.name, "at": a.now.isoformat(), "blob": oid}
    m.signed, m.minutes_blob = JSONText.dump(signed), oid
    a.version = registry.get_version(a.s, m.version_id)
    a.payload.update({"meeting": m.number, "signed_as": role.value, "minutes_blob": oid,
                      "signer_owner": f"user:{a.user.name}"})


@effect("create_question")
def _create_question(a: Act) -> None:
    from workflow.opinions import make_anchor

    m = meeting_of(a)
    manifest = registry.get_version(a.s, m.version_id).manifest
    sheet = a.params.get("sheet") or ""
    if sheet not in manifest:
        raise NotFound(f"图纸 {sheet} 不在会审的图纸中 not in the set of meeting M-{m.number}")
    anchor = make_anchor(a.params["anchor"]["type"], a.params["anchor"]["coords"])
    text = _text(a, "text", "问题内容 the question")
    role = next(r for r in (Role.contractor, Role.supervisor) if r in a.roles)
    entry = manifest[sheet]
    q = Question(project_code=a.project.code, number=next_number(a.s, QUESTION, a.project),
                 meeting_id=m.id, sheet_no=sheet, blob_id=entry["blob"], page=entry.get("page"),
                 anchor=JSONText.dump(anchor), text=text, raised_by=a.user.name,
                 role=role.value, state="new", created=a.now)
    a.s.add(q)
    a.s.flush()
    a.obj = q
    a.version = registry.get_version(a.s, m.version_id)
    a.payload.update({"question": q.number, "meeting": m.number, "sheet": sheet,
                      "blob": entry["blob"], "anchor": anchor, "text": text, "as": role.value})


@effect("record_question_answer")
def _record_question_answer(a: Act) -> None:
    q: Question = a.obj
    q.answer, q.answered_by = _text(a, "text", "答复内容 an answer"), a.user.name
    needs = bool(a.params.get("requires_change"))
    a.payload.update({"question": q.number, "answer": q.answer, "requires_change": needs})
    if needs:
        a.then("request_change", question=q.id, klass=a.params.get("klass") or "general",
               reason=f"图纸会审 M-{meeting_of(a).number} Q-{q.number}: {q.text} — {q.answer}")


# -- opinions -----------------------------------------------------------------------------------


@effect("create_opinion")
def _create_opinion(a: Act) -> None:
    from workflow.opinions import make_anchor, parse_category, round_change

    sub = submission_of_opinion(a)
    assert sub is not None
    rnd = latest_round(a, sub)
    manifest = registry.get_version(a.s, rnd.version_id).manifest
    sheet = a.params.get("sheet") or ""
    if sheet not in manifest or sheet not in sub.sheets:
        raise NotFound(f"图纸 {sheet} 不在送审范围中 sheet not under review in S-{sub.number}")
    text = _text(a, "text", "意见内容 opinion text")
    category = parse_category(a.params.get("category") or "general")
    anchor = make_anchor(a.params["anchor"]["type"], a.params["anchor"]["coords"],
                         element=a.params["anchor"].get("element"),
                         level=a.params["anchor"].get("level"))
    if a.params.get("change_id") is not None and not a.params.get("checked_change"):
        round_change(a.s, a.blobs, rnd, sheet, a.params["change_id"])
    entry = manifest[sheet]
    o = Opinion(project_code=a.project.code, number=next_number(a.s, OPINION, a.project),
                round_id=rnd.id, sheet_no=sheet, blob_id=entry["blob"], page=entry.get("page"),
                anchor=JSONText.dump(anchor), change_id=a.params.get("change_id"),
                category=category, discipline=opinion_discipline(a), text=text,
                author=a.user.name, state="new", affected=False, created=a.now, updated=a.now)
    a.s.add(o)
    a.s.flush()
    a.obj = o
    a.version = registry.get_version(a.s, rnd.version_id)
    a.payload.update({"opinion": o.number, "submission": sub.number, "sheet": sheet,
                      "blob": entry["blob"], "anchor": anchor, "category": category,
                      "discipline": o.discipline, "text": text,
                      "change_id": a.params.get("change_id")})


@effect("record_reply")
def _record_reply(a: Act) -> None:
    o: Opinion = a.obj
    kind = a.event.removeprefix("opinion_")
    text = (a.params.get("text") or "").strip()
    if kind != "reply":
        o.affected = False
    a.s.add(OpinionReply(opinion_id=o.id, kind=kind, author=a.user.name, text=text,
                         created=a.now))
    a.payload.update({"opinion": o.number, "text": text})

