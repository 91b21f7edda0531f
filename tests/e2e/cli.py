"""Running `yitaotu` in-process the way a user would, for the CLI tests."""

from __future__ import annotations

from click.testing import CliRunner

from yitaotu.cli import cli

CODE = "2023-110105-04-01-123450"


def yt(*args: str, code: int = 0) -> str:
    """Run the CLI; check the exit code and that no traceback reached the user."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output
