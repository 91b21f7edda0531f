"""Uploaded files: paths (files, directories, zips) -> :class:`Source`, read within limits.

An upload is hostile until read: a FIFO that never ends, a zip whose members inflate a
thousandfold, an encrypted or Deflate64 member, a name that is not UTF-8.  Everything is
decided from metadata first (``stat``, the zip directory), then bytes are read in pieces and
counted as they arrive -- per file (``YITAOTU_MAX_UPLOAD``) and per upload
(``YITAOTU_MAX_UPLOAD_TOTAL``) -- after the head has been sniffed, so a file that is not a
drawing costs 64 KiB, not its size.  Every refusal names the file.
"""

from __future__ import annotations

import functools
import lzma
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from drawings.detect import HEAD_SIZE, detect_format, file_error
from storage.display import clip, display_path, quote
from storage.errors import FileFormatError, InvalidInput, YitaotuError
from storage.numbers import env_positive_int

#: Bytes read at a time.
CHUNK = 1 << 20
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: Compression methods zipfile inflates; others are refused by name before reading.
ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_OTHER_METHODS = {9: "Deflate64", 93: "Zstandard", 95: "xz", 98: "PPMd", 99: "AES"}
#: What a damaged member raises while it is inflated.
_INFLATE_ERRORS = (
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError,
    RuntimeError, ValueError,
)


BYTES = "number of bytes"


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload may bring.

    ``per_file``: bytes of one file, as read (a zip member: as inflated);
    ``total``: bytes of all its files together; ``ratio``: a zip member inflating to more
    than this many times its compressed size (and more than ``ratio_floor`` bytes) is a zip
    bomb -- drawings deflate about 4-15x, 43x in the whole corpus.
    """

    per_file: int = 1 << 30
    total: int = 4 << 30
    ratio: int = 100
    ratio_floor: int = 8 << 20

    @classmethod
    def from_env(cls) -> UploadLimits:
        return cls(
            per_file=env_positive_int("YITAOTU_MAX_UPLOAD", cls.per_file, unit=BYTES),
            total=env_positive_int("YITAOTU_MAX_UPLOAD_TOTAL", cls.total, unit=BYTES),
        )

    def too_big(self, name: str, size: int) -> InvalidInput:
        return InvalidInput(
            f"{name}: 文件过大 larger than {self.per_file} bytes ({size} or more; "
            "YITAOTU_MAX_UPLOAD)"
        )

    def bomb(self, name: str, size: int, compressed: int) -> FileFormatError:
        return FileFormatError(
            name,
            f"疑似压缩炸弹 inflates {compressed} bytes to {size} or more (over {self.ratio}x): "
            "refused as a zip bomb",
        )


@dataclass
class Source:
    """One uploaded file, wherever it lives (disk or zip member)."""

    name: str  # what the user sees in messages (path or zip!member), always printable
    size: int  # as declared (stat, zip directory); what is read is counted again
    _open: Callable[[], BinaryIO]
    #: a zip member's compressed size (for the inflation ratio); None on disk
    compressed: int | None = None
    #: the file's own name (sheet numbers come from it); by default the last part of ``name``
    basename: str = ""

    def __post_init__(self) -> None:
        if not self.basename:
            self.basename = PurePosixPath(self.name.replace("\\", "/").split("!")[-1]).name

    def open(self) -> BinaryIO:
        """The raw stream; damaged archives and unreadable files raise FileFormatError."""
        try:
            return self._open()
        except YitaotuError:
            raise
        except OSError as e:
            raise file_error(self.name, e) from None
        except _INFLATE_ERRORS as e:
            raise FileFormatError(self.name, f"damaged archive member: {clip(e)}") from None


class UploadTooLarge(InvalidInput):
    """The upload as a whole is over its limit: no file after this one can be read."""


class UploadRefused(InvalidInput):
    """Several files of one upload refused, each with its message naming it (``refusals``;
    one refused file raises its own error)."""

    def __init__(self, refusals: list[str]) -> None:
        self.refusals = refusals
        super().__init__(f"{len(refusals)} 个文件被拒绝 files refused: " + "; ".join(refusals))


@dataclass
class Budget:
    """Bytes read so far in one upload, counted against :class:`UploadLimits`."""

    limits: UploadLimits
    total: int = 0
    _per_source: dict[str, int] = field(default_factory=dict)

    def take(self, src: Source, n: int) -> None:
        done = self._per_source.get(src.name, 0) + n
        self._per_source[src.name] = done
        self.total += n
        lim = self.limits
        if done > lim.per_file:
            raise lim.too_big(src.name, done)
        if src.compressed is not None and done > max(lim.ratio_floor, lim.ratio * src.compressed):
            raise lim.bomb(src.name, done, src.compressed)
        if self.total > lim.total:
            raise UploadTooLarge(
                f"{src.name}: 上传总量过大 the upload holds more than {lim.total} bytes "
                "(YITAOTU_MAX_UPLOAD_TOTAL)"
            )


def read_source(src: Source, budget: Budget) -> bytes:
    """The whole file, sniffed first: a head that is no drawing is refused before the rest
    is read; every byte read (inflated) is counted."""
    with src.open() as f:
        try:
            head = _read_upto(f, HEAD_SIZE)
            budget.take(src, len(head))
            if head.startswith(ZIP_MAGIC):
                raise FileFormatError(src.name, "nested archive: not supported / 不支持嵌套压缩包")
            detect_format(head, src.name)
            chunks = [head]
            while chunk := f.read(CHUNK):
                budget.take(src, len(chunk))
                chunks.append(chunk)
        except YitaotuError:
            raise
        except OSError as e:
            raise file_error(src.name, e) from None
        except _INFLATE_ERRORS as e:
            raise FileFormatError(src.name, f"damaged archive member: {clip(e)}") from None
    return b"".join(chunks)


def _read_upto(f: BinaryIO, n: int) -> bytes:
    parts: list[bytes] = []
    left = n
    while left > 0 and (part := f.read(min(left, CHUNK))):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


# -- files on disk ------------------------------------------------------------------------------


def _not_regular(label: str, mode: int) -> FileFormatError:
    for test, zh, en in (
        (stat.S_ISFIFO, "管道", "a FIFO"),
        (stat.S_ISSOCK, "套接字", "a socket"),
        (stat.S_ISCHR, "设备", "a character device"),
        (stat.S_ISBLK, "设备", "a block device"),
        (stat.S_ISDIR, "目录", "a directory"),
    ):
        if test(mode):
            return FileFormatError(label, f"不是普通文件（{zh}）not a regular file but {en}")
    return FileFormatError(label, "不是普通文件 not a regular file")


def check_regular(
    path: str | os.PathLike[str], label: str, limit: int | None = None
) -> os.stat_result:
    """``stat`` of a regular file (of at most ``limit`` bytes); anything else (FIFO, device,
    socket, directory, missing) is refused without being opened."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise file_error(label, e) from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(label, st.st_mode)
    if limit is not None and st.st_size > limit:
        raise UploadLimits(per_file=limit).too_big(label, st.st_size)
    return st


def open_regular(
    path: str | os.PathLike[str], label: str, limit: int | None = None
) -> BinaryIO:
    """Open a regular file (of at most ``limit`` bytes) for reading; a path swapped for a
    FIFO after :func:`check_regular` does not block (``O_NONBLOCK``) and is refused on its
    ``fstat``."""
    check_regular(path, label, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise file_error(label, e) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(label, mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], label: str, limit: int) -> bytes:
    """A whole regular file of at most ``limit`` bytes (checked on ``stat`` and as read)."""
    src = Source(label, 0, lambda: open_regular(path, label, limit))
    with src.open() as f:
        data = _read_upto(f, limit + 1)
    if len(data) > limit:  # it grew since its stat
        raise UploadLimits(per_file=limit).too_big(label, len(data))
    return data


# -- zips ---------------------------------------------------------------------------------------


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its writer meant it: names without the UTF-8 flag are cp437 to
    zipfile, but Chinese Windows tools write GBK there."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _check_member_name(display: str, name: str) -> None:
    n = name.replace("\\", "/")
    parts = PurePosixPath(n).parts
    if n.startswith("/") or re.match(r"^[A-Za-z]:", n) or ".." in parts:
        raise InvalidInput(
            f"{display}: 压缩包内含不安全的路径 unsafe member name {quote(name)} "
            "(absolute or containing '..')"
        )


def _check_member(display: str, info: zipfile.ZipInfo, limits: UploadLimits) -> None:
    """Refuse, from the zip directory alone, what cannot or must not be inflated."""
    if info.flag_bits & 0x1:
        raise FileFormatError(display, "encrypted member: not supported / 不支持加密的压缩文件")
    if info.compress_type not in ZIP_METHODS:
        method = _OTHER_METHODS.get(info.compress_type, "unknown")
        raise FileFormatError(
            display,
            f"compression method {info.compress_type} ({method}) not supported / 不支持的压缩方式; "
            f"use one of {', '.join(ZIP_METHODS.values())}",
        )
    if info.file_size > limits.per_file:
        raise limits.too_big(display, info.file_size)
    if info.file_size > max(limits.ratio_floor, limits.ratio * info.compress_size):
        raise limits.bomb(display, info.file_size, info.compress_size)


def zip_sources(path: Path, display: str, limits: UploadLimits) -> list[Source]:
    """The members of a zip, checked from its directory before any is inflated."""
    try:
        with open_regular(path, display) as fh, zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
    except UnicodeDecodeError:
        raise FileFormatError(
            display, "bad zip archive: a member name flagged UTF-8 is not UTF-8"
        ) from None
    except YitaotuError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise FileFormatError(display, f"bad zip archive: {clip(e)}") from None
    archive_size = path.stat().st_size
    out = []
    for info in sorted(infos, key=_member_name):
        name = _member_name(info)
        _check_member_name(display, name)
        if info.is_dir() or PurePosixPath(name.replace("\\", "/")).name.startswith("."):
            continue
        shown = f"{display}!{display_path(name)}"
        _check_member(shown, info, limits)

        def opener(info: zipfile.ZipInfo = info) -> BinaryIO:
            with zipfile.ZipFile(path) as zf:
                return zf.open(info)  # keeps the file open until the member closes

        compressed = min(info.compress_size, archive_size)
        base = display_path(PurePosixPath(name.replace("\\", "/")).name)
        out.append(Source(shown, info.file_size, opener, compressed=compressed, basename=base))
    return out


def _is_zip(path: Path, label: str) -> bool:
    with open_regular(path, label) as f:
        return f.read(4) in ZIP_MAGIC


# -- the upload ---------------------------------------------------------------------------------


def expand(
    paths: Iterable[str | bytes | os.PathLike[str]], limits: UploadLimits | None = None
) -> list[Source]:
    """Files, directories (recursively, hidden files skipped) and zips, in a stable order;
    declared sizes are checked against ``limits`` before anything is read."""
    limits = limits or UploadLimits.from_env()
    out: list[Source] = []
    for raw in paths:
        p = Path(os.fsdecode(raw))
        label = display_path(p)
        try:
            st = os.stat(p)
        except OSError as e:
            if isinstance(e, FileNotFoundError):
                raise InvalidInput(f"{label}: 文件不存在 no such file or directory") from None
            raise file_error(label, e) from None
        if stat.S_ISDIR(st.st_mode):
            files = sorted(
                f
                for f in p.rglob("*")
                if not any(part.startswith(".") for part in f.relative_to(p).parts)
                and not f.is_dir()
            )
        else:
            files = [p]
        for f in files:
            display = display_path(f)
            size = check_regular(f, display).st_size
            if _is_zip(f, display):
                out.extend(zip_sources(f, display, limits))
                continue
            if size > limits.per_file:
                raise limits.too_big(display, size)
            opener = functools.partial(open_regular, f, display)
            out.append(Source(display, size, opener, basename=display_path(f.name)))
    if not out:
        raise InvalidInput("没有可导入的文件 nothing to ingest")
    declared = sum(s.size for s in out)
    if declared > limits.total:
        raise InvalidInput(
            f"上传总量过大 the upload holds {declared} bytes, more than {limits.total} "
            "(YITAOTU_MAX_UPLOAD_TOTAL)"
        )
    return out
