"""保管期限: each catalogued item keeps its retention period; once it has run (counted from
the day the package was made), the item is due for appraisal (鉴定) by people.  The system
only says so: it never deletes an item, a package or its record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import registry
from workflow.archive.catalogue import RETENTIONS
from workflow.clock import utcnow
from workflow.models import ArchivePackage


def record_package(s: Session, *, project: str, version: str, packer: str, path: str,
                   payload_sha256: str, final_only: bool, catalogue: dict[str, Any],
                   created: datetime) -> ArchivePackage:
    row = ArchivePackage(project_code=project, version_id=version, packer=packer, path=path,
                         payload_sha256=payload_sha256, final_only=final_only,
                         catalogue=orjson.dumps(catalogue).decode(), created=created)
    s.add(row)
    s.flush()
    return row


def due_date(created: datetime, retention: str) -> datetime | None:
    years = RETENTIONS.get(retention)
    if years is None:
        return None
    try:
        return created.replace(year=created.year + years)
    except ValueError:  # 29 February
        return created.replace(year=created.year + years, day=28)


def list_packages(s: Session, project: str | None = None, *,
                  at: datetime | None = None) -> list[dict[str, Any]]:
    """Every package on record (of ``project``), with its items' retention and what is due
    for appraisal at ``at`` (default now)."""
    at = at or utcnow()
    q = select(ArchivePackage).order_by(ArchivePackage.id)
    if project is not None:
        q = q.where(ArchivePackage.project_code == registry.get_project(s, project).code)
    out = []
    for row in s.scalars(q):
        cat = orjson.loads(row.catalogue)
        items = []
        for item in cat.get("items", []):
            due = due_date(row.created, item.get("retention", ""))
            items.append({"file_no": item.get("file_no"), "title": item.get("title"),
                          "file": item.get("file"), "retention": item.get("retention"),
                          "due": due.isoformat() if due else None,
                          "is_due": due is not None and due <= at})
        out.append({"id": row.id, "project": row.project_code, "version": row.version_id,
                    "packer": row.packer, "path": row.path, "created": row.created.isoformat(),
                    "final_only": row.final_only, "payload_sha256": row.payload_sha256,
                    "items": len(items), "due": [i for i in items if i["is_due"]],
                    "retention": {r: sum(i["retention"] == r for i in items)
                                  for r in RETENTIONS},
                    "next_due": min((i["due"] for i in items if i["due"] and not i["is_due"]),
                                    default=None)})
    return out
