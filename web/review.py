"""Online review: opinions placed on a sheet (a point or a box, in sheet coordinates), their
category (强制性条文/一般性/建议), replies and close/reopen — through ``workflow``'s opinion
services, for the pages and the API alike.  Roles are checked by ``Access.require`` (403), the
guards by the workflow (409 with the reason)."""

from __future__ import annotations

from typing import Any

import workflow
from storage.errors import InvalidInput
from web.auth import store

CATEGORIES = ("mandatory", "general", "advice")
ACTIONS = ("reply", "close", "reopen")


def opinions(user: str, code: str, *, sheet: str | None = None,
             submission: int | None = None) -> dict[str, Any]:
    """The opinions the user may read (affected ones first, then by number)."""
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
        rows = [workflow.opinion_dict(o) for o in workflow.list_opinions(
            s, access.project, sheet_no=sheet, submission=submission)]
    return {"access": access, "project": access.project, "opinions": rows,
            "may_add": access.may("opinion_add") and not access.read_only,
            "may_reply": access.may("opinion_reply") and not access.read_only,
            "may_close": access.may("opinion_close") and not access.read_only}


def parse_coords(text: str, kind: str) -> list[float]:
    """``x,y`` or ``x0,y0,x1,y1`` as the page's form sends them."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidInput(f"无效的坐标 invalid coordinates {text[:80]!r}") from None
    if len(values) != (2 if kind == "point" else 4):
        raise InvalidInput(f"锚点 {kind} 需要 needs {2 if kind == 'point' else 4} numbers")
    return values


def add(user: str, code: str, *, sheet: str, kind: str, coords: list[float], category: str,
        text: str) -> dict[str, Any]:
    """A reviewer's opinion on a sheet of the submission under review."""
    if kind not in ("point", "rect"):
        raise InvalidInput("锚点类型 anchor must be point or rect")
    if category not in CATEGORIES:
        raise InvalidInput(f"意见类别 category must be one of {', '.join(CATEGORIES)}")
    if not text.strip():
        raise InvalidInput("意见内容不能为空 the opinion needs a text")
    st = store()
    with st.session() as s:
        access = workflow.project_access(s, user, code)
        access.require("opinion_add")
        o = workflow.add_opinion(s, access.project, user=user, keys=st.keys, sheet_no=sheet,
                                 anchor={"type": kind, "coords": coords}, category=category,
                                 text=text.strip(), blobs=st.blobs)
        return workflow.opinion_dict(o)


def act(user: str, code: str, number: int, action: str, text: str = "",
        expect_lock: int | None = None) -> dict[str, Any]:
    """Reply (the design firm), close or reopen (the reviewer of its discipline)."""
    if action not in ACTIONS:
        raise InvalidInput(f"未知操作 unknown action {action[:40]!r}")
    if action == "reply" and not text.strip():
        raise InvalidInput("答复内容不能为空 the reply needs a text")
    st = store()
    fn = {"reply": workflow.reply, "close": workflow.close, "reopen": workflow.reopen}[action]
    with st.session() as s:
        access = workflow.project_access(s, user, code)
        access.require(f"opinion_{action}")
        o = fn(s, access.project, number, text.strip(), user=user, keys=st.keys,
               expect_lock=expect_lock)
        return workflow.opinion_dict(o)
