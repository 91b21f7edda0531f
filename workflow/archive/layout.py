"""Where things go inside a package, and the rules every package follows.

A package is a BagIt bag (RFC 8493): the payload under ``data/``, ``manifest-sha256.txt``, and
two tag files of ours: ``yitaotu-package.json`` (what each payload file is: sheets, versions,
blobs, certificates, the chain, the catalogue) and ``yitaotu-signature.json`` (the packer's
signatures over that description, which names the sha256 of the payload manifest, so one
signature covers every byte of the payload).
"""

from __future__ import annotations

import re
import unicodedata

PACKAGE_TYPE = "yitaotu.package/1"
PACKAGE_FILE = "yitaotu-package.json"
SIGNATURE_FILE = "yitaotu-signature.json"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
#: The four checks' report on an inspector's pull, as made when it was packed.
REPORT_FILE = "yitaotu-verification.json"
#: archive: the 归档 package of an accepted project; inspect: the set in force on a date;
#: live: ``verify PROJECT --deep`` (built in a temporary directory, never signed).
KINDS = ("archive", "inspect", "live")

#: Formats a package may hold (by the file's bytes for drawings, by name for the rest).
DRAWING_FORMATS = ("dxf", "dwg", "pdf")
DOCUMENT_SUFFIXES = (".pdf", ".json", ".jsonl", ".csv", ".txt")
#: Largest single file a package may hold (the ingest's default upload limit).
MAX_FILE = 1 << 30
#: Largest package, all files together (zip members as inflated).
MAX_TOTAL = 64 << 30

_UNSAFE = re.compile(r"[^0-9A-Za-z_\-.\u4e00-\u9fff]")


def safe_name(text: str) -> str:
    """A file name for a sheet number: letters, digits, CJK, ``-_.`` kept, the rest ``_``;
    never empty, never a dot name."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip(".") or "_"
    return name[:100]


def unsafe_path(name: str) -> str | None:
    """Why ``name`` (a path inside a package, ``/``-separated) may not be written, or None."""
    if not name:
        return "empty name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if "\\" in name:
        return "backslash in name"
    if "\x00" in name or any(ord(c) < 32 for c in name):
        return "control character in name"
    if any(part == ".." for part in name.split("/")):
        return "path traversal (..)"
    return None


def blob_path(blob_id: str) -> str:
    return f"data/blobs/{blob_id[:2]}/{blob_id[2:]}"
