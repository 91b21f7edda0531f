"""Issuing exchange records: one signed record per fact of a project that changed since it
was last issued (project, building unit, set version, 审查合格 approval, design change,
竣工验收 acceptance), numbered ``seq`` 1, 2, … per project.

A record's ``hash`` (sha256 of its canonical JSON without hash and signature) is its
idempotency key; the issuer signs the hash.  Issuing is idempotent: a fact whose content equals
its last record is not issued again, so ``export`` twice gives the same records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drawings import geo, registry
from drawings.models import BlobRecord, BuildingUnit
from storage.errors import InvalidInput
from workflow.exchange.models import IssuedRecord
from workflow.exchange.schema import BATCH_FORMAT, BATCH_SCHEMA, RECORD_FORMAT, validate
from workflow.models import AsBuilt, Certificate, Change
from workflow.signing import KeyRing, canonical_json, sha256_hex

KINDS = ("project", "unit", "set_version", "approval", "change", "acceptance")


def record_hash(record: dict[str, Any]) -> str:
    unsigned = {k: v for k, v in record.items() if k not in ("hash", "signature")}
    return sha256_hex(canonical_json(unsigned))


def _geometry(geom: Any) -> Any:
    return None if geom is None else orjson.loads(orjson.dumps(mapping(geom)))


def facts(s: Session, project: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, subject, body) of every fact of ``project`` in a fixed order."""
    p = registry.get_project(s, project)
    yield "project", p.code, {
        "code": p.code, "name": p.name, "location": p.location,
        "site": _geometry(geo.site_of(p)),
        "parties": [{"role": x.role, "organisation": x.organisation} for x in p.parties]}
    for u in registry.list_units(s, p):
        body = {"code": u.code, "scheme": u.scheme, "scheme_version": u.scheme_version,
                **{a: getattr(u, a) for a in BuildingUnit.ATTRS},
                "footprint": _geometry(u.footprint)}
        yield "unit", u.code, body
    for v in sorted(registry.list_versions(s, p), key=lambda v: (v.created_at, v.id)):
        ids = sorted({e["blob"] for e in v.manifest.values()})
        sizes = dict(s.execute(select(BlobRecord.id, BlobRecord.size)
                               .where(BlobRecord.id.in_(ids))).all()) if ids else {}
        yield "set_version", v.id, {"id": v.id, "body": v.body,
                                    "blobs": [{"sha256": b, "size": sizes.get(b)} for b in ids]}
    for c in s.scalars(select(Certificate).where(Certificate.project_code == p.code)
                       .order_by(Certificate.id)):
        yield "approval", f"certificate-{c.id}", {
            "certificate": c.id, "version": c.version_id, "stage": c.stage,
            "document": c.blob_id, "signers": orjson.loads(c.signers or "[]"),
            "issued": c.issued.isoformat()}
    for ch in s.scalars(select(Change).where(Change.project_code == p.code)
                        .order_by(Change.number)):
        yield "change", f"C-{ch.number}", {
            "number": ch.number, "kind": ch.kind, "class": ch.klass, "state": ch.state,
            "reason": ch.reason, "base": ch.base_version_id, "version": ch.version_id,
            "sheets": orjson.loads(ch.sheets or "{}")}
    for ab in s.scalars(select(AsBuilt).where(AsBuilt.project_code == p.code,
                                              AsBuilt.state == "accepted").order_by(AsBuilt.id)):
        yield "acceptance", f"as-built-{ab.id}", {
            "as_built": ab.id, "version": ab.version_id, "base": ab.base_version_id,
            "state": "accepted"}


def _last_bodies(s: Session, project: str) -> dict[tuple[str, str], bytes]:
    out: dict[tuple[str, str], bytes] = {}
    rows = s.scalars(select(IssuedRecord).where(IssuedRecord.project_code == project)
                     .order_by(IssuedRecord.seq))
    for r in rows:
        out[(r.kind, r.subject)] = canonical_json(orjson.loads(r.body)["body"])
    return out


def issue(s: Session, keys: KeyRing, project: str, *, issuer: str, now: datetime
          ) -> list[IssuedRecord]:
    """Sign and store a record for every fact of ``project`` that changed since its last
    record; returns the new ones (in seq order)."""
    p = registry.get_project(s, project)
    owner = issuer if issuer.startswith("org:") else f"org:{issuer}"
    if not keys.has(owner):
        raise InvalidInput(f"没有签发单位的私钥 no key for issuer {owner}: create it with "
                           "`yitaotu org add`")
    last = _last_bodies(s, p.code)
    seq = s.scalar(select(func.max(IssuedRecord.seq))
                   .where(IssuedRecord.project_code == p.code)) or 0
    new = []
    for kind, subject, body in facts(s, p.code):
        if last.get((kind, subject)) == canonical_json(body):
            continue
        seq += 1
        record: dict[str, Any] = {
            "format": RECORD_FORMAT, "kind": kind, "project": p.code, "seq": seq,
            "subject": subject, "issued_at": now.isoformat(), "issuer": owner, "body": body}
        record["hash"] = record_hash(record)
        record["signature"] = keys.sign(owner, record["hash"].encode())
        validate(record, what=f"record {p.code}#{seq} ({kind} {subject})")
        row = IssuedRecord(project_code=p.code, seq=seq, kind=kind, subject=subject,
                           key=record["hash"], body=canonical_json(record).decode(),
                           created=now)
        s.add(row)
        new.append(row)
    s.flush()
    return new


def export(s: Session, keys: KeyRing, project: str, *, issuer: str, now: datetime,
           since: int = 0) -> dict[str, Any]:
    """Issue what changed, then the batch of ``project``'s records with ``seq > since``."""
    p = registry.get_project(s, project)
    if since < 0:
        raise InvalidInput("--since must be >= 0")
    issue(s, keys, p.code, issuer=issuer, now=now)
    rows = s.scalars(select(IssuedRecord).where(IssuedRecord.project_code == p.code,
                                                IssuedRecord.seq > since)
                     .order_by(IssuedRecord.seq))
    doc = {"format": BATCH_FORMAT, "project": p.code, "since": since,
           "records": [orjson.loads(r.body) for r in rows]}
    validate(doc, BATCH_SCHEMA, what=f"export of {p.code}")
    return doc
