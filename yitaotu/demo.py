"""A demo home through the services: organisations and one user per role with passwords, a
project with its parties, its site and two building units (#14: the map draws them), generated
sheets in two review rounds with an opinion, an approval with its certificate, and a design
change awaiting confirmation.

``yitaotu demo`` and ``make run`` build it; the web tests start from it (tests/web/conftest.py).
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from storage.errors import InvalidInput
from yitaotu.context import App

#: Where ``yitaotu demo`` keeps the demo logins (mode 0600), so ``make run`` shows them again.
LOGINS_FILE = "demo-logins.tsv"

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


def sheet(path: Path, number: str, title: str, shift: float) -> None:
    """A small DXF sheet: a grid of walls, a column, a 图号/图名 title block."""
    import ezdxf

    doc = ezdxf.new("R2013", setup=False)
    msp = doc.modelspace()
    for i in range(6):
        msp.add_line((i * 1000 + shift, 0), (i * 1000 + shift, 8000),
                     dxfattribs={"layer": "A-WALL"})
    msp.add_circle((2500, 4000), 300, dxfattribs={"layer": "A-COLS"})
    for y, label, value in ((-500, "图号", number), (-700, "图名", title)):
        msp.add_text(label, dxfattribs={"insert": (7000, y), "height": 100})
        msp.add_text(value, dxfattribs={"insert": (7500, y), "height": 100})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.saveas(path)


#: The revisions of the set: folder -> (sheet number, title, shift of the walls).
REVISIONS = {
    "r1": [("A-101", "一层平面图", 0), ("A-102", "二层平面图", 0), ("S-201", "基础平面图", 0)],
    "r2": [("A-101", "一层平面图", 80), ("A-103", "屋顶平面图", 0)],  # answers the opinion
    "c1": [("A-102", "二层平面图", 150)],  # the design change: a wall moved
}


def story(app: App, work: Path) -> None:
    """Two review rounds (an opinion returned, answered, closed), both disciplines sign, the
    approval with its certificate, then a design change awaiting owner and supervisor."""
    import workflow
    from drawings import geo, ingest_upload, registry

    keys = workflow.KeyRing(Path(app.settings.home) / "keys")
    for folder, sheets in REVISIONS.items():
        for number, title, shift in sheets:
            sheet(work / folder / f"{number} {title}.dxf", number, title, shift)

    def ingest(folder: str, message: str) -> None:
        ingest_upload(app.session, app.blobs, PROJECT, [work / folder], message=message,
                      author="des")

    def fire(event: str, user: str, **kw: object) -> None:
        with app.session() as s:
            workflow.fire(s, PROJECT, event, user=user, keys=keys, blobs=app.blobs, **kw)

    with app.session() as s:
        registry.add_unit(s, PROJECT, division="110101", year=2026, name="1#住宅楼",
                          floors_above=18, floors_below=2, use="住宅",
                          footprint="POLYGON((116.40 39.90,116.401 39.90,116.401 39.901,"
                                    "116.40 39.901,116.40 39.90))")
        # the site around it (#14): the map page draws both
        geo.set_site(s, PROJECT, "POLYGON((116.3995 39.8995,116.4025 39.8995,116.4025 "
                                 "39.9015,116.3995 39.9015,116.3995 39.8995))")
        registry.add_unit(s, PROJECT, division="110101", year=2026, name="2#住宅楼",
                          floors_above=11, floors_below=1, use="住宅",
                          footprint="POLYGON((116.4013 39.9,116.4022 39.9,116.4022 39.9008,"
                                    "116.4013 39.9008,116.4013 39.9))")
    ingest("r1", "首次报审 first submission")
    with app.session() as s:
        workflow.submit(s, PROJECT, "head", user="des", keys=keys, blobs=app.blobs)
    fire("accept_review", "rev_a")
    with app.session() as s:
        workflow.add_opinion(s, PROJECT, user="rev_a", keys=keys, sheet_no="A-101",
                             anchor={"type": "point", "coords": [2500, 4000]},
                             category="mandatory", text="楼梯宽度不足 the stair is too narrow",
                             blobs=app.blobs)
        workflow.add_opinion(s, PROJECT, user="rev_s", keys=keys, sheet_no="S-201",
                             anchor={"type": "rect", "coords": [0, 0, 2000, 1500]},
                             category="general", text="补充基础配筋说明 add the footing notes",
                             blobs=app.blobs)
    fire("return", "rev_a")
    with app.session() as s:
        workflow.reply(s, PROJECT, 1, "已加宽至 1200 widened to 1200", user="des", keys=keys)
        workflow.reply(s, PROJECT, 2, "已补充 added", user="des", keys=keys)
    ingest("r2", "按意见修改 per the opinions")
    with app.session() as s:
        workflow.submit(s, PROJECT, "head", user="des", keys=keys, blobs=app.blobs)
    fire("accept_review", "rev_a")
    with app.session() as s:
        workflow.close(s, PROJECT, 1, user="rev_a", keys=keys)
        workflow.close(s, PROJECT, 2, user="rev_s", keys=keys)
    fire("sign_discipline", "rev_a")
    fire("sign_discipline", "rev_s")
    fire("approve", "rev_a")
    ingest("c1", "二层墙体调整 second-floor wall moved")
    with app.session() as s:
        workflow.propose_change(s, PROJECT, "head", user="des", keys=keys, blobs=app.blobs,
                                sheets=["A-102"], reason="业主要求调整 the owner asks")


def build(app: App, work: Path) -> list[Login]:
    """Initialise the home and load the demo (sheets generated under ``work``); returns each
    demo login."""
    app.init()
    logins = people(app)
    story(app, work)
    return logins


def save_logins(path: Path, logins: list[Login]) -> None:
    """The logins as ``role TAB user TAB password`` lines, readable by the owner only,
    written to a temp file and renamed (never half-written)."""
    text = "".join(f"{x.role}\t{x.user}\t{x.password}\n" for x in logins)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_logins(path: Path) -> list[dict[str, str]]:
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise InvalidInput(f"{path}: 演示账号文件损坏 damaged demo logins file: {e}") from e
    for n, line in enumerate(lines, 1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise InvalidInput(f"{path}:{n}: 演示账号文件损坏 damaged demo logins file "
                               "(expected role, user, password)")
        out.append(dict(zip(("role", "user", "password"), fields, strict=True)))
    return out
