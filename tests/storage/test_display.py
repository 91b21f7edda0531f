"""Messages quote input briefly, printably, and never repeat a secret."""

from __future__ import annotations

import pytest

from storage.blobs import open_blob_store
from storage.db import make_engine
from storage.display import clip, display_path, quote, redact_url
from storage.errors import InvalidInput


def test_quote_is_short_and_one_line() -> None:
    assert quote("A-101") == "'A-101'"
    long = quote("1" * 64_000_000)
    assert len(long) < 80 and long.endswith("…(64000000 chars)")
    assert quote("a\x1b[31m\nb") == "'a\\x1b[31m\\nb'"  # no terminal escapes, no newline
    assert quote("\udcff") == "'\\udcff'"  # a lone surrogate prints as text
    assert quote(b"\x00" * 100).endswith("…(100 bytes)")
    assert clip("x" * 1000).endswith("…") and len(clip("x" * 1000)) == 200
    assert clip("one\ntwo\udcff") == "one two\ufffd"


def test_display_path_of_names_that_are_not_utf8() -> None:
    assert display_path(b"/d/A-101 \xff.dxf") == "/d/A-101 \\xff.dxf"
    assert display_path("/d/A-101 \udcff.dxf") == "/d/A-101 \\xff.dxf"  # as argv gives it
    assert display_path("/d/一层.dxf") == "/d/一层.dxf"
    display_path(b"/d/\xff").encode("utf-8")  # always encodable


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://admin:s3cr3t@127.0.0.1:9000/", "http://***@127.0.0.1:9000/"),
        ("admin:s3cr3t@127.0.0.1:9000", "***@127.0.0.1:9000"),
        ("postgresql://u:pw@h/db?x=1", "postgresql://***@h/db?x=1"),
        ("127.0.0.1:9000", "127.0.0.1:9000"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("s3://bucket", "http://admin:s3cr3t@127.0.0.1:1"),
        ("s3://bucket", "admin:s3cr3t@127.0.0.1:1/"),
        ("s3://admin:s3cr3t@bucket", "127.0.0.1:1"),
    ],
)
def test_s3_credentials_in_urls_are_refused_unrepeated(url: str, endpoint: str) -> None:
    with pytest.raises(InvalidInput, match="no credentials") as e:
        open_blob_store(url, endpoint=endpoint)
    assert "s3cr3t" not in str(e.value) and "admin" not in str(e.value)


def test_database_url_errors_hide_the_password() -> None:
    with pytest.raises(InvalidInput) as e:
        make_engine("mysql://u:s3cr3t@h/db")
    assert "s3cr3t" not in str(e.value)
