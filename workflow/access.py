"""Who may see and do what: the one place the web pages and the JSON API ask.

- A user sees a project when their organisation is a party of it; an inspecting organisation
  (监督机构) also sees every project of its jurisdiction (a prefix of the division code in the
  project code), read-only; an admin sees every project, read-only.
- An action is allowed when the workflow table's actor column names one of the user's roles on
  the project (the guards are :func:`workflow.fire`'s business, they say *why not now*).
- To someone outside a project, a project that exists and one that does not look the same:
  one :class:`~storage.errors.NotFound` with one message.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import Party, Project
from storage.display import quote
from storage.errors import NotFound, YitaotuError
from workflow.accounts import is_admin, jurisdictions
from workflow.engine import ROLE_OF_PARTY, get_user
from workflow.machine import EVENT_LABELS, ROLE_LABELS, Role, lifecycle_of
from workflow.models import User


class Forbidden(YitaotuError):
    """A member of the project asked for an action none of their roles may take (HTTP 403)."""

    exit_code = 22


#: Roles that only look: they take no event of any lifecycle.
READ_ONLY_ROLES = frozenset({Role.inspector, Role.admin})


def not_found(code: str) -> NotFound:
    """The one answer for a missing project and one the user may not see."""
    return NotFound(f"项目不存在 no such project: {quote((code or '').strip().upper())}")


@dataclass(frozen=True)
class Access:
    """What one user may do on one project."""

    user: str
    project: str
    roles: frozenset[Role]
    #: Sees the project by jurisdiction or as admin, not as a party.
    onlooker: bool = False

    @property
    def read_only(self) -> bool:
        return not (self.roles - READ_ONLY_ROLES)

    def may(self, event: str) -> bool:
        """Whether any of the user's roles is in the actor column of ``event``."""
        try:
            lc = lifecycle_of(event)
        except YitaotuError:
            return False
        return any(t.actors & self.roles for t in lc.transitions if t.event == event)

    def require(self, event: str) -> None:
        """Raise :class:`Forbidden` unless the user's roles may take ``event``."""
        if self.may(event):
            return
        lc = lifecycle_of(event)  # an unknown event: InvalidInput
        who = sorted({ROLE_LABELS[r] for t in lc.transitions if t.event == event
                      for r in t.actors})
        raise Forbidden(f"{self.user} 无权执行 may not take {EVENT_LABELS.get(event, event)} "
                        f"on {self.project}: only {', '.join(who)}")


def _user(s: Session, user: str | User) -> User:
    return user if isinstance(user, User) else get_user(s, user)


def _visible(u: User, admin: bool, divisions: list[str]) -> object:
    """The SQL condition on ``Project`` for what ``u`` sees."""
    if admin:
        return Project.code.is_not(None)
    member = Project.code.in_(select(Party.project_code)
                              .where(Party.organisation == u.organisation.name))
    by_division = [Project.code.like(f"____-{d}%") for d in divisions]
    return or_(member, *by_division)


def visible_projects(s: Session, user: str | User) -> list[Project]:
    """The projects ``user`` may see, by code; one query whatever their number."""
    u = _user(s, user)
    cond = _visible(u, is_admin(s, u), jurisdictions(s, u))
    return list(s.scalars(select(Project).where(cond).order_by(Project.code)))


def project_access(s: Session, user: str | User, code: str) -> Access:
    """What ``user`` may do on project ``code``; :func:`not_found` when they may not see it."""
    u = _user(s, user)
    try:
        p = registry.get_project(s, code)
    except NotFound:
        raise not_found(code) from None
    roles = {ROLE_OF_PARTY[pt.role] for pt in p.parties
             if pt.organisation == u.organisation.name and pt.role in ROLE_OF_PARTY}
    onlooker = False
    region = p.code[5:11]
    if any(region.startswith(d) for d in jurisdictions(s, u)):
        roles.add(Role.inspector)
        onlooker = not roles - {Role.inspector}
    if is_admin(s, u):
        roles.add(Role.admin)
        onlooker = onlooker or not roles - READ_ONLY_ROLES
    if not roles:
        raise not_found(code)
    return Access(user=u.name, project=p.code, roles=frozenset(roles), onlooker=onlooker)


def project_rows(s: Session, user: str | User) -> list[dict[str, object]]:
    """The projects list: code, name, location and phase of every project ``user`` sees, in
    one query (no per-project status: the list stays fast with many projects)."""
    from workflow.machine import PROJECT
    from workflow.models import Flow

    u = _user(s, user)
    cond = _visible(u, is_admin(s, u), jurisdictions(s, u))
    first = next(iter(PROJECT.states))
    rows = s.execute(select(Project.code, Project.name, Project.location, Flow.state)
                     .outerjoin(Flow, Flow.project_code == Project.code)
                     .where(cond).order_by(Project.code))
    return [{"code": code, "name": name, "location": location, "state": state or first,
             "label": PROJECT.states[state or first]} for code, name, location, state in rows]
