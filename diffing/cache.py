"""Report cache keyed by (engine version, reader version, old blob, new blob, options)."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

import orjson
from sqlalchemy import exc, select
from sqlalchemy.orm import Session

from diffing.report import ENGINE_VERSION, DiffReport


def _reader_version() -> str:
    try:
        from drawings import READER_VERSION

        return str(READER_VERSION)
    except ImportError:  # pragma: no cover - the readers always define it
        return ""


def options_key(options: dict[str, Any]) -> str:
    return orjson.dumps(options, option=orjson.OPT_SORT_KEYS).decode()


def cache_key(old_blob: str, new_blob: str, options: dict[str, Any]) -> str:
    """A stable key; any engine or reader upgrade changes it, so stale reports are never hit."""
    raw = "\0".join((ENGINE_VERSION, _reader_version(), old_blob, new_blob, options_key(options)))
    return hashlib.sha256(raw.encode()).hexdigest()


def get(session: Session, old_blob: str, new_blob: str, options: dict[str, Any]):
    """The cached report, or None."""
    from diffing.models import DiffCacheEntry

    key = cache_key(old_blob, new_blob, options)
    row = session.scalar(select(DiffCacheEntry).where(DiffCacheEntry.key == key))
    if row is None:
        return None
    try:
        return DiffReport.from_json(orjson.loads(zlib.decompress(row.report)))
    except (zlib.error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None  # a damaged cache row is just a miss


def put(session: Session, old_blob: str, new_blob: str, options: dict[str, Any],
        report: DiffReport) -> None:
    """Store ``report``; a concurrent writer of the same key wins silently (same content)."""
    from diffing.models import DiffCacheEntry

    key = cache_key(old_blob, new_blob, options)
    data = zlib.compress(orjson.dumps(report.to_json()), 6)
    row = DiffCacheEntry(key=key, engine=ENGINE_VERSION, old_blob=old_blob, new_blob=new_blob,
                         options=options_key(options)[:400], changes=len(report.changes),
                         report=data, created=DiffCacheEntry.now())
    try:
        with session.begin_nested():
            session.add(row)
    except exc.IntegrityError:
        pass
