"""zh-CN by default, English by a switch: every user-facing string goes through the catalogue
(``web/translations``; msgids are English, ``zh_CN`` translates them, ``en`` is the identity)."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel, get_locale

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
#: The cookie the language switch sets.
COOKIE = "yitaotu_lang"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["state_label"] = bilingual
    app.jinja_env.filters["role_label"] = role_label
    from workflow import CHANGE
    from workflow.machine import CHANGE_KINDS

    app.jinja_env.globals["change_states"] = dict(CHANGE.states)
    app.jinja_env.globals["change_kinds"] = CHANGE_KINDS
    app.context_processor(lambda: {"is_zh": is_zh()})


def bilingual(text: str | None) -> str:
    """One side of the services' bilingual labels (``设计阶段 Design``): the part in the
    page's language; text that is not such a pair is shown whole."""
    if not text:
        return ""
    head, sep, tail = text.partition(" ")
    if not sep or head.isascii() or not tail.isascii():
        return text
    return head if is_zh() else tail


def is_zh() -> bool:
    return get_locale().language == "zh"


def role_label(role: str) -> str:
    """A role (``review``) or party role (``审查``) as the page's language names it."""
    from workflow.machine import ROLE_LABELS, Role

    try:
        return bilingual(ROLE_LABELS[Role(role)])
    except ValueError:
        return role
