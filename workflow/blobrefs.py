"""The blobs the workflow's rows name, for ``verify``, ``fsck`` and ``gc``
(:func:`drawings.maintenance.register_blob_references`; registered by ``workflow/__init__``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from workflow.models import AuditEvent, Certificate, Opinion


def blob_references(s: Session, project: str | None) -> Iterator[tuple[str, str]]:
    """Certificate PDFs, the sheet revisions opinions are anchored to, blobs events cite."""

    def of(model: Any) -> Select[Any]:
        q = select(model)
        return q if project is None else q.where(model.project_code == project)

    for n, cert in enumerate(s.scalars(of(Certificate).order_by(Certificate.id)), start=1):
        yield cert.blob_id, f"wf_certificates {cert.project_code} #{n}"
    for o in s.scalars(of(Opinion)):
        yield o.blob_id, f"wf_opinions {o.project_code} #{o.number}"
    for ev in s.scalars(of(AuditEvent).order_by(AuditEvent.project_code, AuditEvent.seq)):
        try:
            payload = orjson.loads(ev.body).get("payload") or {}
        except (orjson.JSONDecodeError, AttributeError):
            continue  # `audit verify` names a damaged event
        for key, value in payload.items():
            if key.endswith("blob") and isinstance(value, str):
                yield value, f"wf_audit {ev.project_code} #{ev.seq} ({ev.event})"
