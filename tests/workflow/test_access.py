"""Who sees and does what (workflow.access) and the logins behind it (workflow.accounts)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import workflow
from drawings import registry
from storage.db import session_factory, transaction
from storage.errors import InvalidInput, NotFound
from workflow.accounts import normalise_division
from workflow.machine import Role
from workflow.signing import KeyRing

BJ = "2023-110105-04-01-123450"  # 北京市东城区
NJ = "2024-320102-04-01-654321"  # 南京市玄武区


@pytest.fixture
def session(engine, tmp_path: Path):
    keys = KeyRing(tmp_path / "keys")
    sf = session_factory(engine)
    with transaction(sf, write=True) as s:
        for code in (BJ, NJ):
            registry.create_project(s, code, f"项目 {code[5:11]}")
        for org in ("设计院", "审查中心", "北京质监", "南京质监", "平台", "无关单位"):
            workflow.add_org(s, keys, org)
        for user, org in (("des", "设计院"), ("rev", "审查中心"), ("insp_bj", "北京质监"),
                          ("insp_nj", "南京质监"), ("admin", "平台"), ("out", "无关单位")):
            workflow.add_user(s, keys, user, org)
            workflow.set_password(s, user, f"password-of-{user}", admin=user == "admin")
        workflow.add_party(s, BJ, "design", "设计院")
        workflow.add_party(s, BJ, "review", "审查中心")
        workflow.add_jurisdiction(s, "北京质监", "110000")
        workflow.add_jurisdiction(s, "南京质监", "3201")
    with transaction(sf, write=True) as s:
        yield s


def test_visibility(session) -> None:
    seen = {u: [p.code for p in workflow.visible_projects(session, u)]
            for u in ("des", "rev", "insp_bj", "insp_nj", "admin", "out")}
    assert seen == {"des": [BJ], "rev": [BJ], "insp_bj": [BJ], "insp_nj": [NJ],
                    "admin": [BJ, NJ], "out": []}
    rows = workflow.project_rows(session, "insp_nj")
    assert [(r["code"], r["state"]) for r in rows] == [(NJ, "design")]


def test_access_and_roles(session) -> None:
    des = workflow.project_access(session, "des", BJ)
    assert des.roles == {Role.design} and not des.read_only
    assert des.may("submit") and not des.may("approve") and not des.may("no_such_event")
    with pytest.raises(workflow.Forbidden, match="审查机构"):
        des.require("approve")
    insp = workflow.project_access(session, "insp_bj", BJ)
    assert insp.roles == {Role.inspector} and insp.read_only and insp.onlooker
    assert not any(insp.may(e) for e in ("submit", "approve", "confirm_change", "archive"))
    admin = workflow.project_access(session, "admin", NJ)
    assert admin.read_only and admin.roles == {Role.admin}


def test_outsider_and_missing_project_are_one_not_found(session) -> None:
    with pytest.raises(NotFound) as hidden:
        workflow.project_access(session, "out", BJ)
    with pytest.raises(NotFound) as missing:
        workflow.project_access(session, "out", "2023-110105-04-01-999999")
    assert str(hidden.value).replace("123450", "X") == str(missing.value).replace("999999", "X")
    with pytest.raises(NotFound):
        workflow.project_access(session, "insp_nj", BJ)  # not its jurisdiction


def test_passwords(session) -> None:
    assert workflow.authenticate(session, "des", "password-of-des").name == "des"
    for user, password in (("des", "wrong-password"), ("nobody", "password-of-des"),
                           ("", ""), ("des", "")):
        with pytest.raises(workflow.LoginFailed):
            workflow.authenticate(session, user, password)
    for bad in ("short", " padded-password ", "tab\tin-password", "x" * 1025):
        with pytest.raises(InvalidInput):
            workflow.set_password(session, "des", bad)
    workflow.set_password(session, "des", "another-password")
    with pytest.raises(workflow.LoginFailed):
        workflow.authenticate(session, "des", "password-of-des")
    with pytest.raises(NotFound):
        workflow.set_password(session, "nobody", "long-enough-1")


def test_tokens(session) -> None:
    tok = workflow.issue_token(session, "rev")
    assert workflow.user_for_token(session, tok).name == "rev"
    assert workflow.user_for_token(session, tok + "x") is None
    assert workflow.user_for_token(session, "") is None
    later = workflow.utcnow() + timedelta(days=31)
    assert workflow.user_for_token(session, tok, now=later) is None  # expired


@pytest.mark.parametrize(("text", "prefix"), [("110000", "11"), ("110100", "1101"),
                                              ("110105", "110105"), ("32", "32")])
def test_division_prefixes(text: str, prefix: str) -> None:
    assert normalise_division(text) == prefix


@pytest.mark.parametrize("bad", ["", "1", "123", "11010x", "1101050", "１１"])
def test_bad_division_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_division(bad)
