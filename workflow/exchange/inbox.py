"""Importing exchange records (层级校验): every record of a file is checked — schema, hash,
signature, the issuer's key trusted here, a set version's id and blob list — and compared with
what was imported before.  Nothing is written unless every record passes; records imported
before (same idempotency key) are reported as duplicates and skipped, so a file can be sent
twice.  A different record under an issuer's (project, seq) already taken, or a unit claimed by
another project, is a conflict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.display import quote
from storage.errors import Conflict, IntegrityError, InvalidInput
from workflow.exchange.models import ImportedRecord, TrustedIssuer
from workflow.exchange.records import record_hash
from workflow.exchange.schema import BATCH_FORMAT, problems, validate
from workflow.signing import canonical_json, fingerprint, sha256_hex, verify_record


@dataclass
class ImportReport:
    accepted: list[str] = field(default_factory=list)  # "project#seq kind subject"
    duplicates: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)  # {"record", "check", "reason"}

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates,
                "refused": self.refused}


def trust(s: Session, owner: str, alg: str, public: str, *, now: datetime) -> TrustedIssuer:
    """Accept records signed by this key from now on."""
    owner = owner if owner.startswith("org:") else f"org:{owner}"
    if len(owner) > 220 or "\x00" in owner:
        raise InvalidInput(f"无效的签发单位 invalid issuer name {quote(owner)}")
    if alg not in ("ed25519", "sm2-sm3") or not public or \
            any(c not in "0123456789abcdef" for c in public):
        raise InvalidInput(f"无效的公钥 invalid public key for {quote(owner)}: alg ed25519 or "
                           "sm2-sm3, key in lowercase hex")
    fp = fingerprint(alg, public)
    row = s.get(TrustedIssuer, fp)
    if row is None:
        row = TrustedIssuer(fingerprint=fp, owner=owner, alg=alg, public=public, added=now)
        s.add(row)
        s.flush()
    elif row.owner != owner:
        raise Conflict(f"key {fp} is already trusted for {row.owner}")
    return row


def _label(i: int, r: Any) -> str:
    if isinstance(r, dict):
        return f"{r.get('project')}#{r.get('seq')} {r.get('kind')} {r.get('subject')}"
    return f"record {i}"


def _check(s: Session, r: dict[str, Any]) -> tuple[str, str] | None:
    """(check, reason) when the record fails one, else None."""
    found = problems(r)
    if found:
        return "schema", "; ".join(found)
    if any("\x00" in r[k] for k in ("issuer", "subject")):
        return "schema", "issuer and subject must not contain NUL"
    if record_hash(r) != r["hash"]:
        return "hash", "内容与哈希不符 content does not match its hash (altered after signing)"
    sig = r["signature"]
    if sig["signer"] != r["issuer"]:
        return "signature", f"signed by {sig['signer']}, not by the issuer {r['issuer']}"
    if not verify_record(sig, r["hash"].encode()):
        return "signature", "签名无效 the signature does not verify"
    trusted = s.get(TrustedIssuer, sig["key"])
    if trusted is None or trusted.owner != r["issuer"] or trusted.public != sig["public"]:
        return "issuer-key", (f"签发单位密钥不受信任 issuer {r['issuer']}'s key {sig['key']} is "
                              "not trusted here (`yitaotu exchange trust`)")
    if r["kind"] == "set_version":
        body = r["body"]
        if sha256_hex(body["body"].encode()) != body["id"]:
            return "version-hash", "set version id is not the sha256 of its body"
        try:
            doc = orjson.loads(body["body"])
            blobs = {e["blob"] for e in doc["manifest"].values()}
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return "version-hash", "set version body is not a set manifest"
        if doc.get("project") != r["project"]:
            return "version-hash", f"set version belongs to project {doc.get('project')}"
        if blobs != {b["sha256"] for b in body["blobs"]}:
            return "blob-hashes", "the blob list differs from the blobs the manifest names"
    return None


def import_batch(s: Session, doc: Any, *, now: datetime) -> ImportReport:
    """Check every record of ``doc`` (a batch), then store all of them or none."""
    if not isinstance(doc, dict) or doc.get("format") != BATCH_FORMAT or \
            not isinstance(doc.get("records"), list):
        raise InvalidInput(f"not an exchange file: expected {{\"format\": \"{BATCH_FORMAT}\", "
                           "\"records\": [...]}")
    report = ImportReport()
    seen: dict[str, str] = {}
    slots: dict[tuple[str, str, int], str] = {}
    units: dict[str, str] = {}
    fresh: list[dict[str, Any]] = []
    for i, r in enumerate(doc["records"]):
        label = _label(i, r)
        failed = _check(s, r) if isinstance(r, dict) else ("schema", "not an object")
        if failed:
            report.refused.append({"record": label, "check": failed[0], "reason": failed[1]})
            continue
        key = r["hash"]
        if key in seen or s.scalar(select(ImportedRecord.id).where(ImportedRecord.key == key)):
            report.duplicates.append(label)
            continue
        seen[key] = label
        slot = (r["issuer"], r["project"], r["seq"])
        taken = slots.get(slot) or s.scalar(select(ImportedRecord.key).where(
            ImportedRecord.issuer == slot[0], ImportedRecord.project_code == slot[1],
            ImportedRecord.seq == slot[2]))
        if taken and taken != key:
            report.refused.append({"record": label, "check": "conflict", "reason":
                                   f"{r['issuer']} already sent another record as "
                                   f"{r['project']}#{r['seq']} ({taken[:12]})"})
            continue
        slots[slot] = key
        if r["kind"] == "unit":
            owner = units.get(r["subject"]) or s.scalar(select(ImportedRecord.project_code).where(
                ImportedRecord.kind == "unit", ImportedRecord.subject == r["subject"]).limit(1))
            if owner and owner != r["project"]:
                report.refused.append({"record": label, "check": "conflict", "reason":
                                       f"building unit {r['subject']} belongs to project "
                                       f"{owner}"})
                continue
            units[r["subject"]] = r["project"]
        fresh.append(r)
        report.accepted.append(label)
    if report.refused:
        report.accepted = []
        return report
    for r in fresh:
        s.add(ImportedRecord(issuer=r["issuer"], project_code=r["project"], seq=r["seq"],
                             kind=r["kind"], subject=r["subject"], key=r["hash"],
                             body=canonical_json(r).decode(), imported=now))
    s.flush()
    return report


def raise_if_refused(report: ImportReport) -> None:
    """The CLI's exit: a tampered or untrusted record is an integrity error (50), a conflict
    a conflict (21)."""
    if not report.refused:
        return
    lines = "; ".join(f"{x['record']}: {x['check']}: {x['reason']}" for x in report.refused[:10])
    if any(x["check"] == "conflict" for x in report.refused):
        raise Conflict(f"导入被拒绝 import refused, nothing imported: {lines}")
    raise IntegrityError(f"导入被拒绝 import refused, nothing imported: {lines}")


__all__ = ["ImportReport", "import_batch", "raise_if_refused", "trust", "validate"]
