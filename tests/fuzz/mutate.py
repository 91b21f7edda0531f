"""Seeded mutations of drawing files: bytes, DXF tags and numbers, truncation, zips.

Each mutator takes the bytes and a ``random.Random`` and returns new bytes (or, for the zip
wrappers, the bytes of an archive); :func:`mutate` picks one to three of them.  Everything
depends only on the seed, so a failure is reproduced by its case number.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable

Mutator = Callable[[bytes, random.Random], bytes]

#: What a number in a DXF may be replaced by.
NUMBERS = (
    "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e999", "1e-320", "9" * 400,
    "-" + "9" * 30, "0", "-0", "", " ", "0x10", "1_000", "1e", "--1", "2147483648",
    "-2147483649", "18446744073709551616", "1" * 5000,
)
#: Group codes a tag may be turned into (structure, names, coordinates, counts, handles).
CODES = (0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 20, 30, 40, 41, 42, 50, 62, 66, 70, 71, 72, 73,
         74, 90, 91, 92, 93, 98, 100, 102, 210, 330, 340, 360, 370, 420, 1001, 1071)
#: Entity and section names to swap in.
WORDS = ("LINE", "CIRCLE", "ARC", "LWPOLYLINE", "POLYLINE", "VERTEX", "SEQEND", "INSERT",
         "ATTRIB", "MTEXT", "TEXT", "HATCH", "DIMENSION", "SPLINE", "ELLIPSE", "BLOCK",
         "ENDBLK", "SECTION", "ENDSEC", "TABLE", "ENDTAB", "EOF", "MINSERT", "LEADER", "")


def is_ascii_dxf(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"0\r\n", b"0\n", b"999")) and b"SECTION" in head


def _pairs(data: bytes) -> tuple[list[bytes], bytes]:
    eol = b"\r\n" if b"\r\n" in data[:4096] else b"\n"
    return data.split(eol), eol


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return b"\x00"
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def truncate(data: bytes, rng: random.Random) -> bytes:
    """Cut anywhere; half the time give the rest an end marker, so the cut is not caught by
    the completeness check alone and the readers see it."""
    cut = data[: rng.randrange(len(data) + 1)]
    if rng.random() < 0.5:
        if is_ascii_dxf(data):
            cut += b"\n  0\nEOF\n"
        elif data.startswith(b"%PDF"):
            cut += b"\n%%EOF\n"
    return cut


def _tag_op(op: Callable[[list[bytes], random.Random], None]) -> Mutator:
    def mutator(data: bytes, rng: random.Random) -> bytes:
        if not is_ascii_dxf(data):
            return flip_bytes(data, rng)
        lines, eol = _pairs(data)
        if len(lines) < 4:
            return data
        op(lines, rng)
        return eol.join(lines)

    mutator.__name__ = op.__name__.lstrip("_")
    return mutator


def _pair_index(lines: list[bytes], rng: random.Random) -> int:
    return rng.randrange(0, len(lines) - 1, 2)


@_tag_op
def duplicate_tags(lines: list[bytes], rng: random.Random) -> None:
    i = _pair_index(lines, rng)
    k = 2 * rng.randint(1, 20)
    lines[i:i] = lines[i : i + k] * rng.choice((1, 2, 50))


@_tag_op
def delete_tags(lines: list[bytes], rng: random.Random) -> None:
    for _ in range(rng.randint(1, 5)):
        i = _pair_index(lines, rng)
        del lines[i : i + 2 * rng.randint(1, 10)]


@_tag_op
def replace_numbers(lines: list[bytes], rng: random.Random) -> None:
    numeric = [
        i for i in range(0, len(lines) - 1, 2)
        if lines[i].strip().isdigit() and 10 <= int(lines[i]) < 1000 and int(lines[i]) != 100
    ]
    for i in rng.sample(numeric, min(len(numeric), rng.randint(1, 12))):
        lines[i + 1] = rng.choice(NUMBERS).encode()


@_tag_op
def change_codes(lines: list[bytes], rng: random.Random) -> None:
    for _ in range(rng.randint(1, 6)):
        i = _pair_index(lines, rng)
        lines[i] = str(rng.choice(CODES)).rjust(3).encode()


@_tag_op
def swap_words(lines: list[bytes], rng: random.Random) -> None:
    zeros = [i for i in range(0, len(lines) - 1, 2) if lines[i].strip() == b"0"]
    for i in rng.sample(zeros, min(len(zeros), rng.randint(1, 4))):
        lines[i + 1] = rng.choice(WORDS).encode()


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buf.getvalue()


def wrap_zip(data: bytes, rng: random.Random) -> bytes:
    method = rng.choice((zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2))
    members = {"A-201 平面图.dxf": data}
    if rng.random() < 0.5:
        members["子目录/A-202.dxf"] = flip_bytes(data, rng)
    return _zip(members, method)


def nested_zip(data: bytes, rng: random.Random) -> bytes:
    inner = _zip({"A-201.dxf": data})
    for _ in range(rng.randint(0, 2)):
        inner = _zip({"inner.zip": inner})
    return _zip({"inner.zip": inner, "A-202.dxf": data})


def bomb_zip(data: bytes, rng: random.Random) -> bytes:
    """A member that deflates a thousandfold (past the 8 MiB floor of the bomb check)."""
    body = data[: rng.randint(64, 4096)] or b"0\n"
    return _zip({"A-201.dxf": body * ((16 << 20) // len(body) + 1)})


def damage_zip(data: bytes, rng: random.Random) -> bytes:
    """An archive whose bytes (directory, headers, deflate stream) are damaged."""
    return flip_bytes(_zip({"A-201.dxf": data}), rng)


CONTENT: tuple[Mutator, ...] = (
    flip_bytes, truncate, duplicate_tags, delete_tags, replace_numbers, replace_numbers,
    change_codes, swap_words,
)
ARCHIVE: tuple[Mutator, ...] = (wrap_zip, nested_zip, bomb_zip, damage_zip)


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str], bool]:
    """(mutated bytes, names of the mutators applied, whether the result is a zip)."""
    names: list[str] = []
    for _ in range(rng.randint(1, 3)):
        m = rng.choice(CONTENT)
        data = m(data, rng)
        names.append(m.__name__)
    if rng.random() < 0.15:
        m = rng.choice(ARCHIVE)
        names.append(m.__name__)
        return m(data, rng), names, True
    return data, names, False
