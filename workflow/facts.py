"""What guards and effects both need to know about the records of one action: a submission's
scope and disciplines, the sign-offs that still count, who confirms, which meeting."""

from __future__ import annotations

import fnmatch

from sqlalchemy import select

from drawings import registry
from storage.display import quote
from workflow import diffs, disciplines
from workflow.engine import Act, get_record, records
from workflow.machine import CHANGE, MEETING, SUBMISSION, Role
from workflow.models import AsBuilt, Change, Meeting, Opinion, Question, Round, Signoff, Submission

#: The parties who sign the minutes of a 图纸会审 (those of them that are parties of the project).
MINUTES_ROLES = (Role.owner, Role.design, Role.contractor, Role.supervisor)


def minutes_roles(a: Act) -> list[Role]:
    from workflow.engine import PARTY_ROLE

    present = {pt.role for pt in a.project.parties}
    return [r for r in MINUTES_ROLES if PARTY_ROLE[r] in present]


def confirmer(roles: set[Role], item: AsBuilt | Change | None) -> Role | None:
    """The party (owner, supervisor) the user confirms for: the first not yet confirmed."""
    if item is None:
        return None
    return next((r for r in (Role.owner, Role.supervisor)
                 if r in roles and getattr(item, f"{r.value}_by") is None), None)


# -- submissions --------------------------------------------------------------------------------


def submission_scope(a: Act) -> tuple[list[str], list[str]]:
    """(sheets under review, those of them the submission removes) for the submission being
    made or resubmitted.  Raises ValueError (the guard's refusal) for a pattern that matches
    nothing."""
    if "_scope" in a.params:
        return a.params["_scope"]
    if isinstance(a.obj, Submission):
        sub = a.obj
        removed = change_of(a, sub).touched["removed"] if sub.change_id else []
        out = (sub.sheets, list(removed))
    elif a.params.get("change") is not None:
        ch = get_record(a.s, CHANGE, a.project, a.params["change"])
        t = ch.touched
        out = (sorted({*t["added"], *t["changed"], *t["removed"]}), list(t["removed"]))
    else:
        manifest = a.version.manifest if a.version is not None else {}
        patterns = [p.strip() for p in a.params.get("sheets") or [] if p and p.strip()]
        if not patterns:
            out = (sorted(manifest), [])
        else:
            chosen: list[str] = []
            for pat in patterns:
                hits = [no for no in sorted(manifest) if fnmatch.fnmatchcase(no, pat)]
                if not hits:
                    raise ValueError(f"没有图纸匹配 no sheet matches {quote(pat)}")
                chosen += [h for h in hits if h not in chosen]
            out = (chosen, [])
    a.params["_scope"] = out
    return out


def change_of(a: Act, sub: Submission) -> Change:
    return a.s.get(Change, sub.change_id)


def submission_disciplines(a: Act, sub: Submission) -> dict[str, str]:
    """sheet -> discipline for every sheet of the submission (removed ones from `approved`)."""
    manifest = registry.get_version(a.s, sub.version_id).manifest
    approved = a.ref("approved")
    entries = {**(approved.manifest if approved else {}), **manifest}
    return disciplines.of_sheets(a.s, a.project.code, entries, sub.sheets)


def rounds_of(a: Act, sub: Submission) -> list[Round]:
    return list(a.s.scalars(select(Round).where(Round.submission_id == sub.id)
                            .order_by(Round.number)))


def valid_signoffs(a: Act, sub: Submission) -> dict[str, Signoff]:
    """discipline -> the sign-off that still counts: one made in the latest round, or in an
    earlier round of this submission when none of that discipline's sheets changed since."""
    rounds = rounds_of(a, sub)
    if not rounds:
        return {}
    latest = rounds[-1]
    by_round = {r.id: r for r in rounds}
    discs = submission_disciplines(a, sub)
    now = registry.get_version(a.s, latest.version_id).manifest
    out: dict[str, Signoff] = {}
    for so in a.s.scalars(select(Signoff).where(Signoff.submission_id == sub.id)
                          .order_by(Signoff.id)):
        if so.round_id == latest.id:
            out[so.discipline] = so
            continue
        then = registry.get_version(a.s, by_round[so.round_id].version_id).manifest
        sheets = [no for no, d in discs.items() if d == so.discipline]
        if all(diffs.same_entry(then.get(no), now.get(no)) for no in sheets):
            out.setdefault(so.discipline, so)
    return out


def submission_covering(a: Act, sheet_no: str, states: tuple[str, ...]) -> Submission | None:
    for sub in records(a.s, SUBMISSION, a.project, states):
        if sheet_no in sub.sheets:
            return sub
    return None


def submission_of_opinion(a: Act) -> Submission | None:
    """The submission an opinion belongs to (for a new one: the one named, else the one in
    review that covers its sheet)."""
    if isinstance(a.obj, Opinion):
        rnd = a.s.get(Round, a.obj.round_id)
        return a.s.get(Submission, rnd.submission_id) if rnd else None
    if "_submission" not in a.params:
        if a.params.get("submission") is not None:
            sub = get_record(a.s, SUBMISSION, a.project, a.params["submission"])
        else:
            sub = submission_covering(a, a.params.get("sheet") or "", ("in_review",))
        a.params["_submission"] = sub
    return a.params["_submission"]


def opinion_discipline(a: Act) -> str:
    """A new opinion's discipline: as given, else the reviewer's, else its sheet's."""
    if "_discipline" not in a.params:
        d = disciplines.normalise(a.params.get("discipline")) or \
            disciplines.normalise(a.user.discipline)
        if d is None:
            sub = submission_of_opinion(a)
            entry = registry.get_version(a.s, sub.version_id).manifest.get(a.params["sheet"]) \
                if sub else None
            d = disciplines.of_sheet(a.s, a.project.code, a.params["sheet"], entry)
        a.params["_discipline"] = d
    return a.params["_discipline"]


# -- meetings -----------------------------------------------------------------------------------


def meeting_of(a: Act) -> Meeting:
    if isinstance(a.obj, Meeting):
        return a.obj
    if isinstance(a.obj, Question):
        return a.s.get(Meeting, a.obj.meeting_id)
    if a.params.get("meeting") is not None:
        return get_record(a.s, MEETING, a.project, a.params["meeting"])
    open_ = records(a.s, MEETING, a.project, ("open",))
    if len(open_) != 1:
        from storage.errors import InvalidInput

        raise InvalidInput("请指明会审 which meeting? " + (", ".join(
            f"M-{m.number}" for m in open_) or "none is open"))
    a.params["meeting"] = open_[0].number
    return open_[0]
