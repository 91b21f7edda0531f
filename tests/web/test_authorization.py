"""The authorization matrix: every route of the app × every demo role, the outsider and the
anonymous caller.  A route added without a row here fails :func:`test_every_route_is_in_the_matrix`.

Statuses: 200/202/303 allowed, 302 to the login page (anonymous pages), 401 (anonymous API),
403 (a member whose roles may not), 404 (outside the project: the same as a missing one).
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.web.api_client import token
from tests.web.conftest import ROLES, csrf_token, login, make_app
from yitaotu.context import App

P = "2023-110105-04-01-123450"
WHO = (*ROLES, "outsider", "anonymous")
MEMBERS = ("design", "review", "owner", "contractor", "supervisor", "archivist")
SEES = (*MEMBERS, "inspector", "admin")


def by(allowed: tuple[str, ...], yes: int, *, member_no: int = 403, anon: int = 302,
       outsider: int = 404) -> dict[str, int]:
    """Status per caller: ``yes`` for ``allowed``; members and onlookers otherwise get
    ``member_no``; the outsider ``outsider``; the anonymous ``anon``."""
    out = {w: (yes if w in allowed else member_no) for w in SEES}
    out["outsider"] = yes if "outsider" in allowed else outsider
    out["anonymous"] = anon
    return out


EVERYONE = (*SEES, "outsider")
#: A job id nobody submitted.
JOB = "0123456789abcdef01234567"
#: rule -> (method, concrete path or path builder, body, expected statuses)
MATRIX: dict[str, tuple[str, str, dict[str, Any] | None, dict[str, int]]] = {
    "/": ("GET", "/", None, by(EVERYONE, 200)),
    "/login": ("GET", "/login", None, {w: 200 for w in WHO}),
    "/lang/<lang>": ("POST", "/lang/en", {"next": "/"}, {**by(EVERYONE, 302),
                                                        "anonymous": 302}),
    "/projects/<code>": ("GET", f"/projects/{P}", None, by(SEES, 200)),
    "/projects/<code>/events/<event>": (
        "POST", f"/projects/{P}/events/confirm_change", {"record": "C-1"},
        by(("owner", "supervisor"), 303)),
    "/projects/<code>/certificates/<blob>.pdf": ("GET", "CERT", None, by(SEES, 200)),
    "/api/v1/auth/token": ("POST", "/api/v1/auth/token", "TOKEN", {**by(EVERYONE, 200),
                                                                  "anonymous": 401}),
    "/api/v1/projects": ("GET", "/api/v1/projects", None, by(EVERYONE, 200, anon=401)),
    "/api/v1/projects/<code>": ("GET", f"/api/v1/projects/{P}", None,
                                by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/events/<event>": (
        "POST", f"/api/v1/projects/{P}/events/reject_change", {"record": "C-1"},
        by(("owner", "supervisor"), 200, anon=401)),
    "/api/v1/projects/<code>/uploads": ("POST", f"/api/v1/projects/{P}/uploads", "UPLOAD",
                                        by(("design",), 202, anon=401)),
    "/api/v1/jobs/<job_id>": ("GET", "/api/v1/jobs/0123456789abcdef01234567", None,
                              by((), 200, member_no=404, anon=401)),
    # sheet register and viewer (SHEET: head's A-101 by its version id, pyramid made)
    "/projects/<code>/sheets": ("GET", f"/projects/{P}/sheets", None, by(SEES, 200)),
    "/projects/<code>/versions/<rev>/sheets/<number>": ("GET", "SHEET", None, by(SEES, 200)),
    "/projects/<code>/versions/<rev>/sheets/<number>/pyramid": ("POST", "SHEET/pyramid", {},
                                                                by(SEES, 200)),
    "/projects/<code>/versions/<rev>/sheets/<number>/tiles/<int:z>/<int:x>/<int:y>.png": (
        "GET", "SHEET/tiles/1/0/0.png", None, by(SEES, 200)),
    "/api/v1/projects/<code>/versions/<rev>/sheets": (
        "GET", f"/api/v1/projects/{P}/versions/head/sheets", None, by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/versions/<rev>/sheets/<number>": (
        "GET", "/api/v1SHEET", None, by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/versions/<rev>/sheets/<number>/pyramid": (
        "POST", "/api/v1SHEET/pyramid", {}, by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/versions/<rev>/sheets/<number>/tiles/<int:z>/<int:x>/<int:y>.png": (
        "GET", "/api/v1SHEET/tiles/1/0/0.png", None, by(SEES, 200, anon=401)),
    # compare (no round under review in the demo: the reviewer's mark finds no submission in
    # review, 404; the other roles are refused first, 403)
    "/projects/<code>/compare": ("GET", f"/projects/{P}/compare", None, by(SEES, 200)),
    "/projects/<code>/compare/<number>": ("GET", f"/projects/{P}/compare/A-101?old=head~2",
                                          None, by(SEES, 200)),
    "/projects/<code>/compare/<number>/changes": (
        "GET", f"/projects/{P}/compare/A-101/changes?old=head~2", None, by(SEES, 200)),
    "/projects/<code>/compare/<number>/marks": (
        "POST", f"/projects/{P}/compare/A-101/marks", {"change_id": "c1", "mark": "accepted"},
        by(("review",), 404)),
    "/api/v1/projects/<code>/compare": ("GET", f"/api/v1/projects/{P}/compare", None,
                                        by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/compare/<number>": (
        "GET", f"/api/v1/projects/{P}/compare/A-101?old=head~2", None, by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/compare/<number>/marks": (
        "POST", f"/api/v1/projects/{P}/compare/A-101/marks",
        {"change_id": "c1", "mark": "accepted"}, by(("review",), 404, anon=401)),
    # review (no submission under review in the demo: the reviewer's new opinion is refused
    # by the guard, 409; a reply to a closed opinion too; the other roles 403 first)
    "/projects/<code>/opinions": ("GET", f"/projects/{P}/opinions", None, by(SEES, 200)),
    "/projects/<code>/opinions/<int:number>/<action>": (
        "POST", f"/projects/{P}/opinions/1/reply", {"text": "x"}, by(("design",), 409)),
    "/api/v1/projects/<code>/opinions": ("GET", f"/api/v1/projects/{P}/opinions", None,
                                         by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/opinions/<int:number>/<action>": (
        "POST", f"/api/v1/projects/{P}/opinions/1/reply", {"text": "x"},
        by(("design",), 409, anon=401)),
    # the upload, set, certificate-check and inspector pages (branch web-pages)
    "/projects/<code>/upload": ("GET", f"/projects/{P}/upload", None, by(("design",), 200)),
    "/projects/<code>/uploads/<job_id>": ("GET", f"/projects/{P}/uploads/{JOB}", None,
                                          {**by((), 200), "design": 404}),
    "/jobs/<job_id>.json": ("GET", f"/jobs/{JOB}.json", None, by((), 200, member_no=404)),
    "/projects/<code>/log": ("GET", f"/projects/{P}/log", None, by(SEES, 200)),
    "/projects/<code>/versions/<rev>": ("GET", f"/projects/{P}/versions/head", None,
                                        by(SEES, 200)),
    "/projects/<code>/versions/<rev>/thumbs/<path:sheet>.png": (
        "GET", f"/projects/{P}/versions/head/thumbs/A-101.png", None, by(SEES, 200)),
    "/projects/<code>/in-force": ("GET", f"/projects/{P}/in-force", None, by(SEES, 200)),
    "/c": ("GET", "/c", None, {w: 200 for w in WHO}),
    "/c/<project>/<code>": ("GET", f"/c/{P}/AAAAAAAAAAAAAAAA", None, {w: 404 for w in WHO}),
    "/inspect": ("GET", "/inspect?q=示例", None, by(EVERYONE, 200)),
    "/inspect/<code>": ("GET", f"/inspect/{P}", None, by(SEES, 200)),
    "/inspect/<code>/package": ("POST", f"/inspect/{P}/package", {}, by(SEES, 303)),
    "/inspect/packages/<job_id>": ("GET", f"/inspect/packages/{JOB}", None,
                                   by((), 200, member_no=404)),
    "/inspect/packages/<job_id>.zip": ("GET", f"/inspect/packages/{JOB}.zip", None,
                                       by((), 200, member_no=404)),
    "/api/v1/projects/<code>/log": ("GET", f"/api/v1/projects/{P}/log", None,
                                    by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/versions/<rev>": ("GET", f"/api/v1/projects/{P}/versions/head",
                                               None, by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/in-force": ("GET", f"/api/v1/projects/{P}/in-force", None,
                                         by(SEES, 200, anon=401)),
    "/api/v1/projects/<code>/packages": ("POST", f"/api/v1/projects/{P}/packages", {},
                                         by(SEES, 202, anon=401)),
    "/api/v1/packages/<job_id>.zip": ("GET", f"/api/v1/packages/{JOB}.zip", None,
                                      by((), 200, member_no=404, anon=401)),
    "/api/v1/search": ("GET", "/api/v1/search?q=示例", None, by(EVERYONE, 200, anon=401)),
    "/api/v1/certificates": ("GET", f"/api/v1/certificates?sha256={'0' * 64}", None,
                             {w: 404 for w in WHO}),
    "/api/v1/certificates/<project>/<code>": ("GET", f"/api/v1/certificates/{P}/"
                                              "AAAAAAAAAAAAAAAA", None, {w: 404 for w in WHO}),
    # the map (#14): everyone signed in; each sees only their projects (tests/web/test_map.py)
    "/map": ("GET", "/map", None, by(EVERYONE, 200)),
    "/api/v1/map": ("GET", "/api/v1/map", None, by(EVERYONE, 200, anon=401)),
    "/logout": ("POST", "/logout", {}, {**by(EVERYONE, 302), "anonymous": 302}),  # the last
}
#: Served to anyone and holding nothing of a project.
PUBLIC = {"/static/<path:filename>", "/api/v1/openapi.json"}


def test_every_route_is_in_the_matrix(app: Any) -> None:
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert rules - PUBLIC - set(MATRIX) == set(), "routes without authorization rows"
    assert set(MATRIX) - rules == set(), "rows for routes that do not exist"


def _certificate(home: Any) -> str:
    import workflow

    app = App(home.settings)
    try:
        with app.session(write=False) as s:
            return workflow.status(s, P)["certificates"][0]["blob"]
    finally:
        app.close()


def _sheet_with_pyramid(home: Any) -> str:
    """The viewer's path of head's A-101 (by version id), its tile pyramid made."""
    import drawings
    from drawings import registry
    from drawings.render.tiles import TileCache

    app = App(home.settings)
    try:
        with app.session(write=False) as s:
            v = registry.resolve_version(s, P, "head")
            vid, blob = v.id, v.manifest["A-101"]["blob"]
        cache = TileCache.for_home(home.settings.home,
                                   lambda b: drawings.read(app.blobs.read_bytes(b)))
        cache.prepare(blob, "")
    finally:
        app.close()
    return f"/projects/{P}/versions/{vid}/sheets/A-101"


@pytest.mark.parametrize("who", WHO)
def test_authorization_matrix(home: Any, who: str) -> None:
    app = make_app(home)
    cert = f"/projects/{P}/certificates/{_certificate(home)}.pdf"
    sheet = _sheet_with_pyramid(home)
    results, expected = {}, {}
    client = app.test_client()
    auth: dict[str, str] = {}
    if who != "anonymous":
        login(client, home.logins[who])
        auth = token(client, home.logins[who])
    for rule, (method, path, body, statuses) in MATRIX.items():
        headers = dict(auth)
        path = cert if path == "CERT" else path.replace("SHEET", sheet)
        kw: dict[str, Any] = {}
        if rule.startswith("/api/"):
            if body == "TOKEN":
                who_ = home.logins.get(who)
                kw["json"] = {"user": who_.user if who_ else "nobody",
                              "password": who_.password if who_ else "not-a-password"}
                headers = {}
            elif body == "UPLOAD":
                kw.update(data={"files": [(io.BytesIO(b"0\nEOF\n"), "x.dxf")]},
                          content_type="multipart/form-data")
            elif body is not None:
                kw["json"] = body
            resp = client.open(path, method=method, headers=headers, **kw)
        else:
            data = dict(body or {})
            if method == "POST":
                data["csrf_token"] = csrf_token(client, "/login")
            resp = client.open(path, method=method, data=data if method == "POST" else None)
        results[rule], expected[rule] = resp.status_code, statuses[who]
        if who == "anonymous" and method == "GET" and resp.status_code == 302:
            assert resp.headers["Location"].startswith("/login"), rule
    app.extensions["yitaotu.store"].close()
    assert results == expected
