"""图纸会审纪要: the minutes of a drawing review meeting as a PDF the parties sign."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings.models import Project
from workflow.documents import china_time, text_pdf
from workflow.machine import ROLE_LABELS, Role
from workflow.models import Change, JSONText, Meeting, Question


def render_minutes(s: Session, project: Project, m: Meeting, *, drawn: datetime) -> bytes:
    questions = list(s.scalars(select(Question).where(Question.meeting_id == m.id)
                               .order_by(Question.number)))
    changes = {c.question_id: c for c in s.scalars(select(Change).where(
        Change.question_id.in_([q.id for q in questions])))} if questions else {}
    lines: list[tuple[float, str]] = [
        (20, "图纸会审纪要"),
        (11, "Minutes of the drawing review meeting"),
        (10, ""),
        (11, f"项目代码 Project code: {project.code}"),
        (11, f"项目名称 Project: {project.name}"),
        (11, f"会审编号 Meeting: M-{m.number}    日期 Date: {m.held_on}"
             + (f"    地点 Place: {m.location}" if m.location else "")),
        (9, f"会审图纸版本 Set version: {m.version_id}"),
        (10, ""),
        (11, "参会人员 Participants:"),
    ]
    people = JSONText.load(m.participants) or {}
    for role in (Role.owner, Role.design, Role.contractor, Role.supervisor):
        if role.value in people:
            lines.append((10, f"    {ROLE_LABELS[role]}: {', '.join(people[role.value])}"))
    lines += [(10, ""), (11, f"会审问题及答复 Questions and answers ({len(questions)}):")]
    for q in questions:
        ch = changes.get(q.id)
        lines += [
            (10, f"Q-{q.number}  图号 {q.sheet_no}  ({q.raised_by}, {ROLE_LABELS[Role(q.role)]})"),
            (10, f"    问题 Question: {q.text}"),
            (10, f"    答复 Answer ({q.answered_by}): {q.answer or ''}"),
        ]
        if ch is not None:
            lines.append((10, f"    需出设计变更 Change drawings required: C-{ch.number}"))
    lines += [
        (10, ""),
        (10, "本纪要经建设、设计、施工、监理单位签署后，作为施工图的组成部分。"),
        (9, "Signed by the owner, design firm, contractor and supervisor, these minutes are part "
            "of the construction drawings."),
        (9, f"纪要形成 Drawn: {china_time(drawn)}"),
    ]
    return text_pdf(lines, title=f"图纸会审纪要 {project.code} M-{m.number}",
                    subject=m.version_id)
