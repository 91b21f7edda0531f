"""Tell a drawing's format and version from its first bytes, never from its file name.

Uploads arrive with arbitrary names (``A-101.DWG`` that is really a DXF, ``plan`` without an
extension), so the bytes decide.  Only the head of the file is needed (64 KiB is plenty: the
DXF ``$ACADVER`` variable is the first header variable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.errors import FileFormatError

#: How many leading bytes :func:`detect_format` wants to see.
HEAD_SIZE = 65536

BINARY_DXF_SENTINEL = b"AutoCAD Binary DXF\r\n\x1a\x00"

#: DWG version strings of R13 and later: what ``ezdwg`` can read.
DWG_SUPPORTED = ("AC1012", "AC1014", "AC1015", "AC1018", "AC1021", "AC1024", "AC1027", "AC1032")
_DWG_NAMES = {
    "AC1.2": "R1.2",
    "AC1.40": "R1.40",
    "AC1.50": "R2.05",
    "AC2.10": "R2.10",
    "AC1001": "R2.22",
    "AC1002": "R2.5",
    "AC1003": "R2.6",
    "AC1004": "R9",
    "AC1006": "R10",
    "AC1009": "R11/R12",
    "AC1012": "R13",
    "AC1014": "R14",
    "AC1015": "R2000",
    "AC1018": "R2004",
    "AC1021": "R2007",
    "AC1024": "R2010",
    "AC1027": "R2013",
    "AC1032": "R2018",
}

_DWG_RE = re.compile(rb"^(AC1\.2|AC1\.40|AC1\.50|AC2\.10|AC\d{4})")
_PDF_RE = re.compile(rb"%PDF-(\d\.\d)")
#: ISO 10303-21 (STEP physical file), the exchange form of IFC: ``ISO-10303-21;`` first.
_SPF_START_RE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*ISO-10303-21\s*;")
_SPF_SCHEMA_RE = re.compile(rb"FILE_SCHEMA\s*\(\s*\(\s*'([^']*)'", re.IGNORECASE)
_IFC_SCHEMA_RE = re.compile(r"^IFC(?:2X3|4|4X1|4X2|4X3)(?:_[A-Z0-9_]+)?$", re.IGNORECASE)
#: Schemas IfcOpenShell 0.9 reads (IFC2X3 TC1, IFC4 ADD2 TC1, IFC4X3 ADD2); others are refused.
IFC_SUPPORTED = ("IFC2X3", "IFC4", "IFC4X3")
_DXF_START_RE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:999[ \t]*\r?\n[^\n]*\n\s*)*0[ \t]*\r?\n\s*SECTION[ \t]*\r?$",
    re.MULTILINE,
)
_DXF_ACADVER_RE = re.compile(rb"\$ACADVER[ \t]*\r?\n\s*1[ \t]*\r?\n\s*(AC\d{4})")
_BIN_ACADVER_RE = re.compile(rb"\$ACADVER\x00(?:\x01\x00|\x01)(AC\d{4})\x00")
#: A DWG file's fixed header alone is 0x19 bytes plus section locators; less is truncated.
_DWG_MIN_HEAD = 0x80


@dataclass(frozen=True, slots=True)
class FormatInfo:
    format: str  # "dxf" | "dxf-binary" | "dwg" | "pdf" | "ifc"
    version: str  # "AC1027", "PDF-1.7", ...


def dwg_release(version: str) -> str:
    """``"AC1009"`` -> ``"R11/R12"`` for messages."""
    return _DWG_NAMES.get(version, version)


def detect_format(head: bytes, name: str = "") -> FormatInfo:
    """Format and version of a drawing from its leading bytes (see :data:`HEAD_SIZE`).

    Raises :class:`FileFormatError` naming ``name`` for empty, truncated or non-drawing input
    and for DWG releases older than R13, which no reader here supports.
    """
    label = name or "<bytes>"
    if not head:
        raise FileFormatError(label, "empty file (0 bytes) / 空文件")
    if head.startswith(BINARY_DXF_SENTINEL):
        m = _BIN_ACADVER_RE.search(head)
        if len(head) <= len(BINARY_DXF_SENTINEL) + 2:
            raise FileFormatError(label, "truncated binary DXF header / 二进制 DXF 文件头不完整")
        return FormatInfo("dxf-binary", m.group(1).decode() if m else "AC1009")
    m = _DWG_RE.match(head)
    if m:
        version = m.group(1).decode()
        if version not in DWG_SUPPORTED:
            if version > "AC1032" and version.startswith("AC1") and len(version) == 6:
                raise FileFormatError(
                    label, f"unsupported DWG version {version} (newer than R2018)"
                )
            raise FileFormatError(
                label, f"unsupported DWG version {version} ({dwg_release(version)}, older than R13)"
            )
        if len(head) < _DWG_MIN_HEAD:
            raise FileFormatError(
                label, f"truncated DWG header ({len(head)} bytes) / DWG 文件头不完整"
            )
        return FormatInfo("dwg", version)
    pdf = _PDF_RE.search(head[:1024])
    if pdf:
        return FormatInfo("pdf", f"PDF-{pdf.group(1).decode()}")
    if head[:1024].lstrip().startswith(b"%PDF"):
        raise FileFormatError(label, "truncated PDF header / PDF 文件头不完整")
    if _SPF_START_RE.match(head[:4096]):
        return FormatInfo("ifc", _ifc_schema(head, label))
    if _DXF_START_RE.match(head[:4096]):
        m = _DXF_ACADVER_RE.search(head)
        if m:
            return FormatInfo("dxf", m.group(1).decode())
        if b"$ACADVER" in head:
            raise FileFormatError(label, "truncated DXF header / DXF 文件头不完整")
        return FormatInfo("dxf", "AC1009")  # R12 files may omit the HEADER section
    raise FileFormatError(
        label,
        "not a DXF, DWG or PDF drawing nor an IFC model / 不是 DXF、DWG 或 PDF 图纸或 IFC 模型",
    )


def _ifc_schema(head: bytes, label: str) -> str:
    """The schema a STEP file's header declares; a STEP file that is not IFC is refused."""
    m = _SPF_SCHEMA_RE.search(head)
    if m is None:
        if b"ENDSEC" in head:
            raise FileFormatError(label, "STEP file without FILE_SCHEMA / 缺少 FILE_SCHEMA")
        raise FileFormatError(label, "truncated IFC header / IFC 文件头不完整")
    schema = m.group(1).decode("ascii", "replace").strip()
    if not _IFC_SCHEMA_RE.match(schema):
        raise FileFormatError(
            label, f"STEP file of schema {schema!r}, not IFC / 非 IFC 的 STEP 文件"
        )
    base = schema.upper().split("_")[0]
    family = "IFC4X3" if base.startswith("IFC4X3") else "IFC4" if base.startswith("IFC4") else base
    if family not in IFC_SUPPORTED:
        raise FileFormatError(label, f"unsupported IFC schema {schema} / 不支持的 IFC 版本")
    return base


#: Bytes at the end of a file that hold its end marker (DXF ``EOF``, PDF ``%%EOF``).
TAIL_SIZE = 1024

_DXF_EOF = re.compile(rb"(^|\n)\s*EOF\s*$")
_SPF_END_RE = re.compile(rb"END-ISO-10303-21\s*;\s*$")


def check_complete(name: str, fmt: str, tail: bytes) -> None:
    """Refuse a truncated file from its last :data:`TAIL_SIZE` bytes.

    The (recovering) readers would read what is left: the archive would keep a broken file and
    a diff would report everything after the cut as removed.
    """
    if fmt == "dxf" and not _DXF_EOF.search(tail):
        raise FileFormatError(name, "truncated DXF: no EOF marker / DXF 文件不完整")
    if fmt == "dxf-binary" and b"EOF" not in tail:
        raise FileFormatError(name, "truncated binary DXF: no EOF / DXF 文件不完整")
    if fmt == "ifc" and not _SPF_END_RE.search(tail):
        raise FileFormatError(name, "truncated IFC: no END-ISO-10303-21 / IFC 文件不完整")
    if fmt == "pdf" and b"%%EOF" not in tail:
        raise FileFormatError(name, "truncated PDF: no %%EOF marker / PDF 文件不完整")


def file_error(name: str, e: OSError) -> FileFormatError:
    """The user-facing error for a drawing file that cannot be opened or read."""
    if isinstance(e, FileNotFoundError):
        return FileFormatError(name, "no such file / 文件不存在")
    if isinstance(e, IsADirectoryError):
        return FileFormatError(name, "is a directory, not a drawing file")
    return FileFormatError(name, f"cannot read file: {e.strerror or e}")
