"""Command modules; each area adds its `register(...)` lines below, one per command."""

from yitaotu.cli import register

__all__ = ["register"]
