"""How long a DXF line may be, checked on the raw bytes before any line becomes a string.

Group codes and values are short: 255 characters by the DXF reference, 299 the longest in the
shared corpus (a group 3 MTEXT chunk).  Only text runs longer, where a writer does not cut it
into 250-character group 3 chunks, so the values of groups 1 and 3 may have up to
:data:`MAX_TEXT_LINE` characters and every other line :data:`MAX_LINE`.  A longer line means a
malformed (or hostile) file: it is refused naming the file and the line, quoting a few dozen
characters -- never decoded, split, repaired by ``ezdxf.recover`` or printed whole.
"""

from __future__ import annotations

import numpy as np

from storage.display import QUOTE_CHARS, quote
from storage.errors import FileFormatError

MAX_LINE = 4096
MAX_TEXT_LINE = 1 << 16
#: Group codes whose values are free text (primary text, MTEXT chunks).
TEXT_CODES = frozenset({1, 3})
#: Bytes scanned at a time (bounds the scan's own arrays); a multiple of :data:`_BLOCK`.
_SCAN = 1 << 24
#: A line of at least 2 * _BLOCK - 1 bytes holds a whole aligned block without a newline.
_BLOCK = (MAX_LINE + 1) // 2


def _long_lines(data: bytes) -> list[tuple[int, int]]:
    """(start offset, length) of the lines longer than :data:`MAX_LINE`, in order (a line
    ends at LF or CR: old Mac files end lines with CR alone, and ``ezdxf.recover`` reads them).

    Only aligned blocks free of line ends are looked at closely (none in a sound file): one
    vectorised pass, no array of line positions."""
    arr = np.frombuffer(data, np.uint8)
    found: list[tuple[int, int]] = []
    seen_to = 0  # lines starting before this offset are already judged
    for lo in range(0, len(arr), _SCAN):
        chunk = arr[lo : lo + _SCAN]
        whole = len(chunk) // _BLOCK * _BLOCK
        ends = (chunk[:whole] == 10) | (chunk[:whole] == 13)
        for b in np.flatnonzero(~ends.reshape(-1, _BLOCK).any(axis=1)):
            at = lo + int(b) * _BLOCK
            if at < seen_to:
                continue
            start = max(data.rfind(b"\n", 0, at), data.rfind(b"\r", 0, at)) + 1
            end = min(_find(data, b"\n", at), _find(data, b"\r", at))
            if end - start > MAX_LINE:
                found.append((start, end - start))
            seen_to = end
    tail = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1  # the unaligned rest
    if len(data) - tail > MAX_LINE and tail >= seen_to:
        found.append((tail, len(data) - tail))
    return found


def _find(data: bytes, sep: bytes, at: int) -> int:
    i = data.find(sep, at)
    return len(data) if i < 0 else i


def _previous_line(data: bytes, start: int) -> bytes:
    end = start - 1
    if end < 0:
        return b""
    return data[data.rfind(b"\n", max(0, end - 64), end) + 1 : end].strip()


def check_lines(data: bytes, label: str) -> None:
    """Refuse an ASCII DXF with a line over the limits (see the module docstring)."""
    for start, length in _long_lines(data):
        code = _previous_line(data, start)
        text = code.isdigit() and int(code) in TEXT_CODES
        if text and length <= MAX_TEXT_LINE:
            continue
        line_no = data.count(b"\n", 0, start) + 1
        allowed = MAX_TEXT_LINE if text else MAX_LINE
        head = data[start : start + 4 * QUOTE_CHARS].decode("utf-8", "replace")
        raise FileFormatError(
            label,
            f"malformed DXF: line {line_no} has {length} bytes, more than the {allowed} a DXF "
            f"line may have / DXF 行过长: {quote(head, length=length)}",
        )


def check_values(codes: list[int], vals: list[str], label: str) -> None:
    """The same limits on the values of a binary DXF (no lines there: strings end in NUL)."""
    if max(map(len, vals), default=0) <= MAX_LINE:
        return
    for i, v in enumerate(vals):
        if len(v) > (MAX_TEXT_LINE if codes[i] in TEXT_CODES else MAX_LINE):
            raise FileFormatError(
                label,
                f"malformed DXF: the value of group {codes[i]} (tag {i + 1}) has {len(v)} "
                f"characters / DXF 数据过长: {quote(v)}",
            )
