"""Field limits: one table for every text a user or a drawing puts into the database.

PostgreSQL refuses a ``VARCHAR(n)`` value over ``n`` characters and any NUL character, and
neither database can store a lone surrogate (a file name that is not UTF-8); SQLite accepts
over-long text silently.  The services check every field here *before* writing anything, so
both databases accept and refuse the same input, with a message naming the field and its
limit.  Lengths count characters (code points), as PostgreSQL does.  Each limit fits the
columns listed with it (``tests/storage/test_limits.py`` checks them against the models).

Text read from a drawing (title-block fields) is not the user's word: :meth:`Limit.fit`
cleans and shortens it with a warning instead of refusing the whole upload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.display import quote
from storage.errors import InvalidInput

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Limit:
    zh: str
    en: str
    max: int
    #: ``table.column`` the value is stored in (String columns are at least ``max`` long).
    columns: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.zh} {self.en}"

    def check(self, value: str | None, *, required: bool = False) -> str | None:
        """``value`` unchanged if it fits; :class:`InvalidInput` naming the field otherwise."""
        if value is None or (not required and value == ""):
            if required:
                raise InvalidInput(f"{self.label} 不能为空 must not be empty")
            return value
        if not isinstance(value, str):
            raise InvalidInput(f"{self.label}: expected text, got {type(value).__name__}")
        if required and not value.strip():
            raise InvalidInput(f"{self.label} 不能为空 must not be empty")
        if len(value) > self.max:
            raise InvalidInput(
                f"{self.label} 过长 too long: {len(value)} characters, at most {self.max} / "
                f"最多 {self.max} 个字符: {quote(value)}"
            )
        if _UNSTORABLE.search(value):
            raise InvalidInput(
                f"{self.label} 含无法保存的字符 contains a NUL or an undecodable character: "
                f"{quote(value)}"
            )
        return value

    def fit(self, value: str | None, warnings: list[str], where: str) -> str | None:
        """``value`` made storable (NUL dropped, lone surrogates replaced, cut to ``max``
        characters), with a warning naming ``where`` when it had to change."""
        if value is None:
            return None
        clean = _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
        if len(clean) > self.max:
            warnings.append(
                f"{where}: {self.label} 过长已截断 cut to {self.max} of {len(clean)} characters"
            )
            clean = clean[: self.max]
        elif clean != value:
            warnings.append(
                f"{where}: {self.label} 含无效字符已替换 unstorable characters replaced"
            )
        return clean


# -- the registry (drawings) ------------------------------------------------------------------
PROJECT_NAME = Limit("项目名称", "project name", 200, ("projects.name",))
LOCATION = Limit("所在地", "location", 200, ("projects.location", "wf_meetings.location"))
SITE = Limit("建设地点", "site", 500, ("projects.site",))
UNIT_NAME = Limit("单体名称", "unit name", 200, ("building_units.name",))
ADDRESS = Limit("地址", "address", 300, ("building_units.address",))
STRUCTURE_TYPE = Limit("结构类型", "structure type", 60, ("building_units.structure_type",))
USE = Limit("用途", "use", 60, ("building_units.use",))
FOOTPRINT = Limit("轮廓", "footprint", 100_000, ("building_units.footprint_wkt",
                                               "projects.site_footprint_wkt"))
SHEET_NUMBER = Limit(
    "图号",
    "sheet number",
    100,
    ("manifest_entries.sheet_no", "sheet_revisions.number", "wf_opinions.sheet_no",
     "wf_change_marks.sheet_no", "wf_sheet_disciplines.sheet_no", "wf_questions.sheet_no"),
)
SHEET_TITLE = Limit("图名", "sheet title", 300, ("sheet_revisions.title",))
DISCIPLINE = Limit(
    "专业",
    "discipline",
    60,
    ("sheet_revisions.discipline", "wf_users.discipline", "wf_signoffs.discipline",
     "wf_sheet_disciplines.discipline", "wf_opinions.discipline"),
)
REVISION = Limit("版次", "revision", 40, ("sheet_revisions.revision",))
SCALE = Limit("比例", "scale", 40, ("sheet_revisions.scale",))
MESSAGE = Limit("说明", "message", 10_000, ("set_versions.message",))

# -- people and the workflow ------------------------------------------------------------------
#: One limit for organisations everywhere: parties name them, and a signing key's owner is
#: ``org:<name>`` in a 120-character column.
ORGANISATION = Limit(
    "单位名称",
    "organisation",
    100,
    ("parties.organisation", "wf_organisations.name", "wf_keys.owner"),
)
USER = Limit(
    "用户名",
    "user name",
    100,
    ("wf_users.name", "wf_audit.actor", "wf_opinions.author", "wf_opinion_replies.author",
     "wf_change_marks.author", "wf_keys.owner", "wf_outbox.user_name"),
)
#: Who made a version or moved a ref: a user name (``--as``, ``YITAOTU_USER``) or the free
#: text of ``--author``; as long as a user name, so every actor fits every column.
AUTHOR = Limit("作者", "author", USER.max, ("set_versions.author", "reflog.actor"))
DISPLAY_NAME = Limit("姓名", "display name", 200, ("wf_users.display_name",))
TEXT = Limit(
    "内容",
    "text",
    10_000,
    ("wf_opinions.text", "wf_opinion_replies.text", "wf_changes.reason", "wf_questions.text"),
)
STAGE = Limit("阶段", "stage", 100, ("wf_submissions.stage", "wf_certificates.stage"))
CHANGE_ID = Limit(
    "修改编号", "change id", 40, ("wf_opinions.change_id", "wf_change_marks.change_id")
)

LIMITS: tuple[Limit, ...] = (
    PROJECT_NAME, LOCATION, SITE, UNIT_NAME, ADDRESS, STRUCTURE_TYPE, USE, FOOTPRINT,
    SHEET_NUMBER, SHEET_TITLE, DISCIPLINE, REVISION, SCALE, MESSAGE,
    ORGANISATION, USER, AUTHOR, DISPLAY_NAME, TEXT, CHANGE_ID, STAGE,
)
