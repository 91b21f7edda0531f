"""Is this 审查合格书 genuine?  The public check behind the certificate's QR code.

A certificate is found by its verification code (``certificate.verify_code``, printed on it
with the QR code) or by the SHA-256 of its signed PDF; then its stored PDF is re-hashed and
every signature validated against the X.509 certificates on record.  The answer says only
what the certificate itself shows: genuine or not, project code, set version, who signed and
when, and the PDF's hash.  Anything not found is one :class:`NotFound`, whatever the reason.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import IntegrityError, NotFound
from workflow import certificate
from workflow.models import Certificate, JSONText
from workflow.service import certificate_trust

_CODE = re.compile(r"^[A-Z2-7]{16}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PROJECT = re.compile(r"^[0-9A-Z-]{10,40}$")


def _unknown() -> NotFound:
    return NotFound("查无此合格书 no such certificate: the code or hash is not one we issued")


def certificate_by_code(s: Session, blobs: Any, project: str, code: str) -> dict[str, Any]:
    """The check of the certificate of ``project`` whose verification code is ``code``."""
    project, code = (project or "").strip().upper(), (code or "").strip().upper()
    if not _PROJECT.match(project) or not _CODE.match(code):
        raise _unknown()
    for cert in s.scalars(select(Certificate).where(Certificate.project_code == project)
                          .order_by(Certificate.id)):
        if certificate.verify_code(cert.project_code, cert.version_id, cert.stage,
                                   cert.issued) == code:
            return _check(s, blobs, cert, code)
    raise _unknown()


def certificate_by_hash(s: Session, blobs: Any, sha256: str) -> dict[str, Any]:
    """The check of the certificate whose signed PDF has this SHA-256."""
    sha256 = (sha256 or "").strip().lower()
    if not _SHA256.match(sha256):
        raise _unknown()
    cert = s.scalar(select(Certificate).where(Certificate.blob_id == sha256)
                    .order_by(Certificate.id).limit(1))
    if cert is None:
        raise _unknown()
    code = certificate.verify_code(cert.project_code, cert.version_id, cert.stage, cert.issued)
    return _check(s, blobs, cert, code)


def _check(s: Session, blobs: Any, cert: Certificate, code: str) -> dict[str, Any]:
    """Re-hash the stored PDF and validate each signature; never raises for a bad PDF: the
    answer is then ``genuine: False`` with the reason."""
    out: dict[str, Any] = {
        "genuine": False, "project": cert.project_code, "version": cert.version_id,
        "issued": cert.issued.isoformat(), "sha256": cert.blob_id, "code": code,
        "path": certificate.verify_path(cert.project_code, code), "signatures": [],
        "problem": None}
    try:
        pdf = blobs.read_bytes(cert.blob_id, verify=True)
        rows = certificate.verify(pdf, certificate_trust(s, cert),
                                  name=f"审查合格书 certificate {cert.blob_id[:12]}")
    except (IntegrityError, NotFound) as e:
        out["problem"] = e.message
        return out
    out["signatures"] = [{"signer": r["signer"], "signed_at": r.get("signed_at"),
                          "valid": bool(r["bottom_line"])} for r in rows]
    expected = len(JSONText.load(cert.signers) or [])
    if not rows or len(rows) < expected:
        out["problem"] = (f"签名不全 {len(rows)} of {expected} signatures found")
    elif not all(r["bottom_line"] for r in rows):
        bad = next(r for r in rows if not r["bottom_line"])
        out["problem"] = f"签名无效 signature of {bad['signer']} does not validate: " \
                         f"{bad.get('error') or ''}".rstrip(": ")
    else:
        out["genuine"] = True
    return out

