"""Numbers the database can hold, checked before they reach a query.

An integer column is a 32-bit INTEGER on PostgreSQL (64 bits on SQLite; a larger Python int
makes the SQLite driver raise OverflowError).  A non-finite float cannot be kept either: orjson
writes NaN and ±inf as ``null`` in JSON columns and SQLite stores a NaN REAL as NULL, so the
value read back is not the value written.  Services call these on user numbers so that a bad
one is :class:`InvalidInput` naming the field.
"""

from __future__ import annotations

import math

from storage.display import quote
from storage.errors import InvalidInput

#: The range of an integer column on every database we support.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def db_int(value: object, what: str) -> int:
    """``value`` (an int or its decimal text) as an int every integer column can hold."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            got = quote(value)
            raise InvalidInput(f"{what}: 应为整数 an integer expected, got {got}") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"{what}: 应为整数 an integer expected, got {quote(value)}")
    if not INT_MIN <= value <= INT_MAX:
        raise InvalidInput(f"{what}: 超出范围 out of range ({INT_MIN}..{INT_MAX}): {value}")
    return value


def finite(value: object, what: str) -> float:
    """``value`` (a number or its text) as a finite float."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"{what}: 应为数值 a number expected, got {quote(value)}") from None
    if not math.isfinite(x):
        raise InvalidInput(f"{what}: 须为有限数值 must be a finite number, got {quote(value)}")
    return x


__all__ = ["INT_MAX", "INT_MIN", "db_int", "finite"]


def env_positive_int(name: str, default: int, *, ceiling: int | None = None,
                     unit: str = "whole number") -> int:
    """A limit set in the environment (``YITAOTU_MAX_UPLOAD``…): ``default`` when unset, else a
    positive integer up to ``ceiling``; anything else is :class:`InvalidInput` naming it."""
    import os

    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value <= 0 or (ceiling is not None and value > ceiling):
        upto = f" up to {ceiling}" if ceiling is not None else ""
        raise InvalidInput(f"{name}={quote(raw)}: 应为正整数 expected a positive {unit}{upto}")
    return value
