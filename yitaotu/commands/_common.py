"""Helpers shared by the foundation commands: the App, JSON/text output, version specs."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any

import click
import orjson

from storage.errors import InvalidInput
from yitaotu.context import App

json_option = click.option("--json", "as_json", is_flag=True, help="机器可读输出 JSON output.")


def get_app() -> App:
    """One App per command invocation, closed when the click context ends."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    app = root.meta.get("yitaotu.app")
    if app is None:
        app = App.from_settings()
        root.meta["yitaotu.app"] = app
        root.call_on_close(app.close)
    return app


def actor() -> str:
    app = get_app()
    if app.settings.user:
        return app.settings.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def emit(data: Any, as_json: bool, text: Callable[[], None]) -> None:
    if as_json:
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        text()


def split_version_spec(spec: str) -> tuple[str | None, str]:
    """``PROJECT:REV`` -> (project, rev); a bare id or prefix -> (None, id)."""
    spec = spec.strip()
    if ":" in spec:
        project, rev = spec.rsplit(":", 1)
        if not project or not rev:
            raise InvalidInput(f"invalid version {spec!r}: expected PROJECT:REV or a version id")
        return project, rev
    return None, spec


def short(oid: str | None) -> str:
    return oid[:12] if oid else "-"
