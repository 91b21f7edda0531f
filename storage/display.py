"""How user input appears in messages: short, printable, without secrets.

Error messages quote what the user gave (a code, a sheet number, a bad DXF line) so they can
find it; hostile input must not turn that into a 64 MB line, a terminal escape, a traceback
over a name that is not UTF-8, or a password in a log.  Every message that quotes input goes
through these helpers.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

#: How many characters of bad input a message quotes.
QUOTE_CHARS = 40
#: How much of a library's own error text (which may embed input) a message keeps.
CLIP_CHARS = 200

_SURROGATES = re.compile("[\ud800-\udfff]")


def quote(value: object, limit: int = QUOTE_CHARS, *, length: int | None = None) -> str:
    """``repr`` of at most ``limit`` characters (or bytes) of ``value``, and the full length
    when cut: ``'1111111111'…(67108864 chars)``; ``length`` gives that length when ``value``
    is only the head of the input.  ``repr`` escapes control characters and lone surrogates,
    so the result is always one printable line."""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value[: limit + 1])
        total = len(value) if length is None else length
        if total <= limit:
            return repr(data)
        return f"{data[:limit]!r}…({total} bytes)"
    text = value if isinstance(value, str) else str(value)
    total = len(text) if length is None else length
    if total <= limit:
        return repr(text)
    return f"{text[:limit]!r}…({total} chars)"


def clip(text: object, limit: int = CLIP_CHARS) -> str:
    """A library's error text on one line, cut to ``limit`` characters."""
    s = " ".join(str(text).split())
    s = _SURROGATES.sub("\ufffd", s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def display_path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """A file name as text that can always be printed and stored: bytes that are not UTF-8
    (Linux allows them in names; Python keeps them as lone surrogates) become ``\\xff``."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


def redact_url(url: str) -> str:
    """``scheme://user:secret@host/…`` -> ``scheme://***@host/…``; other text unchanged."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url if "://" in url else f"//{url}")
    except ValueError:
        return re.sub(r"[^/@]*@", "***@", url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    out = urlunsplit(parts._replace(netloc=f"***@{host}"))
    return out if "://" in url else out.removeprefix("//")
