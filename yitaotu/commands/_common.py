"""Helpers shared by the commands: the App, JSON/text output, numbers, version specs.

Every command prints through :func:`emit` (or :func:`say`, :func:`print_error`): text comes
as lines or rows from the command and leaves with every control character escaped
(:func:`storage.terminal.printable`), so no name, sheet number or message from a user or a
file can drive the terminal or forge a line.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable
from typing import Any

import click
import orjson

from storage.errors import InvalidInput
from storage.numbers import db_int, finite
from storage.terminal import printable, printable_json
from yitaotu.context import App

json_option = click.option("--json", "as_json", is_flag=True, help="机器可读输出 JSON output.")

#: One line of text output: a string, or a row of fields shown tab-separated.
Line = str | tuple[object, ...]


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


def line_text(line: Line) -> str:
    """A line with control characters escaped (a TAB or LF inside it too); a row's fields
    are escaped each, then joined with TABs."""
    if isinstance(line, tuple):
        return "\t".join(printable(str(f)) for f in line)
    return printable(line)


def say(lines: Iterable[Line], *, err: bool = False) -> None:
    for line in lines:
        click.echo(line_text(line), err=err)


def json_text(data: Any) -> str:
    """JSON for output: orjson escapes C0 controls; DEL, C1 and bidi controls are escaped too."""
    return printable_json(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def emit(data: Any, as_json: bool, text: Callable[[], Iterable[Line] | None]) -> None:
    """``data`` as JSON, or the lines ``text()`` gives for people.  (A ``text`` that prints
    by itself and returns None is not escaped: tests/e2e/test_cli_edges.py refuses it.)"""
    if as_json:
        click.echo(json_text(data))
    elif (lines := text()) is not None:
        say(lines)


def print_error(message: str) -> None:
    """The one-line ``error: …`` on stderr (commands that pick their own exit code)."""
    click.echo(f"error: {printable(message)}", err=True)


def _param_name(param: click.Parameter | None) -> str:
    if isinstance(param, click.Option):
        return param.opts[0]
    return param.human_readable_name if param is not None else "value"


class DbInt(click.ParamType):
    """An integer a database column can hold; anything else is InvalidInput (exit 20)."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> int:
        return db_int(value, _param_name(param))


class Finite(click.ParamType):
    """A finite number (no nan or inf); anything else is InvalidInput (exit 20)."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> float:
        return finite(value, _param_name(param))


DB_INT, FINITE = DbInt(), Finite()


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
