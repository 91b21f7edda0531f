"""What goes into a package, read from the database and the blob store into a staging
directory: sheets (original bytes), set versions and their blobs, stamped renders, opinions,
certificates and the documents the chain names, the chain with its anchor, the reflog, the
public keys; each file catalogued as it is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import detect_format, registry
from drawings.models import Project, SetVersion
from storage.errors import IntegrityError
from workflow import audit
from workflow.archive import layout
from workflow.archive.catalogue import PERMANENT, Entry
from workflow.clock import CHINA_TZ
from workflow.models import Certificate, JSONText, SigningKey, User
from workflow.signing import canonical_json

#: Volumes (案卷), in order; an archive uses 1–4, an inspector's pull 1–5.
VOLUMES = ("竣工图 as-built drawings", "审查文件 review records",
           "图纸版本 set versions", "审计与签名 audit chain and keys",
           "核验 verification")
AS_BUILT, REVIEW, HISTORY, AUDIT, CHECK = range(1, 6)
RETAIN_HISTORY = "30年"  # earlier versions, opinions: appraised after 30 years


def day(when: datetime) -> str:
    return when.astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def json_bytes(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


@dataclass
class Staging:
    """A directory being filled with a package's payload (paths as they will be in the bag,
    ``data/…``), and the catalogue entries of what was written."""

    root: Path
    project: Project
    entries: list[Entry] = field(default_factory=list)
    desc: dict[str, Any] = field(default_factory=dict)
    #: Re-hash every blob read (an archive never takes in a corrupt blob); a live check reads
    #: them as they are, so the verifier names the bad file.
    strict: bool = True

    def read(self, blobs: Any, oid: str) -> bytes:
        return blobs.read_bytes(oid, verify=self.strict)

    def put(self, path: str, data: bytes, *, volume: int, title: str, author: str, date: str,
            pages: int = 1, sheet: str = "", retention: str = PERMANENT) -> str:
        if (why := layout.unsafe_path(path)) or not path.startswith("data/"):
            raise IntegrityError(f"{path}: 不可写入的包内路径 bad package path ({why})")
        target = self.root / path
        n = 1
        while target.exists():
            if target.read_bytes() == data:
                return path  # the same blob named twice: one file
            n += 1  # two sheet numbers with one safe name ("A/1", "A_1"): keep both
            stem, dot, ext = path.rpartition("/")[2].partition(".")
            path = f"{path.rpartition('/')[0]}/{stem.split('~')[0]}~{n}{dot}{ext}"
            target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.entries.append(Entry(volume, title, author, date, pages, sheet, retention, path))
        return path


def party_org(p: Project, role: str) -> str:
    """The organisation acting for ``role`` (``design``, ``review``…) in the project."""
    from workflow.engine import PARTY_ROLE
    from workflow.machine import Role

    name = PARTY_ROLE[Role(role)]
    return next((pt.organisation for pt in p.parties if pt.role == name), "") or p.name


def user_orgs(s: Session) -> dict[str, str]:
    return {u.name: u.organisation.name for u in s.scalars(select(User))}


def pdf_pages(data: bytes) -> int:
    from workflow.archive.pdfcheck import inspect_pdf

    return max(inspect_pdf(data).pages, 1)


def sheet_suffix(data: bytes) -> str:
    try:
        return "." + detect_format(data[:4096], "sheet").format
    except Exception:  # an unreadable blob keeps its bytes; the usability check names it
        return ".bin"


def add_versions(st: Staging, s: Session, blobs: Any, versions: list[SetVersion],
                 sheet_files: dict[str, str], *, keep: str = RETAIN_HISTORY,
                 final: set[str] | None = None) -> None:
    """Every version's exact body, and every sheet blob its manifest names (the fingerprint
    indexes are derived data, rebuilt from the sheets, and stay out)."""
    author = party_org(st.project, "design")
    final = final or set()
    for v in versions:
        keep_v = PERMANENT if v.id in final else keep
        st.desc["versions"][v.id] = st.put(
            f"data/versions/{v.id}.json", v.body.encode(), volume=HISTORY,
            title=f"图纸版本 set version {v.id[:12]} {v.message}"[:300], author=author,
            date=day(v.created_at), pages=len(v.manifest), retention=keep_v)
        for no, e in v.manifest.items():
            oid = e["blob"]
            if oid in st.desc["blobs"]:
                continue
            path = sheet_files.get(oid) or layout.blob_path(oid)
            st.desc["blobs"][oid] = st.put(
                path, st.read(blobs, oid), volume=HISTORY,
                title=f"图纸 sheet {no} {e.get('title') or ''}".strip()[:300], author=author,
                date=day(v.created_at), sheet=no, retention=keep_v)


def add_chain(st: Staging, s: Session, *, upto: int | None = None) -> list[Any]:
    """The chain (every signed event, as hashed and signed), its head anchor, the reflog and
    the public keys of every signer; returns the events."""
    code = st.project.code
    events = [e for e in audit.events(s, code) if upto is None or e.seq <= upto]
    if not events:
        raise IntegrityError(f"{code}: 尚无审计事件 no audit events to archive")
    lines = [canonical_json({"seq": e.seq, "event": e.event, "actor": e.actor,
                             "at": e.at.isoformat(), "version": e.version_id, "hash": e.hash,
                             "body": e.body, "signatures": JSONText.load(e.signatures)})
             for e in events]
    head = events[-1]
    org = st.desc["organisation"] or party_org(st.project, "owner")
    when = day(head.at)
    st.desc["chain"] = {
        "file": st.put("data/audit/chain.jsonl", b"\n".join(lines) + b"\n", volume=AUDIT,
                       title=f"审计链 audit chain #1–#{head.seq}", author=org, date=when),
        "head": {"seq": head.seq, "hash": head.hash, "at": head.at.isoformat()},
        "anchor": st.put("data/audit/anchor.json", json_bytes(
            {"project": code, "seq": head.seq, "hash": head.hash, "at": head.at.isoformat(),
             "anchor": f"{head.seq}:{head.hash}"}), volume=AUDIT,
            title=f"链头锚点 chain head anchor #{head.seq}", author=org, date=when),
    }
    moves = [m.to_dict() for m in reversed(registry.reflog(s, st.project))
             if m.at <= head.at]
    st.desc["chain"]["reflog"] = st.put(
        "data/audit/reflog.json", json_bytes(moves), volume=AUDIT,
        title="引用移动记录 reflog (approved, current, as-built, archived…)", author=org,
        date=when)
    return events


def add_keys(st: Staging, s: Session, owners: set[str]) -> None:
    orgs = user_orgs(s)
    owners = owners | {f"org:{orgs[u.split(':', 1)[1]]}" for u in owners
                       if u.startswith("user:") and u.split(":", 1)[1] in orgs}
    rows = list(s.scalars(select(SigningKey).where(SigningKey.owner.in_(owners))
                          .order_by(SigningKey.owner, SigningKey.id)))
    doc = {"users": {u: o for u, o in sorted(orgs.items()) if f"user:{u}" in owners},
           "keys": [{"owner": k.owner, "alg": k.alg, "public": k.public,
                     "fingerprint": k.fingerprint} for k in rows if k.alg != "x509"],
           "x509": [{"owner": k.owner, "pem": k.public} for k in rows if k.alg == "x509"]}
    st.desc["keys"] = st.put("data/keys/keys.json", json_bytes(doc), volume=AUDIT,
                             title="公钥与证书 public keys and X.509 certificates",
                             author=st.desc["organisation"] or st.project.name,
                             date=day(max(k.created for k in rows)) if rows else "—")


def signers_of(events: list[Any]) -> set[str]:
    out: set[str] = set()
    for e in events:
        out |= {r.get("signer") for r in JSONText.load(e.signatures) if isinstance(r, dict)}
    return out


def add_documents(st: Staging, s: Session, blobs: Any, events: list[Any]) -> set[str]:
    """The signed 审查合格书 and every other document a chain event names (会审纪要…); returns
    the owners who signed certificates (their X.509 certificates go with the keys)."""
    review = party_org(st.project, "review")
    certs = {c.blob_id: c for c in s.scalars(select(Certificate).where(
        Certificate.project_code == st.project.code).order_by(Certificate.id))}
    signers: set[str] = set()
    for e in events:
        payload = orjson.loads(e.body).get("payload") or {}
        for key, oid in sorted(payload.items()):
            if not key.endswith("blob") or not isinstance(oid, str) or oid in st.desc["blobs"] \
                    or any(d["blob"] == oid for d in st.desc["documents"]):
                continue
            data = st.read(blobs, oid)
            if data[:4] != b"%PDF":  # a sheet an opinion points at, of a version left out
                st.desc["blobs"][oid] = st.put(
                    layout.blob_path(oid), data, volume=HISTORY, retention=RETAIN_HISTORY,
                    title=f"图纸 sheet named by audit #{e.seq} ({e.event})",
                    author=party_org(st.project, "design"), date=day(e.at))
                continue
            cert = certs.get(oid)
            if cert is not None:
                owners = JSONText.load(cert.signers) or []
                signers |= set(owners)
                n = sum(d["kind"] == "certificate" for d in st.desc["documents"]) + 1
                name = f"data/certificates/审查合格书-{n}"
                path = st.put(f"{name}-{layout.safe_name(cert.stage or '全套')}.pdf", data,
                              volume=REVIEW, title=f"施工图审查合格书 certificate "
                              f"{cert.stage or '全套'}", author=review, date=day(cert.issued),
                              pages=pdf_pages(data))
                st.desc["documents"].append({"file": path, "blob": oid, "kind": "certificate",
                                             "seq": e.seq, "signers": owners})
                continue
            path = st.put(f"data/documents/{e.seq:04d}-{e.event}-{oid[:12]}.pdf", data,
                          volume=REVIEW, title=f"{e.event} 文件 document (audit #{e.seq})",
                          author=user_orgs(s).get(e.actor, e.actor), date=day(e.at),
                          pages=pdf_pages(data))
            st.desc["documents"].append({"file": path, "blob": oid, "kind": "event",
                                         "seq": e.seq, "signers": []})
    return signers
