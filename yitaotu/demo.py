"""A demo home through the services: organisations and one user per role with passwords, a
project with its parties and a building unit, generated sheets in two review rounds with an
opinion, an approval with its certificate, and a design change awaiting confirmation.

``yitaotu demo`` and ``make run`` build it; the web tests start from it (tests/web/conftest.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from yitaotu.context import App

PROJECT = "2023-110105-04-01-123450"
PROJECT_NAME = "示例住宅小区"
#: Inspectors of this division see the project without being a party (北京市 districts).
DIVISION = "1101"

#: role -> (user, organisation, discipline); the party role is the role (None: no party).
PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "design": ("des", "甲建筑设计院", None),
    "review": ("rev_a", "丙审查中心", "建筑"),
    "owner": ("own", "乙置业有限公司", None),
    "contractor": ("con", "丁建设集团", None),
    "supervisor": ("sup", "戊工程监理公司", None),
    "archivist": ("arc", "城市建设档案馆", None),
    "inspector": ("insp", "东城区建设工程质量监督站", None),
    "admin": ("admin", "一套图平台", None),
}
#: Users who are not the first of their role.
EXTRA = {"rev_s": ("review", "丙审查中心", "结构")}
#: Someone of no party of the project: sees nothing of it.
OUTSIDER = ("out", "己设计研究院")


@dataclass(frozen=True)
class Login:
    role: str
    user: str
    password: str


def people(app: App) -> list[Login]:
    """Organisations, users, passwords, parties and the inspectors' jurisdiction."""
    import workflow
    from drawings import registry

    keys = workflow.KeyRing(Path(app.settings.home) / "keys")
    logins: list[Login] = []
    with app.session() as s:
        registry.create_project(s, PROJECT, PROJECT_NAME, location="北京市东城区",
                                site="东城区示例路 1 号")
        orgs = {org for _, org, _ in PEOPLE.values()} | {OUTSIDER[1]}
        for org in sorted(orgs):
            workflow.add_org(s, keys, org, alg="sm2-sm3" if org == "丙审查中心" else "ed25519")
        users = [(role, u, org, d) for role, (u, org, d) in PEOPLE.items()]
        users += [(role, u, org, d) for u, (role, org, d) in EXTRA.items()]
        users.append(("outsider", OUTSIDER[0], OUTSIDER[1], None))
        for role, user, org, discipline in users:
            workflow.add_user(s, keys, user, org, discipline=discipline)
            password = secrets.token_urlsafe(9)
            workflow.set_password(s, user, password, admin=role == "admin")
            logins.append(Login(role, user, password))
        for role, (_, org, _) in PEOPLE.items():
            if role not in ("admin", "inspector"):
                workflow.add_party(s, PROJECT, role, org)
        workflow.add_jurisdiction(s, PEOPLE["inspector"][1], DIVISION)
    return logins


def build(app: App) -> list[Login]:
    """Initialise the home and load the demo; returns each demo login."""
    app.init()
    return people(app)
