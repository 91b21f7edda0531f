"""Numbers the database can hold, and text safe to show on a terminal."""

from __future__ import annotations

import math

import orjson
import pytest
from sqlalchemy import text

from storage.errors import InvalidInput
from storage.numbers import INT_MAX, INT_MIN, db_int, finite
from storage.terminal import printable, printable_json

HOSTILE = "a\x1b]0;owned\x07\rb\nc\td\x7fe\x9bf\u202eg\u2066h\u2028i"


def test_db_int_and_finite() -> None:
    assert db_int(" 42 ", "n") == 42 and db_int(INT_MIN, "n") == INT_MIN
    for bad in (INT_MAX + 1, 10**23, "1.5", "x", 1.0, True):
        with pytest.raises(InvalidInput, match="^n: "):
            db_int(bad, "n")
    assert finite("1e3", "x") == 1000.0
    for bad in ("nan", math.inf, -math.inf, "", None):
        with pytest.raises(InvalidInput, match="^x: "):
            finite(bad, "x")


def test_a_number_the_database_cannot_hold_is_invalid_input(engine) -> None:
    """The net under services that forget to check: SQLite's driver raises OverflowError,
    PostgreSQL 'integer out of range'; both become InvalidInput (exit 20)."""
    with engine.connect() as c, pytest.raises(InvalidInput, match="out of the database's range"):
        c.execute(text("SELECT CAST(:x AS INTEGER)"), {"x": 10**30})


def test_printable_escapes_every_control_and_bidi_character() -> None:
    out = printable(HOSTILE)
    assert out == ("a\\x1b]0;owned\\x07\\rb\\nc\\td\\x7fe\\x9bf\\u202eg\\u2066h\\u2028i")
    assert out.isprintable()
    assert printable("图号 A-101 \\ 一层") == "图号 A-101 \\ 一层"  # the rest is left alone


def test_printable_json_is_the_same_json_and_shows_no_control() -> None:
    raw = orjson.dumps({"name": HOSTILE}).decode()
    safe = printable_json(raw)
    assert orjson.loads(safe) == {"name": HOSTILE}
    assert safe.isprintable()
