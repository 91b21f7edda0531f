"""The workflow reference is generated from the tables and documents every command
(datasette's habit)."""

from __future__ import annotations

import click

from workflow import docs
from workflow.machine import EVENTS, GUARDS, LIFECYCLES
from yitaotu.cli import MODULE_COMMANDS, cli

DOC = docs.PAGE.read_text(encoding="utf-8")


def test_generated_tables_are_current() -> None:
    assert docs.current(DOC) == docs.render(), "run: python -m workflow.docs"


def test_every_event_guard_and_state_is_documented() -> None:
    states = [s for lc in LIFECYCLES for s in lc.states]
    for name in [*EVENTS, *GUARDS, *states]:
        assert f"`{name}`" in DOC, name


def test_every_command_is_documented() -> None:
    ctx = click.Context(cli)
    for name, module in MODULE_COMMANDS.items():
        if module not in ("workflow", "records"):
            continue
        cmd = cli.get_command(ctx, name)
        subs = list(cmd.commands) if isinstance(cmd, click.Group) else [""]
        for sub in subs:
            assert f"yitaotu {name} {sub}".strip() in DOC or any(
                f"yitaotu {name} " in line and sub in line for line in DOC.splitlines()), \
                f"{name} {sub}"
