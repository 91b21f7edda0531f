"""Fixtures of the web tests, for every page and API test to reuse.

- ``demo_home``: a demo home (``yitaotu.demo``) built once per session on SQLite, and
  ``home``: a private copy of it per test (cheap: a file copy), so tests may act freely;
- ``pg_home``: the same demo on a private PostgreSQL schema (built per test: slower);
- ``app`` / ``client``: the Flask app on ``home`` and its test client (CSRF on, as in
  production: forms post the token, see :func:`csrf_token`);
- ``logins``: role -> :class:`yitaotu.demo.Login`; ``login(client, role)`` logs a client in;
  ``as_role``: a factory of logged-in clients, ``as_role("review")``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import private_database
from yitaotu import demo
from yitaotu.context import App
from yitaotu.settings import Settings

ROLES = ("design", "review", "owner", "contractor", "supervisor", "archivist", "inspector",
         "admin")


@dataclass
class DemoHome:
    settings: Settings
    logins: dict[str, demo.Login]


def settings_for(home: Path, database_url: str | None = None) -> Settings:
    return Settings.from_env(home=home, database_url=database_url or
                             f"sqlite:///{home / 'yitaotu.db'}",
                             blobs_url=(home / "objects").as_uri(), redis_url=None, user=None)


def build_home(settings: Settings) -> DemoHome:
    app = App(settings)
    try:
        logins = demo.build(app, settings.home.parent / 'demo-sheets')
    finally:
        app.close()
    by_role: dict[str, demo.Login] = {}
    for x in logins:  # the first user of a role stands for it (rev_a for review)
        by_role.setdefault(x.role, x)
    return DemoHome(settings, by_role | {x.user: x for x in logins})


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    root = tmp_path_factory.mktemp("demo") / "home"
    return build_home(settings_for(root))


@pytest.fixture
def home(demo_home: DemoHome, tmp_path: Path) -> DemoHome:
    """A private copy of the session's demo home (SQLite, local blobs, keys)."""
    dst = tmp_path / "home"
    shutil.copytree(demo_home.settings.home, dst)
    return DemoHome(settings_for(dst), demo_home.logins)


@pytest.fixture
def pg_home(tmp_path: Path) -> Iterator[DemoHome]:
    """The demo home on a private PostgreSQL schema."""
    with private_database("postgresql", tmp_path) as url:
        yield build_home(settings_for(tmp_path / "home", url))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_home(request: pytest.FixtureRequest) -> DemoHome:
    """``home`` and ``pg_home`` in turn: for the tests that must hold on both databases."""
    return request.getfixturevalue("home" if request.param == "sqlite" else "pg_home")


def make_app(h: DemoHome, **config: Any) -> Any:
    from web import create_app

    return create_app(h.settings, TESTING=True, **config)


@pytest.fixture
def app(home: DemoHome) -> Iterator[Any]:
    a = make_app(home)
    yield a
    a.extensions["yitaotu.store"].close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def logins(home: DemoHome) -> dict[str, demo.Login]:
    return home.logins


_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                    r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: Any, path: str = "/login") -> str:
    """The CSRF token of the form on ``path`` (what a browser would post back)."""
    html = client.get(path).get_data(as_text=True)
    m = _TOKEN.search(html)
    assert m, f"no CSRF token on {path}"
    return m.group(1) or m.group(2)


def login(client: Any, who: demo.Login) -> Any:
    resp = client.post("/login", data={"user": who.user, "password": who.password,
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client


@pytest.fixture
def as_role(app: Any, logins: dict[str, demo.Login]) -> Callable[[str], Any]:
    """``as_role("review")``: a new test client logged in as that demo role (or user)."""
    def make(role: str) -> Any:
        return login(app.test_client(), logins[role])
    return make
