"""The per-project hash chain of signed events.

Each event's ``body`` is canonical JSON of ``{type, project, seq, event, actor, version, at,
payload, prev}``; its ``hash`` is sha256 of those bytes and every signature is over the hash.
`verify` recomputes all of it, checks the convenience columns against the body, the signers'
keys against the key register, and the blobs the chain points at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import InvalidInput, ObjectCorrupt, YitaotuError
from workflow.models import AuditEvent, JSONText, SigningKey
from workflow.signing import KeyRing, canonical_json, sha256_hex, verify_record

CHAIN_TYPE = "yitaotu.audit/1"
GENESIS = "0" * 64


def last_event(s: Session, project: str) -> AuditEvent | None:
    return s.scalar(select(AuditEvent).where(AuditEvent.project_code == project)
                    .order_by(AuditEvent.seq.desc()).limit(1))


def append(s: Session, project: str, event: str, *, actor: str, signers: list[str],
           keys: KeyRing, at: datetime, payload: dict[str, Any],
           version_id: str | None = None) -> AuditEvent:
    """Sign and append one event.  A concurrent append collides on (project, seq)."""
    last = last_event(s, project)
    seq = 1 if last is None else last.seq + 1
    if last is not None and at < last.at:
        at = last.at  # the chain's clock never runs backwards
    body = {"type": CHAIN_TYPE, "project": project, "seq": seq, "event": event,
            "actor": actor, "version": version_id, "at": at.isoformat(), "payload": payload,
            "prev": last.hash if last else GENESIS}
    raw = canonical_json(body)
    digest = sha256_hex(raw)
    sigs = [keys.sign(owner, bytes.fromhex(digest)) for owner in dict.fromkeys(signers)]
    row = AuditEvent(project_code=project, seq=seq, event=event, actor=actor,
                     version_id=version_id, at=at, body=raw.decode(), hash=digest,
                     signatures=JSONText.dump(sigs))
    s.add(row)
    s.flush()
    return row


def events(s: Session, project: str) -> list[AuditEvent]:
    return list(s.scalars(select(AuditEvent).where(AuditEvent.project_code == project)
                          .order_by(AuditEvent.seq)))


@dataclass
class VerifyReport:
    project: str
    events: int = 0
    signatures: int = 0
    blobs: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "ok": self.ok, "events": self.events,
                "signatures": self.signatures, "blobs": self.blobs, "problems": self.problems}


def head(s: Session, project: str) -> dict[str, Any] | None:
    """The newest event as an anchor (``seq``, ``hash``, ``at``), to keep outside the database.

    The chain proves every event back to the first, but not that none were removed from its
    end: an anchor written down elsewhere (a regulator's record, the minutes of a meeting, a
    receipt file) lets :func:`verify_chain` prove that the chain still reaches it unchanged.
    """
    last = last_event(s, project)
    if last is None:
        return None
    return {"project": project, "seq": last.seq, "hash": last.hash, "at": last.at.isoformat(),
            "anchor": f"{last.seq}:{last.hash}"}


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` (as printed by ``yitaotu audit head``)."""
    seq, _, digest = text.strip().partition(":")
    digest = digest.lower()
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or not all(
            c in "0123456789abcdef" for c in digest):
        raise InvalidInput(f"无效锚点 bad anchor {text!r}: expected SEQ:SHA256 from `audit head`")
    return int(seq), digest


def verify_chain(s: Session, project: str, blobs: Any = None,
                 anchors: list[tuple[int, str]] | None = None) -> VerifyReport:
    """Recompute the chain and every signature; with ``blobs``, re-hash every blob it names
    and validate the signatures inside every 审查合格书 PDF with pyHanko; every anchor
    (``seq``, ``hash``) kept outside must still be in the chain."""
    rep = VerifyReport(project)
    registered: dict[str, tuple[str, str]] = {
        k.fingerprint: (k.owner, k.public) for k in s.scalars(select(SigningKey))
        if k.alg != "x509"}
    prev = GENESIS
    blob_ids: dict[str, str] = {}
    seen: dict[int, str] = {}
    for n, ev in enumerate(events(s, project), start=1):
        rep.events += 1
        where = f"审计事件 audit event #{ev.seq} ({ev.event})"
        if ev.seq != n:
            rep.problems.append(f"{where}: 序号不连续 sequence gap (expected #{n})")
        try:
            body = orjson.loads(ev.body)
        except orjson.JSONDecodeError:
            rep.problems.append(f"{where}: 内容无法解析 body is not JSON")
            prev = ev.hash
            continue
        digest = sha256_hex(ev.body.encode())
        if digest != ev.hash:
            rep.problems.append(f"{where}: 哈希不符 hash mismatch, the row was altered")
        if body.get("prev") != prev:
            rep.problems.append(f"{where}: 链断裂 chain broken, prev hash does not match #{n - 1}")
        cols = {"project": ev.project_code, "seq": ev.seq, "event": ev.event,
                "actor": ev.actor, "version": ev.version_id, "at": ev.at.isoformat()}
        if bad := [k for k, v in cols.items() if body.get(k) != v]:
            rep.problems.append(f"{where}: 列与内容不符 columns differ from body: {', '.join(bad)}")
        try:
            sigs = JSONText.load(ev.signatures)
        except orjson.JSONDecodeError:
            sigs = None
        if not sigs:
            rep.problems.append(f"{where}: 无签名 no signature")
        for rec in sigs or []:
            rep.signatures += 1
            if not verify_record(rec, bytes.fromhex(ev.hash)):
                rep.problems.append(f"{where}: 签名无效 bad signature by {rec.get('signer')}")
            elif registered.get(rec["key"]) != (rec["signer"], rec["public"]):
                rep.problems.append(
                    f"{where}: 签名密钥未登记 key {rec['key']} is not registered to "
                    f"{rec['signer']}")
        for oid in _blobs_of(body):
            blob_ids.setdefault(oid, where)
        prev = ev.hash
        seen[ev.seq] = ev.hash
    for seq, digest in anchors or []:
        if seq not in seen:
            rep.problems.append(f"锚点 anchor #{seq}: 事件缺失 the chain ends at #{rep.events}, "
                                f"events were removed")
        elif seen[seq] != digest:
            rep.problems.append(f"锚点 anchor #{seq}: 哈希不符 the chain was rewritten since "
                                f"the anchor was taken")
    if blobs is not None:
        _check_blobs(s, blobs, blob_ids, rep)
        _check_certificates(s, blobs, rep)
    return rep


def _check_certificates(s: Session, blobs: Any, rep: VerifyReport) -> None:
    from workflow import certificate
    from workflow.models import Certificate

    for cert in s.scalars(select(Certificate).where(Certificate.project_code == rep.project)):
        where = f"审查合格书 certificate {cert.blob_id[:12]}"
        try:
            pdf = blobs.read_bytes(cert.blob_id)
            owners = JSONText.load(cert.signers)
            results = certificate.verify(pdf, certificate.trust_for(s, owners))
        except YitaotuError as e:
            rep.problems.append(f"{where}: {e}")
            continue
        rep.signatures += len(results)
        if len(results) != len(owners):
            rep.problems.append(f"{where}: {len(results)} PDF 签名 signatures, "
                                f"expected {len(owners)}")
        for r in results:
            if not (r["intact"] and r["valid"] and r["trusted"]):
                rep.problems.append(f"{where}: PDF 签名无效 signature {r['field']} by "
                                    f"{r['signer']} is not valid")


def _blobs_of(body: dict[str, Any]) -> list[str]:
    payload = body.get("payload") or {}
    return [v for k, v in payload.items() if k.endswith("blob") and isinstance(v, str)]


def _check_blobs(s: Session, blobs: Any, named: dict[str, str], rep: VerifyReport) -> None:
    """Every blob of every version the chain names, plus blobs named in payloads."""
    from drawings import registry

    versions = {v for (v,) in s.execute(
        select(AuditEvent.version_id).where(AuditEvent.project_code == rep.project,
                                            AuditEvent.version_id.is_not(None)))}
    for vid in sorted(versions):
        try:
            v = registry.get_version(s, vid)
        except YitaotuError as e:
            rep.problems.append(f"版本 version {vid[:12]}: {e}")
            continue
        rep.problems.extend(registry.verify_version(v))
        for sheet_no, entry in v.manifest.items():
            named.setdefault(entry["blob"], f"版本 version {vid[:12]} sheet {sheet_no}")
    for oid, where in sorted(named.items()):
        rep.blobs += 1
        try:
            blobs.verify(oid)
        except ObjectCorrupt:
            rep.problems.append(f"文件 blob {oid}: 内容与哈希不符 corrupt ({where})")
        except YitaotuError as e:
            rep.problems.append(f"文件 blob {oid}: {e} ({where})")
