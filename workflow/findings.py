"""What an integrity check reports: one finding names a table, a row and what differs.

Shared by the chain check (:mod:`workflow.audit`), the replay (:mod:`workflow.replay`) and the
row checkers (:mod:`workflow.checks`), so every problem reads the same way:
``wf_opinions #1: text '…' differs from the chain '…'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Finding:
    table: str
    row: str
    what: str
    #: The row's key as the checker keyed it (e.g. ``("current", 3)`` for a reflog row).
    key: Any = None

    def __str__(self) -> str:
        return f"{self.table} {self.row}: {self.what}"

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "row": self.row, "what": self.what}


class _Unknown:
    """A value the chain does not record (events written before their payload carried it)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Stamp:
    """The time an event gives its rows.  ``exact`` is False for an event of the first chain
    format whose time may have been raised to its predecessor's: its rows may carry any time
    up to it."""

    at: datetime
    exact: bool = True

    def matches(self, value: Any) -> bool:
        if value == self.at:
            return True
        return not self.exact and isinstance(value, datetime) and value <= self.at

    def __str__(self) -> str:
        return self.at.isoformat()


def _show(value: Any) -> str:
    if isinstance(value, Stamp):
        return str(value) if value.exact else f"≤ {value}"
    if isinstance(value, datetime):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """``field row-value ≠ chain-value`` for every field that differs; fields named with a
    leading ``_`` and :data:`UNKNOWN` values are not compared."""
    out = []
    for name, want in expected.items():
        if name.startswith("_") or want is UNKNOWN:
            continue
        got = actual.get(name)
        same = want.matches(got) if isinstance(want, Stamp) else got == want
        if not same:
            out.append(f"{name} 不符 is {_show(got)}, the audit chain says {_show(want)}")
    return out
