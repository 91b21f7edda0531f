"""Ingest: files, directories and zips -> blobs + sheet rows + (maybe) a new set version.

Three phases so bad input and crashes never corrupt state:

1. *validate*: expand the paths, sniff each file's bytes (never the extension), read it into
   the neutral model, pick its sheet number(s), build the index; any problem raises an error
   naming the file before anything is written;
2. *store blobs*: every file and its index go into the blob store (content-addressed, so a
   retry or a crash leaves at most unreferenced blobs that ``gc`` removes);
3. *one DB transaction*: blob and sheet rows, then a version only if the manifest changed,
   then ``head`` moves.  Rows are written last, so no row ever names a missing blob.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import orjson
from sqlalchemy.orm import Session

from drawings import registry
from drawings.detect import HEAD_SIZE, TAIL_SIZE
from drawings.models import Project, SetVersion
from drawings.sources import (
    Budget,
    Source,
    UploadLimits,
    UploadRefused,
    UploadTooLarge,
    expand,
    read_regular,
    read_source,
)
from storage import limits
from storage.display import clip, display_path, quote
from storage.errors import (
    FileFormatError,
    InvalidInput,
    StorageUnavailable,
    YitaotuError,
)

#: A ``--map`` file is a list of names: a few MB at most.
MAX_MAPPING = 16 << 20

#: ``A-101 平面图`` / ``建施-01_一层平面图`` / ``S101``: sheet number, then an optional title.
_NAME_RE = re.compile(
    r"^(?P<number>(?:[A-Za-z]{1,4}|[\u4e00-\u9fff]{1,4})[-_]?\d{1,4}(?:[.-]\d{1,3})*[A-Za-z]?)"
    r"(?:[\s_]+(?P<title>.+))?$"
)
_PAGE_LABEL_RE = re.compile(r"图\s*号\s*(?:sheet\s*no\.?)?\s*[:：]?\s*(\S+)", re.IGNORECASE)
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[A-Za-z]{1,4}|[\u4e00-\u9fff]{1,4})-\d{1,4}(?:[.-]\d{1,3})*[A-Za-z]?$"
)

#: progress(file name, bytes done, bytes total)
Progress = Callable[[str, int, int], None]


@dataclass
class Prepared:
    source: Source
    blob: str
    size: int  # bytes as read
    format: str
    version: str
    index: bytes
    index_id: str
    units: str | None
    title: dict[str, str]
    reader_version: str
    #: sheet number -> (page or None, 图名)
    sheets: dict[str, tuple[int | None, str | None]]
    warnings: list[str] = field(default_factory=list)
    #: a BIM model (IFC): its header facts and element count, recorded as a ModelRevision
    model: dict[str, Any] | None = None


@dataclass
class IngestResult:
    project: str
    version: SetVersion | None
    changed: bool
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if not self.changed:
            return "没有变化 nothing changed"
        assert self.version is not None
        return (
            f"版本 version {self.version.id[:12]}: +{len(self.added)} ~{len(self.modified)} "
            f"-{len(self.removed)} ={len(self.unchanged)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version.id if self.version else None,
            "changed": self.changed,
            "added": self.added,
            "modified": self.modified,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "files": self.files,
            "bytes": self.bytes,
            "warnings": self.warnings,
        }


# -- sheet numbers ------------------------------------------------------------------------------


def number_from_name(name: str) -> tuple[str, str | None] | None:
    """``"A-101 平面图.dxf"`` -> ``("A-101", "平面图")``; None when the name has no number."""
    stem = PurePosixPath(name).stem.strip()
    m = _NAME_RE.match(stem)
    if not m:
        return None
    return m.group("number"), (m.group("title") or None)


def load_mapping(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """A ``--map`` file: JSON ``{file: number | {"number", "title"}}`` or CSV
    ``file,number[,title]`` (header optional); keys are file names or paths.  Every number
    and title is checked against the field limits here, before any file is read."""
    label = display_path(path)
    try:
        text = read_regular(path, label, MAX_MAPPING).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(
            f"{label}: mapping file is not UTF-8 / 映射文件须为 UTF-8 (byte {e.start})"
        ) from None
    out: dict[str, dict[str, str]] = {}
    if text.lstrip().startswith(("{", "[")):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise InvalidInput(f"{label}: invalid JSON mapping: {clip(e)}") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"{label}: JSON mapping must be an object {{file: number}}")
        for k, v in data.items():
            if isinstance(v, str):
                out[k] = _map_entry(label, k, v, None)
            elif isinstance(v, dict) and isinstance(v.get("number"), str):
                title = v.get("title")
                if title is not None and not isinstance(title, str):
                    raise InvalidInput(f"{label}: {quote(k)}: title must be text")
                out[k] = _map_entry(label, k, v["number"], title)
            else:
                raise InvalidInput(f"{label}: bad mapping entry for {quote(k)}")
        return out
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise InvalidInput(f"{label}: invalid CSV mapping: {clip(e)}") from None
    for i, row in enumerate(rows):
        if not row or not "".join(row).strip():
            continue
        if i == 0 and row[0].strip().lower() in ("file", "path", "文件", "文件名"):
            continue
        if len(row) < 2 or not row[1].strip():
            raise InvalidInput(f"{label}:{i + 1}: expected file,number[,title]")
        title = row[2].strip() if len(row) > 2 else None
        out[row[0].strip()] = _map_entry(f"{label}:{i + 1}", row[0], row[1], title)
    return out


def _map_entry(where: str, key: str, number: str, title: str | None) -> dict[str, str]:
    try:
        entry = {"number": limits.SHEET_NUMBER.check(number.strip(), required=True) or ""}
        if title and title.strip():
            entry["title"] = limits.SHEET_TITLE.check(title.strip()) or ""
    except InvalidInput as e:
        raise InvalidInput(f"{where}: {quote(key)}: {e.message}") from None
    return entry


def _page_number(sheet: Any) -> str | None:
    """A sheet number read from a PDF page's text: after a 图号 label, else a lone number."""
    texts = [e.text.strip() for e in sheet.entities if e.text and e.text.strip()]
    for i, t in enumerate(texts):
        m = _PAGE_LABEL_RE.search(t)
        if m:
            value = m.group(1)
            if value in (":", "："):
                continue
            return value
        if re.fullmatch(r"图\s*号(?:\s*sheet\s*no\.?)?\s*[:：]?", t, re.I) and i + 1 < len(texts):
            return texts[i + 1]
    for t in texts:
        if _PAGE_NUMBER_RE.match(t):
            return t
    return None


# -- phase 1: validate --------------------------------------------------------------------------


#: Title-block fields and where they are stored: read from the drawing, so cut to fit (with a
#: warning) rather than refuse the upload.
_TITLE_FIELDS = {
    "title": limits.SHEET_TITLE,
    "discipline": limits.DISCIPLINE,
    "revision": limits.REVISION,
    "scale": limits.SCALE,
}


def _title_fields(drawing: Any, name: str, warnings: list[str]) -> dict[str, str]:
    """The title block's fields, storable: a 图号 that cannot be a sheet number (too long,
    NUL) is dropped with a warning, so the file name gives the number instead."""
    out: dict[str, str] = {}
    for key, value in (drawing.title or {}).items():
        text = str(value).strip()
        if not text:
            continue
        if key == "number":
            try:
                out[key] = limits.SHEET_NUMBER.check(text) or ""
            except InvalidInput as e:
                warnings.append(f"{name}: 标题栏图号无效 title-block number ignored: {e.message}")
            continue
        fitted = _TITLE_FIELDS[key].fit(text, warnings, name) if key in _TITLE_FIELDS else text
        if fitted:
            out[key] = fitted
    return out


def _sheet_number(src: Source, number: str, how: str) -> str:
    """Every sheet number must fit, wherever it came from (checked before any blob is
    stored); a number from the file name that does not says how to give one."""
    try:
        return limits.SHEET_NUMBER.check(number.strip(), required=True) or ""
    except InvalidInput as e:
        hint = "" if how == "map" else "; give one with --map"
        raise InvalidInput(f"{src.name}: {e.message}{hint}") from None


def prepare(
    src: Source,
    mapping: dict[str, dict[str, str]] | None = None,
    budget: Budget | None = None,
) -> Prepared:
    """Read one file fully into the model and pick its sheet number(s); every failure is an
    :class:`InvalidInput` (most often :class:`FileFormatError`) naming the file."""
    import drawings
    from drawings import index as drawing_index

    data = read_source(src, budget or Budget(UploadLimits.from_env()))
    info = drawings.detect_format(data[:HEAD_SIZE], src.name)
    drawings.check_complete(src.name, info.format, data[-TAIL_SIZE:])
    if info.format == "ifc":
        return prepare_model(src, data, info.version, mapping)
    try:
        drawing = drawings.read(data, name=src.name)
        index = drawing_index.dumps(drawing)
    except YitaotuError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as e:  # a reader library choking on damaged input
        reason = f"unreadable {info.format}: {type(e).__name__}: {clip(e)}"
        raise FileFormatError(src.name, reason) from None
    blob, size = hashlib.sha256(data).hexdigest(), len(data)
    del data  # the model and its index are what is kept
    warnings: list[str] = []
    title = _title_fields(drawing, src.name, warnings)
    sheets: dict[str, tuple[int | None, str | None]] = {}
    stem = PurePosixPath(src.basename).stem
    if drawing.format == "pdf" and len(drawing.sheets) > 1:
        for i, page in enumerate(drawing.sheets, start=1):
            number = _page_number(page)
            if number is not None:
                try:
                    number = limits.SHEET_NUMBER.check(number)
                except InvalidInput:
                    number = None
            if number is None or number in sheets:
                number = _sheet_number(src, f"{stem}-p{i}", "name")
                warnings.append(f"{src.name} page {i}: no 图号 found, using {quote(number)}")
            sheets[number] = (i, None)
    else:
        number, name_title, how = _number_for(src, title, mapping)
        number = _sheet_number(src, number, how)
        if how == "map":
            name_title = limits.SHEET_TITLE.check(name_title)
        else:
            name_title = limits.SHEET_TITLE.fit(name_title, warnings, src.name)
        if how == "stem":
            warnings.append(
                f"{src.name}: no 图号 in the title block or name, using {quote(number)}"
            )
        sheet_title = name_title if how == "map" and name_title else title.get("title")
        sheets[number] = (None, sheet_title or name_title)
    return Prepared(
        source=src,
        blob=blob,
        size=size,
        format=info.format,
        version=info.version,
        index=index,
        index_id=hashlib.sha256(index).hexdigest(),
        units=drawing.units,
        title=title,
        reader_version=str(getattr(drawings, "READER_VERSION", "")),
        sheets=sheets,
        warnings=warnings,
    )


def prepare_model(
    src: Source, data: bytes, schema: str, mapping: dict[str, dict[str, str]] | None
) -> Prepared:
    """An IFC model: read with IfcOpenShell into its element index; numbered like a sheet
    (``--map``, else the file name, else the stem), titled by the model's project name."""
    from drawings import modelindex
    from drawings.ifcread import MODEL_READER_VERSION, read_model

    model = read_model(data, src.name)
    index = modelindex.dumps(model)
    blob, size = hashlib.sha256(data).hexdigest(), len(data)
    warnings: list[str] = []
    number, name_title, how = _number_for(src, {}, mapping)
    number = _sheet_number(src, number, how)
    if how == "stem":
        warnings.append(f"{src.name}: no 模型编号 model number in the name, using {quote(number)}")
    project = model.header.get("project") or {}
    title = name_title or project.get("long_name") or project.get("name")
    title = limits.SHEET_TITLE.fit(title, warnings, src.name) if title else None
    return Prepared(
        source=src, blob=blob, size=size, format="ifc", version=schema, index=index,
        index_id=hashlib.sha256(index).hexdigest(), units="m", title={},
        reader_version=MODEL_READER_VERSION, sheets={number: (None, title)},
        warnings=warnings, model={"header": model.header, "elements": len(model.elements)},
    )


def _model_fields(p: Prepared) -> dict[str, Any]:
    """The ModelRevision columns of a prepared model (texts cut to their columns)."""
    assert p.model is not None
    h = p.model["header"]
    site = next((s for s in h.get("sites") or [] if s.get("latitude") is not None), None)
    project = h.get("project") or {}

    def cut(v: Any) -> str | None:
        return None if v is None else str(v)[:300]

    return {"format": p.format, "schema": p.version, "application": cut(h.get("application")),
            "project_name": cut(project.get("name")),
            "latitude": site and site["latitude"], "longitude": site and site["longitude"],
            "elevation": site and site.get("elevation_m"), "elements": p.model["elements"],
            "header": orjson.dumps(h).decode(), "index_blob_id": p.index_id,
            "reader_version": p.reader_version}


def _number_for(
    src: Source, title: dict[str, str], mapping: dict[str, dict[str, str]] | None
) -> tuple[str, str | None, str]:
    """(number, title from outside the title block, where the number came from).

    An entry in the ``--map`` file is the user's explicit word and wins; then the title
    block, then the file name, then the bare file stem (with a warning).
    """
    if mapping:
        inner = src.name.split("!")[-1]
        for key in (src.name, inner, src.basename, PurePosixPath(src.basename).stem):
            if key in mapping:
                return mapping[key]["number"], mapping[key].get("title"), "map"
    if title.get("number"):
        return title["number"], None, "title"
    from_name = number_from_name(src.basename)
    if from_name:
        return from_name[0], from_name[1], "name"
    return PurePosixPath(src.basename).stem, None, "stem"


# -- the whole thing ----------------------------------------------------------------------------


def ingest(
    session: Session,
    blobs: Any,
    project: str | Project,
    paths: Iterable[str | os.PathLike[str]],
    *,
    message: str,
    author: str,
    unit: str | None = None,
    replace: bool = False,
    mapping: str | os.PathLike[str] | dict[str, dict[str, str]] | None = None,
    progress: Progress | None = None,
    upload_limits: UploadLimits | None = None,
) -> IngestResult:
    """Ingest ``paths`` into ``project`` and move ``head`` if the set changed.

    The caller commits ``session`` (one transaction); on any error nothing is committed and
    at most unreferenced blobs remain (``yitaotu gc``).  :func:`stage` and :func:`record` are
    its two halves, for callers that keep the slow part out of their write transaction.
    """
    check_version_fields(message, author)
    staged = stage(
        session,
        blobs,
        project,
        paths,
        unit=unit,
        mapping=mapping,
        progress=progress,
        upload_limits=upload_limits,
    )
    return record(session, staged, message=message, author=author, replace=replace)


def ingest_upload(
    sessions: Callable[..., AbstractContextManager[Session]],
    blobs: Any,
    project: str,
    paths: Iterable[str | os.PathLike[str]],
    *,
    message: str,
    author: str,
    unit: str | None = None,
    replace: bool = False,
    mapping: str | os.PathLike[str] | dict[str, dict[str, str]] | None = None,
    progress: Progress | None = None,
    upload_limits: UploadLimits | None = None,
) -> IngestResult:
    """:func:`ingest` in two transactions, as the CLI and the web app run it: the slow part
    (reading, uploading the blobs) in a read-only one, then the rows in a write one on top of
    whatever ``head`` is then — so concurrent ingests wait only for each other's rows.

    ``sessions(write=...)`` opens one transaction (``App.session``, the web's store)."""
    check_version_fields(message, author)  # before any blob is stored
    with sessions(write=False) as s:
        staged = stage(s, blobs, project, paths, unit=unit, mapping=mapping,
                       progress=progress, upload_limits=upload_limits)
    with sessions(write=True) as s:
        return record(s, staged, message=message, author=author, replace=replace)


def check_version_fields(message: str, author: str) -> None:
    """Refuse a message or author the version could not store, before :func:`stage`
    stores any blob (callers of ``stage`` and ``record`` call it first)."""
    limits.MESSAGE.check(message)
    limits.AUTHOR.check(author, required=True)


@dataclass
class Staged:
    """Files validated and stored, ready for :func:`record`."""

    project: str
    unit: str | None
    prepared: list[Prepared]

    @property
    def total(self) -> int:
        """Bytes of all the files."""
        return sum(p.size for p in self.prepared)


def stage(
    session: Session,
    blobs: Any,
    project: str | Project,
    paths: Iterable[str | os.PathLike[str]],
    *,
    unit: str | None = None,
    mapping: str | os.PathLike[str] | dict[str, dict[str, str]] | None = None,
    progress: Progress | None = None,
    upload_limits: UploadLimits | None = None,
) -> Staged:
    """Phases 1 and 2: validate every file, then store the blobs (``session`` only reads).

    ``upload_limits`` (default: from the environment) bound each file and the whole upload."""
    upload = upload_limits or UploadLimits.from_env()
    proj = registry.get_project(session, project)
    unit_code = unit_name = None
    if unit is not None:
        from drawings.geo.verify import verify_unit

        u = verify_unit(session, proj, unit)  # #14: checked at every step
        unit_code, unit_name = u.code, u.name
    if isinstance(mapping, (str, os.PathLike)):
        mapping = load_mapping(mapping)

    # 1. validate everything
    prepared: list[Prepared] = []
    seen: dict[str, str] = {}
    refused: list[InvalidInput] = []
    budget = Budget(upload)
    for src in expand(paths, upload):
        try:
            p = prepare(src, mapping, budget)
        except UploadTooLarge:
            raise
        except InvalidInput as e:  # this file; the others are still checked, then all named
            refused.append(e)
            continue
        if p.model is not None and unit_code is not None:
            from drawings.ifcunit import check_link

            p.warnings += [f"{src.name}: {w}" for w in
                           check_link(p.model["header"], unit_code, unit_name)]
        for number in p.sheets:
            if number in seen:
                raise InvalidInput(
                    f"图号重复 duplicate sheet number {quote(number)}: {seen[number]} and "
                    f"{src.name}"
                )
            seen[number] = src.name
        prepared.append(p)
    if len(refused) == 1:
        raise refused[0]
    if refused:
        raise UploadRefused([e.message for e in refused])

    # 2. blobs first
    total = sum(p.size for p in prepared)
    done = 0
    for p in prepared:
        base = done

        def tick(n: int, base: int = base, name: str = p.source.name) -> None:
            if progress is not None:
                progress(name, base + n, total)

        with p.source.open() as f:
            oid = _put(blobs, f, p.source.name, tick, upload.per_file)
        if oid != p.blob:
            raise InvalidInput(f"{p.source.name}: file changed while it was being ingested")
        if _put(blobs, io.BytesIO(p.index), p.source.name, None, None) != p.index_id:
            raise StorageUnavailable(f"{p.source.name}: index blob stored under a wrong id")
        done += p.size
        if progress is not None:
            progress(p.source.name, done, total)
    return Staged(proj.code, unit_code, prepared)


def record(
    session: Session, staged: Staged, *, message: str, author: str, replace: bool = False
) -> IngestResult:
    """Phase 3: the rows, a version if the set changed, ``head`` moved (caller commits).

    The set is built on ``head`` as it is now, which a concurrent ingest may have moved
    since :func:`stage`; the blobs are young, so ``gc`` leaves them alone meanwhile."""
    proj = registry.get_project(session, staged.project)
    prepared, total, unit_code = staged.prepared, staged.total, staged.unit
    entries: dict[str, dict[str, Any]] = {}
    for p in prepared:
        registry.record_blob(session, p.blob, p.size, format=p.format, version=p.version)
        registry.record_blob(session, p.index_id, len(p.index), format="index")
        if p.model is not None:
            registry.record_model(session, p.blob, **_model_fields(p))
        for number, (page, sheet_title) in p.sheets.items():
            if p.model is None:
                registry.record_sheet(
                    session, p.blob, page, format=p.format, version=p.version, units=p.units,
                    number=p.title.get("number") if page is None else number,
                    title=sheet_title, discipline=p.title.get("discipline"),
                    revision=p.title.get("revision"), scale=p.title.get("scale"),
                    index_blob_id=p.index_id, reader_version=p.reader_version,
                )
            entries[number] = {
                "blob": p.blob,
                "page": page,
                "format": p.format,
                "version": p.version,
                "title": sheet_title,
                "number": number,
                "index": p.index_id,
                "unit": unit_code,
            }
    head = registry.get_ref(session, proj, "head", lock=True)
    old = head.manifest if head is not None else {}
    for number, e in entries.items():
        if number in old and unit_code is None:
            e["unit"] = old[number].get("unit")  # no --unit: a sheet keeps its unit
        if number in old and _same_sheet(old[number], e):
            entries[number] = old[number]  # same bytes: keep the entry (and its index) as is
    new = dict(entries) if replace else {**old, **entries}
    result = IngestResult(
        project=proj.code, version=None, changed=False, files=len(prepared), bytes=total
    )
    result.warnings = [w for p in prepared for w in p.warnings]
    for k in sorted(new):
        if k not in old:
            result.added.append(k)
        elif old[k] != new[k]:
            result.modified.append(k)
        else:
            result.unchanged.append(k)
    result.removed = sorted(set(old) - set(new))
    if head is not None and new == old:
        return result
    v = registry.commit_version(
        session,
        proj,
        new,
        parents=[head.id] if head is not None else [],
        author=author,
        message=message,
    )
    registry.move_ref(session, proj, "head", v.id, actor=author, reason=f"ingest: {message}")
    result.version = v
    result.changed = True
    return result


def _same_sheet(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal but for the index (a newer reader or another file name changes only that)."""
    return {k: v for k, v in a.items() if k != "index"} == {
        k: v for k, v in b.items() if k != "index"
    }


def _put(
    blobs: Any, f: Any, name: str, tick: Callable[[int], None] | None, size_limit: int | None
) -> str:
    try:
        return blobs.put(f, size_limit=size_limit, progress=tick)
    except StorageUnavailable as e:
        raise StorageUnavailable(f"{name}: 存储不可用 blob store failed: {e.message}") from e
    except YitaotuError:
        raise
    except Exception as e:  # network stacks raise their own types (urllib3, minio)
        raise StorageUnavailable(f"{name}: 存储不可用 blob store failed: {e}") from e


def iter_sheets(version: SetVersion) -> Iterator[tuple[str, dict[str, Any]]]:
    yield from sorted(version.manifest.items())
