"""The `yitaotu` command: a thin click group; each area's commands live in their own module.

Modules are imported lazily (kart's MODULE_COMMANDS) so `yitaotu --help` stays fast and a
heavy parser is loaded only by the command that needs it.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from storage.errors import StorageUnavailable, YitaotuError
from storage.terminal import printable

#: Exit code of an unexpected exception (a bug): sysexits' EX_SOFTWARE.
EXIT_INTERNAL = 70

#: command name -> module under ``yitaotu.commands`` that defines a click command of that name.
MODULE_COMMANDS: dict[str, str] = {}


def register(name: str, module: str) -> None:
    MODULE_COMMANDS[name] = module


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(MODULE_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in MODULE_COMMANDS:
            mod = importlib.import_module(f"yitaotu.commands.{MODULE_COMMANDS[cmd_name]}")
            return getattr(mod, cmd_name.replace("-", "_") + "_cmd")
        return super().get_command(ctx, cmd_name)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with escaped_usage_errors():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> object:
        """Every error leaves as one escaped line: ours with its exit code, a file system
        error as storage (6x), anything else as an internal error (70, a bug)."""
        try:
            with escaped_usage_errors():
                return super().invoke(ctx)
        except YitaotuError as e:
            fail(ctx, e.message, e.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as e:
            fail(ctx, f"{e.filename or ''}: {e.strerror or e}".lstrip(": "),
                 StorageUnavailable.exit_code)
        except Exception as e:
            if os.environ.get("YITAOTU_DEBUG"):
                raise
            fail(ctx, f"内部错误 internal error: {type(e).__name__}: {e} "
                      "(YITAOTU_DEBUG=1 shows the traceback)", EXIT_INTERNAL)
        return None


def fail(ctx: click.Context, message: str, code: int) -> None:
    click.echo(f"error: {printable(message)}", err=True)
    ctx.exit(code)


@contextmanager
def escaped_usage_errors() -> Iterator[None]:
    """Click quotes the user's words in its usage errors (``No such option: …``): escape them."""
    try:
        yield
    except click.exceptions.ClickException as e:
        e.message = printable(e.message)
        raise


@click.group(cls=LazyGroup)
@click.version_option(package_name="yitaotu")
def cli() -> None:
    """一套图 yitaotu: one closed-loop set of construction drawings per project."""


#: Our packages; a warning raised inside any other module is a library's own business.
OUR_PACKAGES = r"(yitaotu|storage|drawings|diffing|workflow|web|migrations)(\.|$)"


def quiet_library_warnings() -> None:
    """Users act on our messages, not on a library's notes to its own developers (e.g. an
    import-time deprecation raised by pyHanko when it imports cryptography)."""
    warnings.filterwarnings("ignore", module=f"(?!{OUR_PACKAGES})")


def main(argv: list[str] | None = None) -> None:
    quiet_library_warnings()
    try:
        cli.main(args=argv, prog_name="yitaotu", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


# Areas register their commands here (one line each): name -> module in yitaotu/commands/.
from yitaotu import commands as _commands  # noqa: E402,F401
