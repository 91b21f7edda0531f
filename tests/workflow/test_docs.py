"""The workflow reference documents every event, guard and command (datasette's habit)."""

from __future__ import annotations

from pathlib import Path

from workflow.machine import EVENTS, GUARDS, State
from yitaotu.cli import MODULE_COMMANDS, cli

DOC = (Path(__file__).resolve().parents[2] / "docs" / "workflow.md").read_text()


def test_every_event_guard_and_state_is_documented() -> None:
    for name in [*EVENTS, *GUARDS, *(s.value for s in State)]:
        assert f"`{name}`" in DOC, name


def test_every_command_is_documented() -> None:
    import click

    ctx = click.Context(cli)
    for name, module in MODULE_COMMANDS.items():
        if module != "workflow":
            continue
        cmd = cli.get_command(ctx, name)
        subs = list(cmd.commands) if isinstance(cmd, click.Group) else [""]
        for sub in subs:
            assert f"yitaotu {name} {sub}".strip() in DOC, f"{name} {sub}"
