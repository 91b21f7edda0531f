"""Generators of hostile uploads (the inputs of issue #10), for the tests and for measuring.

Each writes one file and returns its path; sizes are parameters so a test can use small ones
and a measurement the issue's (``python -m tests.fuzz.hostile DIR`` writes the full-size set).
"""

from __future__ import annotations

import os
import struct
import sys
import zipfile
import zlib
from pathlib import Path

#: A minimal complete ASCII DXF (R2013 header, no entities).
DXF_HEAD = (
    "0\nSECTION\n2\nHEADER\n9\n$ACADVER\n1\nAC1027\n0\nENDSEC\n0\nSECTION\n2\nENTITIES\n"
)
DXF_TAIL = "0\nENDSEC\n0\nEOF\n"


def dxf_with_entities(path: Path, body: str) -> Path:
    path.write_text(DXF_HEAD + body + DXF_TAIL, encoding="utf-8")
    return path


def long_line_dxf(path: Path, size: int = 64 << 20, *, as_code: bool = True) -> Path:
    """A DXF whose one line (a group code, else a value) is ``size`` bytes long."""
    with open(path, "wb") as f:
        f.write(DXF_HEAD.encode())
        if as_code:
            f.write(b"1" * size + b"\nX\n")
        else:
            f.write(b"0\nTEXT\n8\n0\n10\n0\n20\n0\n40\n1\n1\n")
            chunk = b"A" * (1 << 20)
            for _ in range(size // len(chunk)):
                f.write(chunk)
            f.write(b"\n")
        f.write(DXF_TAIL.encode())
    return path


def _dxf_like_chunks(size: int, chunk: int = 1 << 20):
    """``size`` bytes that sniff as a DXF: the head, then LINE entities, then EOF."""
    line = b"0\nLINE\n8\n0\n10\n0\n20\n0\n11\n1\n21\n1\n"
    yield DXF_HEAD.encode()
    block = line * (chunk // len(line))
    left = size - len(DXF_HEAD) - len(DXF_TAIL)
    while left > 0:
        part = block[: min(left, len(block))]
        left -= len(part)
        yield part
    yield DXF_TAIL.encode()


def zip_bomb(path: Path, members: int = 5, member_size: int = 1 << 30) -> Path:
    """A zip of ``members`` DXF-like members of ``member_size`` bytes each (deflated to a
    thousandth of that), sizes declared truthfully in the headers."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        first = None
        for i in range(members):
            name = f"A-{101 + i}.dxf"
            if first is None:
                with zf.open(name, "w", force_zip64=True) as out:
                    for part in _dxf_like_chunks(member_size):
                        out.write(part)
                first = name
            else:  # same bytes: copy the compressed member rather than deflate it again
                info = zf.getinfo(first)
                raw = _raw_member(zf, path, info)
                clone = zipfile.ZipInfo(name, info.date_time)
                clone.compress_type = info.compress_type
                zf.fp.flush()  # type: ignore[union-attr]
                _append_raw(zf, clone, info, raw)
    return path


def _raw_member(zf: zipfile.ZipFile, path: Path, info: zipfile.ZipInfo) -> bytes:
    zf.fp.flush()  # type: ignore[union-attr]
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        f.seek(info.header_offset + 30 + name_len + extra_len)
        return f.read(info.compress_size)


def _append_raw(
    zf: zipfile.ZipFile, clone: zipfile.ZipInfo, like: zipfile.ZipInfo, raw: bytes
) -> None:
    """Write an already-compressed member (zipfile has no public API for it)."""
    clone.CRC = like.CRC
    clone.compress_size = like.compress_size
    clone.file_size = like.file_size
    clone.flag_bits = like.flag_bits & ~0x08
    clone.header_offset = zf.fp.tell()  # type: ignore[union-attr]
    clone.create_system = like.create_system
    clone.extract_version = like.extract_version
    zf.fp.write(clone.FileHeader(zip64=True))  # type: ignore[union-attr]
    zf.fp.write(raw)  # type: ignore[union-attr]
    zf.filelist.append(clone)
    zf.NameToInfo[clone.filename] = clone
    zf.start_dir = zf.fp.tell()  # type: ignore[union-attr]


def lying_zip(path: Path, declared: int = 1000, actual: int = 64 << 20) -> Path:
    """One member whose headers declare ``declared`` bytes but that inflates to ``actual``."""
    data = b"".join(_dxf_like_chunks(actual))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = comp.compress(data) + comp.flush()
    info = zipfile.ZipInfo("A-101.dxf", (2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as zf:
        info.CRC = zlib.crc32(data)
        info.compress_size = len(raw)
        info.file_size = declared
        info.header_offset = zf.fp.tell()  # type: ignore[union-attr]
        zf.fp.write(info.FileHeader())  # type: ignore[union-attr]
        zf.fp.write(raw)  # type: ignore[union-attr]
        zf.filelist.append(info)
        zf.NameToInfo[info.filename] = info
        zf.start_dir = zf.fp.tell()  # type: ignore[union-attr]
    return path


def zip_with_flags(path: Path, member: bytes, *, encrypted: bool = False, method: int = 8) -> Path:
    """One member marked encrypted (flag bit 0) and/or with compression ``method`` (9 is
    Deflate64, which zipfile cannot inflate)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("A-101.dxf", member)
    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(sig)
        if encrypted:
            data[at + flag_at] |= 1
        struct.pack_into("<H", data, at + method_at, method)
    path.write_bytes(bytes(data))
    return path


def nested_zip(path: Path, member: bytes, depth: int = 3) -> Path:
    """A zip holding a zip holding ... a DXF."""
    payload, name = member, "A-101.dxf"
    for i in range(depth):
        tmp = path.with_suffix(f".{i}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, payload)
        payload, name = tmp.read_bytes(), f"inner{i}.zip"
        tmp.unlink()
    path.write_bytes(payload)
    return path


def surrogate_escape_dxf(src: Path, dst: Path) -> Path:
    """``src`` with one ``\\U+XXXX`` escape turned into a lone surrogate (two bytes changed);
    a file without escapes gets a TEXT with one."""
    data = src.read_bytes()
    at = data.find(b"\\U+")
    if at >= 0:
        data = data[: at + 3] + b"D8" + data[at + 5 :]
    else:
        ent = data.find(b"ENTITIES")
        extra = b"\n0\nTEXT\n8\n0\n10\n0\n20\n0\n40\n1\n1\nA\\U+D800B"
        data = data[: ent + 8] + extra + data[ent + 8 :]
    dst.write_bytes(data)
    return dst


def bytes_name(directory: Path, payload: bytes, stem: bytes = b"A-101 \xff\xfe") -> bytes:
    """A file whose name is not UTF-8 (a bytes path, as Linux allows); returns the path."""
    p = os.fsencode(directory) + b"/" + stem + b".dxf"
    with open(p, "wb") as f:
        f.write(payload)
    return p


def fifo(directory: Path, name: str = "A-101.dxf") -> Path:
    p = directory / name
    os.mkfifo(p)
    return p


def zip_with_raw_name(
    path: Path, raw_name: bytes, payload: bytes, *, utf8_flag: bool = False
) -> Path:
    """One member whose name is ``raw_name`` as bytes (GBK from a Chinese Windows tool, or
    bytes that are no encoding at all), with or without the UTF-8 flag."""
    placeholder = b"n" * len(raw_name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(placeholder.decode(), payload)
    data = bytearray(path.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        if utf8_flag:
            data[at + flag_at + 1] |= 0x08  # bit 11
    path.write_bytes(bytes(data).replace(placeholder, raw_name))
    return path


# -- expansion bombs (rendering) ---------------------------------------------------------------

#: The header of :data:`DXF_HEAD`, then a BLOCKS section.
DXF_BLOCKS_HEAD = DXF_HEAD.replace("ENTITIES", "BLOCKS")


def _block(name: str, body: str) -> str:
    return f"0\nBLOCK\n8\n0\n2\n{name}\n70\n0\n10\n0\n20\n0\n{body}0\nENDBLK\n8\n0\n"


def _line(x0: float, y0: float, x1: float, y1: float, layer: str = "0") -> str:
    return f"0\nLINE\n8\n{layer}\n10\n{x0!r}\n20\n{y0!r}\n11\n{x1!r}\n21\n{y1!r}\n"


def _insert(block: str, x: float, y: float, *, scale: float = 1.0, cols: int = 1,
            rows: int = 1, dx: float = 0.0, dy: float = 0.0) -> str:
    out = f"0\nINSERT\n8\n0\n2\n{block}\n10\n{x!r}\n20\n{y!r}\n"
    out += f"41\n{scale!r}\n42\n{scale!r}\n"
    if cols > 1 or rows > 1:
        out += f"70\n{cols}\n71\n{rows}\n44\n{dx!r}\n45\n{dy!r}\n"
    return out


def _with_blocks(path: Path, blocks: str, entities: str) -> Path:
    text = (DXF_BLOCKS_HEAD + blocks + "0\nENDSEC\n0\nSECTION\n2\nENTITIES\n" + entities
            + DXF_TAIL)
    path.write_text(text, encoding="utf-8")
    return path


def minsert_dxf(path: Path, cols: int = 100_000, rows: int = 100_000, lines: int = 600) -> Path:
    """A MINSERT of ``cols`` x ``rows`` cells of a block of ``lines`` lines (the issue's
    55 KB file: 1e10 cells of 600 lines)."""
    body = "".join(_line(i * 0.01, 0.0, i * 0.01, 1.0) for i in range(lines))
    return _with_blocks(path, _block("CELL", body),
                        _insert("CELL", 0.0, 0.0, cols=cols, rows=rows, dx=10.0, dy=10.0))


def fanout_dxf(path: Path, width: int = 8, depth: int = 14, *, scale: float = 0.1,
               circles: int = 0) -> Path:
    """Blocks fanned out ``width`` wide and ``depth`` deep: one INSERT of the top block draws
    ``width ** depth`` leaves of two lines (8 ** 14 = 4.4e12) and ``circles`` circles (drawn
    with up to 513 points each when ``scale`` keeps them page-sized)."""
    leaf = _line(0.0, 0.0, 1.0, 1.0) + _line(0.0, 1.0, 1.0, 0.0)
    leaf += "0\nCIRCLE\n8\n0\n10\n0\n20\n0\n40\n1000.0\n" * circles
    blocks = [_block(f"L{depth}", leaf)]
    for level in range(depth - 1, -1, -1):
        refs = "".join(_insert(f"L{level + 1}", k * 1.5, 0.0, scale=scale) for k in range(width))
        blocks.append(_block(f"L{level}", refs))
    return _with_blocks(path, "".join(reversed(blocks)), _insert("L0", 0.0, 0.0))


def _hatch(pattern: str, scale: float, size: float) -> str:
    corners = ((0.0, 0.0), (size, 0.0), (size, size), (0.0, size))
    verts = "".join(f"10\n{x!r}\n20\n{y!r}\n" for x, y in corners)
    return (f"0\nHATCH\n8\n0\n10\n0\n20\n0\n30\n0\n2\n{pattern}\n70\n0\n71\n0\n"
            f"91\n1\n92\n3\n72\n0\n73\n1\n93\n4\n{verts}97\n0\n75\n0\n76\n1\n"
            f"52\n0\n41\n{scale!r}\n77\n0\n78\n1\n")


def hatch_dxf(path: Path, scale: float = 1e-6, size: float = 1000.0, copies: int = 1) -> Path:
    """Pattern hatches of ``size`` drawing units whose pattern is scaled by ``scale`` (a tiny
    pattern over a big area: 1e12 pattern lines; or a huge one), ``copies`` of each, also as a
    block inserted ``copies`` times."""
    hatches = "".join(_hatch(p, scale, size) for p in ("ANSI31", "AR-B816", "GRAVEL"))
    refs = "".join(_insert("H", size * k, size, scale=1.0) for k in range(copies))
    return _with_blocks(path, _block("H", hatches), hatches * copies + refs)


def huge_coords_dxf(path: Path, big: float = 1e308) -> Path:
    """Entities at and beyond the end of the float range: 1e308, inf, nan coordinates, radii,
    scales, text heights, hatch boundaries and pattern scales."""
    ents = [
        _line(-big, -big, big, big),
        _line(0.0, 0.0, 100.0, 100.0),
        _line(float("nan"), 0.0, 1.0, float("inf")),
        f"0\nCIRCLE\n8\n0\n10\n{big!r}\n20\n0\n40\n{big!r}\n",
        f"0\nARC\n8\n0\n10\n0\n20\n0\n40\n{big!r}\n50\n0\n51\n{big!r}\n",
        f"0\nTEXT\n8\n0\n10\n{big!r}\n20\n{-big!r}\n40\n{big!r}\n1\nBIG\n",
        f"0\nMTEXT\n8\n0\n10\n0\n20\n0\n40\n{big!r}\n41\n{big!r}\n1\nBIG\n",
        "0\nLWPOLYLINE\n8\n0\n90\n3\n70\n0\n43\n1e308\n"
        f"10\n0\n20\n0\n42\n{big!r}\n10\n{big!r}\n20\n1\n10\nnan\n20\ninf\n",
        _insert("B", big, big, scale=big),
        _insert("B", 0.0, 0.0, scale=big, cols=3, rows=3, dx=big, dy=big),
        _hatch("ANSI31", big, big),
        _hatch("ANSI31", 1.0, big),
    ]
    block = _block("B", _line(0.0, 0.0, 1.0, 1.0) + _hatch("ANSI31", 1e-300, 1.0))
    return _with_blocks(path, block, "".join(ents))


if __name__ == "__main__":  # the full-size set, for measuring
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    zip_bomb(out / "bomb5x1g.zip")
    long_line_dxf(out / "longline64m.dxf")
    long_line_dxf(out / "longvalue64m.dxf", as_code=False)
    lying_zip(out / "lying.zip")
    minsert_dxf(out / "minsert1e5x1e5.dxf")
    fanout_dxf(out / "fanout8x14.dxf")
    hatch_dxf(out / "hatch-tiny-pattern.dxf", copies=200)
    hatch_dxf(out / "hatch-huge-pattern.dxf", scale=1e300, copies=200)
    huge_coords_dxf(out / "coords1e308.dxf")
    for f in sorted(out.iterdir()):
        print(f, f.stat().st_size)

