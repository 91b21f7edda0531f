"""The report cache table: one diff report per (engine, reader, old blob, new blob, options).

Reports are pure functions of those inputs, so a row is never updated: a new engine or reader
version simply gives new keys (old rows can be dropped at any time).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base


class DiffCacheEntry(Base):
    __tablename__ = "diff_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    engine: Mapped[str] = mapped_column(String(40))
    old_blob: Mapped[str] = mapped_column(String(64), index=True)
    new_blob: Mapped[str] = mapped_column(String(64), index=True)
    options: Mapped[str] = mapped_column(String(400))
    changes: Mapped[int] = mapped_column(Integer)
    #: zlib-compressed JSON of ``DiffReport.to_json()``.
    report: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[datetime] = mapped_column(DateTime)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)
