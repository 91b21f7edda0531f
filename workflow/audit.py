"""The per-project hash chain of signed events.

Each event's ``body`` is canonical JSON of ``{type, project, seq, event, actor, version, at,
payload, prev}``; its ``hash`` is sha256 of those bytes and every signature is over the hash.
:func:`verify_chain` recomputes all of it, checks the convenience columns against the body,
that every event carries a valid signature of its actor and of the actor's organisation with
keys registered to them, then replays the chain (:mod:`workflow.replay`) and compares every
row it governs (:mod:`workflow.checks`), and re-hashes the blobs the chain points at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import database_now
from storage.display import quote
from storage.errors import IntegrityError, InvalidInput, ObjectCorrupt, YitaotuError
from workflow import checks, replay
from workflow.findings import Finding
from workflow.models import AuditEvent, JSONText, Organisation, User
from workflow.signing import KeyRing, canonical_json, sha256_hex, verify_record

#: The body format written now, and every format :func:`verify_chain` reads: 2 adds what the
#: one-block loop's replay needed (``large_works`` when set, the note of each carried opinion)
#: and gives every row an event writes the event's own time; 3 names the record each event
#: acts on (``payload.record``: kind and number), as the loop runs many at once.
CHAIN_TYPE = "yitaotu.audit/3"
FORMATS = {"yitaotu.audit/1": 1, "yitaotu.audit/2": 2, CHAIN_TYPE: 3}
GENESIS = "0" * 64


def last_event(s: Session, project: str) -> AuditEvent | None:
    return s.scalar(select(AuditEvent).where(AuditEvent.project_code == project)
                    .order_by(AuditEvent.seq.desc()).limit(1))


def stamp(s: Session, project: str, now: datetime | None = None) -> datetime:
    """The time of a new event: ``now`` (tests, imports) or the database's clock, never before
    the chain's newest event.  Every row the event writes (ref moves, rounds, opinions) takes
    this one time, so the chain and the rows agree and the order of the chain is the order
    of time."""
    at = (now or database_now(s)).astimezone(UTC)  # as the rows read back: signed text agrees
    last = last_event(s, project)
    return at if last is None or at >= last.at else last.at


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


def check_state(s: Session, project: str, kind: str, number: int, state: str | None) -> None:
    """Refuse to act on a record whose state is not where the chain's last move of it left it
    (a row edited behind the system's back): :class:`IntegrityError`, exit 50.

    The last event of the record is found by its signed ``record`` (canonical JSON: sorted
    keys, no spaces), and must itself be intact.  Records moved only by one-block chains
    (before events named their record) have no such event and are not checked here; `audit
    verify` replays those too."""
    marker = f'"record":{{"kind":"{kind}","number":{number}}}'
    last = s.execute(select(AuditEvent.seq, AuditEvent.event, AuditEvent.body, AuditEvent.hash)
                     .where(AuditEvent.project_code == project,
                            AuditEvent.body.contains(marker, autoescape=True))
                     .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if last is None:
        return
    seq, event, body, digest = last
    try:
        expected = orjson.loads(body)["payload"]["to"] if sha256_hex(body.encode()) == digest \
            else None
    except (orjson.JSONDecodeError, KeyError, TypeError):
        expected = None
    if state != expected:
        what = "wf_flows.state" if kind == "project" else f"{kind} {number} state"
        raise IntegrityError(f"{project}: 流程状态与审计链不符 {what} is {state} but audit #{seq} "
                             f"({event}) left it {expected}; run `yitaotu audit verify "
                             f"{project}`")


@dataclass
class VerifyReport:
    project: str
    events: int = 0
    signatures: int = 0
    blobs: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: The chain replayed (None until :func:`verify_chain` has run it).
    replayed: replay.Replay | None = None

    @property
    def problems(self) -> list[str]:
        return [str(f) for f in self.findings]

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, table: str, row: str, what: str, key: Any = None) -> None:
        self.findings.append(Finding(table, row, what, key))

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "ok": self.ok, "events": self.events,
                "signatures": self.signatures, "blobs": self.blobs, "problems": self.problems,
                "findings": [f.to_dict() for f in self.findings]}


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
        raise InvalidInput(
            f"无效锚点 bad anchor {quote(text)}: expected SEQ:SHA256 from `audit head`")
    return int(seq), digest


def verify_chain(s: Session, project: str, blobs: Any = None,
                 anchors: list[tuple[int, str]] | None = None) -> VerifyReport:
    """Recompute the chain and every signature, replay it and compare every row it governs
    (:mod:`workflow.checks`); with ``blobs``, re-hash every blob it names and validate the
    signatures inside every 审查合格书 PDF with pyHanko; every anchor (``seq``, ``hash``) kept
    outside must still be in the chain."""
    rep = VerifyReport(project)
    replayed, blob_ids = _verify_links(s, project, rep, anchors or [])
    r = rep.replayed = replay.replay(s, project, replayed)
    rep.findings += r.findings + checks.compare(s, r)
    if blobs is not None:
        _check_blobs(s, blobs, blob_ids, rep)
        _check_certificates(s, blobs, r, rep)
    return rep


def _verify_links(s: Session, project: str, rep: VerifyReport, anchors: list[tuple[int, str]]
                  ) -> tuple[list[replay.Event], dict[str, str]]:
    """Hashes, links, columns and signatures of every event; the events as their bodies state
    them, for the replay, and the blobs their payloads name."""
    registered = checks.registered_keys(s)
    orgs = dict(s.execute(select(User.name, Organisation.name).join(Organisation)).all())
    prev, prev_at = GENESIS, None
    blob_ids: dict[str, str] = {}
    seen: dict[int, str] = {}
    out: list[replay.Event] = []
    for n, ev in enumerate(events(s, project), start=1):
        rep.events += 1
        row = f"#{ev.seq} ({ev.event})"

        def problem(what: str, row: str = row, seq: int = ev.seq) -> None:
            rep.add("wf_audit", row, what, seq)

        if ev.seq != n:
            problem(f"序号不连续 sequence gap (expected #{n})")
        try:
            body = orjson.loads(ev.body)
            if not isinstance(body, dict):
                raise TypeError(type(body).__name__)
            item = replay.event_of(ev.seq, body, prev_at, FORMATS)
        except (orjson.JSONDecodeError, TypeError, KeyError, ValueError):
            problem("内容无法解析 body is not a chain event")
            prev = ev.hash
            continue
        if sha256_hex(ev.body.encode()) != ev.hash:
            problem("哈希不符 hash mismatch, the row was altered")
        if body.get("prev") != prev:
            problem(f"链断裂 chain broken, prev hash does not match #{n - 1}")
        if body.get("type") not in FORMATS:
            problem(f"未知格式 unknown chain format {body.get('type')!r}")
        cols = {"project": ev.project_code, "seq": ev.seq, "event": ev.event,
                "actor": ev.actor, "version": ev.version_id, "at": ev.at.isoformat()}
        if bad := [k for k, v in cols.items() if body.get(k) != v]:
            problem(f"列与内容不符 columns differ from body: {', '.join(bad)}")
        _verify_signatures(ev, body, registered, orgs, rep, problem)
        for oid in _blobs_of(body):
            blob_ids.setdefault(oid, f"wf_audit {row}")
        out.append(item)
        prev, prev_at = ev.hash, item.stamp.at
        seen[ev.seq] = ev.hash
    for seq, digest in anchors:
        if seq not in seen:
            rep.add("wf_audit", f"anchor #{seq}", f"事件缺失 the chain ends at #{rep.events}, "
                                                   "events were removed", seq)
        elif seen[seq] != digest:
            rep.add("wf_audit", f"anchor #{seq}", "哈希不符 the chain was rewritten since the "
                                                  "anchor was taken", seq)
    return out, blob_ids


def _verify_signatures(ev: AuditEvent, body: dict[str, Any],
                       registered: dict[str, tuple[str, str]], orgs: dict[str, str],
                       rep: VerifyReport, problem: Any) -> None:
    """Every signature verifies with a key registered to its signer, and the event carries
    the two it must: its actor's and the actor's organisation's."""
    try:
        sigs = JSONText.load(ev.signatures)
    except orjson.JSONDecodeError:
        sigs = None
    if not isinstance(sigs, list):
        sigs = []
    signed: set[str] = set()
    for rec in sigs:
        rep.signatures += 1
        signer = rec.get("signer") if isinstance(rec, dict) else None
        if not isinstance(rec, dict) or not verify_record(rec, bytes.fromhex(ev.hash)):
            problem(f"签名无效 bad signature by {signer}")
        elif registered.get(rec["key"]) != (rec["signer"], rec["public"]):
            problem(f"签名密钥未登记 key {rec['key']} is not registered to {rec['signer']}")
        else:
            signed.add(rec["signer"])
    actor = str(body.get("actor"))
    if actor not in orgs:
        problem(f"操作人不是用户 actor {actor} is no user")
        return
    for must in (f"user:{actor}", f"org:{orgs[actor]}"):
        if must not in signed:
            problem(f"缺少签名 no valid signature by {must}")


def _check_certificates(s: Session, blobs: Any, r: replay.Replay, rep: VerifyReport) -> None:
    """Validate the PDF signatures of every 审查合格书 the chain issued, against the X.509
    certificates on record for the signers it names."""
    from workflow import certificate

    for n, cert in sorted(r.tables.get("wf_certificates", {}).items()):
        row = f"#{n} ({str(cert['blob_id'])[:12]})"
        owners = cert["signers"] if isinstance(cert["signers"], list) else []
        try:
            pdf = blobs.read_bytes(cert["blob_id"])
            results = certificate.verify(pdf, certificate.trust_for(s, owners), name="PDF")
        except YitaotuError as e:
            rep.add("wf_certificates", row, str(e), n)
            continue
        rep.signatures += len(results)
        if len(results) != len(owners):
            rep.add("wf_certificates", row, f"{len(results)} PDF 签名 signatures, expected "
                                            f"{len(owners)}", n)
        for res in results:
            if not (res["intact"] and res["valid"] and res["trusted"]):
                rep.add("wf_certificates", row, f"PDF 签名无效 signature {res['field']} by "
                                                f"{res['signer']} is not valid: "
                                                f"{res.get('error')}", n)


def _blobs_of(body: dict[str, Any]) -> list[str]:
    payload = body.get("payload") or {}
    return [v for k, v in payload.items() if k.endswith("blob") and isinstance(v, str)]


def _check_blobs(s: Session, blobs: Any, named: dict[str, str], rep: VerifyReport) -> None:
    """Every blob of every version the chain names, plus blobs named in payloads: stored,
    intact, and on record in ``blobs``."""
    from drawings import registry
    from drawings.models import BlobRecord

    versions = {v for (v,) in s.execute(
        select(AuditEvent.version_id).where(AuditEvent.project_code == rep.project,
                                            AuditEvent.version_id.is_not(None)))}
    for vid in sorted(versions):
        try:
            v = registry.get_version(s, vid)
        except YitaotuError as e:
            rep.add("set_versions", vid[:12], str(e), vid)
            continue
        for p in registry.verify_version(v):
            rep.add("set_versions", vid[:12], p, vid)
        for sheet_no, entry in v.manifest.items():
            named.setdefault(entry["blob"], f"set_versions {vid[:12]} sheet {sheet_no}")
    recorded = set(s.scalars(select(BlobRecord.id).where(BlobRecord.id.in_(named))))
    for oid, where in sorted(named.items()):
        rep.blobs += 1
        if oid not in recorded:
            rep.add("blobs", oid, f"行缺失 no `blobs` row (named by {where})", oid)
        try:
            blobs.verify(oid)
        except ObjectCorrupt:
            rep.add("blobs", oid, f"内容与哈希不符 corrupt (named by {where})", oid)
        except YitaotuError as e:
            rep.add("blobs", oid, f"{e} (named by {where})", oid)
