"""案卷目录 and 卷内目录 in the spirit of GB/T 50328: every payload file is an item (卷内文件) of
one volume (案卷) with its file number, title, author organisation, date, pages, sheet number,
security level and retention period; volumes sum their items.  Written as CSV (UTF-8 with BOM,
as spreadsheet programs on Chinese Windows expect) and JSON, and checked both ways."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

VOLUMES_CSV = "data/catalogue/案卷目录.csv"
ITEMS_CSV = "data/catalogue/卷内目录.csv"
CATALOGUE_JSON = "data/catalogue/catalogue.json"
FILES = (VOLUMES_CSV, ITEMS_CSV, CATALOGUE_JSON)

PERMANENT = "永久"
#: Retention periods (保管期限): permanent, or a number of years before appraisal (鉴定).
RETENTIONS = {PERMANENT: None, "30年": 30, "10年": 10}
SECURITY = "内部"  # 密级: internal (公开 / 内部 / 秘密 …); drawings of a project are internal

ITEM_FIELDS = {  # key -> CSV header
    "archive_no": "案卷号 archive no", "item_no": "件号 item no", "file_no": "文件编号 file no",
    "title": "题名 title", "author": "责任者 author organisation", "date": "日期 date",
    "pages": "页数 pages", "sheet": "图号 sheet no", "security": "密级 security level",
    "retention": "保管期限 retention", "file": "文件 file",
}
VOLUME_FIELDS = {
    "archive_no": "案卷号 archive no", "title": "案卷题名 title", "author": "编制单位 author",
    "start": "起始日期 from", "end": "截止日期 to", "items": "卷内件数 items",
    "pages": "页数 pages", "security": "密级 security level", "retention": "保管期限 retention",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One file to catalogue: which volume (1-based), what it is, and where it lies."""

    volume: int
    title: str
    author: str
    date: str  # YYYY-MM-DD, China time
    pages: int
    sheet: str
    retention: str
    file: str


def build(code: str, volume_titles: list[str], entries: list[Entry]) -> dict[str, Any]:
    """The catalogue as JSON: volumes numbered from 1 in the given order, items from 1 within
    each volume in the order given; volumes without items are left out and the rest close up."""
    used = [v for v in range(1, len(volume_titles) + 1) if any(e.volume == v for e in entries)]
    number = {v: n for n, v in enumerate(used, start=1)}
    items: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    for v in used:
        mine = [e for e in entries if e.volume == v]
        archive_no = f"{code}-{number[v]:02d}"
        for n, e in enumerate(mine, start=1):
            items.append({"archive_no": archive_no, "item_no": n,
                          "file_no": f"{archive_no}-{n:03d}",
                          "title": e.title, "author": e.author, "date": e.date, "pages": e.pages,
                          "sheet": e.sheet or "—", "security": SECURITY,
                          "retention": e.retention, "file": e.file})
        dates = sorted(e.date for e in mine)
        volumes.append({"archive_no": archive_no, "title": volume_titles[v - 1],
                        "author": "、".join(dict.fromkeys(e.author for e in mine)),
                        "start": dates[0], "end": dates[-1], "items": len(mine),
                        "pages": sum(e.pages for e in mine), "security": SECURITY,
                        "retention": longest(e.retention for e in mine)})
    return {"type": "yitaotu.catalogue/1", "project": code, "volumes": volumes, "items": items,
            "totals": {"volumes": len(volumes), "items": len(items),
                       "pages": sum(i["pages"] for i in items)}}


def longest(retentions: Any) -> str:
    """The longest of retention periods (a volume keeps its longest-lived item)."""
    rs = list(retentions)
    if PERMANENT in rs:
        return PERMANENT
    return max(rs, key=lambda r: RETENTIONS.get(r) or 0)


#: A cell beginning with one of these is a formula to a spreadsheet: it is written behind a
#: quote ("'=…"), as spreadsheet programs show it, and read back without it.
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA) or text.startswith("'") else text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def to_csv(rows: list[dict[str, Any]], fields: dict[str, str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(fields.values())
    for r in rows:
        w.writerow([_cell(r[k]) for k in fields])
    return buf.getvalue().encode("utf-8-sig")


def from_csv(data: bytes, fields: dict[str, str]) -> list[dict[str, str]]:
    """Rows of a catalogue CSV by our keys; ValueError when the header is not ours."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if not rows or rows[0] != list(fields.values()):
        raise ValueError("header differs from the catalogue's columns")
    return [{k: _uncell(v) for k, v in zip(fields, r, strict=False)} for r in rows[1:]]


def csv_files(doc: dict[str, Any]) -> dict[str, bytes]:
    return {VOLUMES_CSV: to_csv(doc["volumes"], VOLUME_FIELDS),
            ITEMS_CSV: to_csv(doc["items"], ITEM_FIELDS)}
