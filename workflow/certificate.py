"""审查合格书: a PDF written with PyMuPDF (CJK text) and signed with pyHanko.

Each signer (the reviewer of each discipline, then the agency) adds one incremental PDF
signature.  The X.509 identity comes from ``<keys>/x509/<owner>.cert.pem`` + ``.key.pem`` when
a CA-issued pair is installed there; otherwise a self-issued certificate (EC P-256, ten years)
is made once per owner and kept beside it (key file 0600, encrypted with
``YITAOTU_KEY_PASSPHRASE`` when set).
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from storage.errors import IntegrityError
from workflow.signing import KeyRing

_SAFE = re.compile(r"[^0-9A-Za-z_.\-]")


@dataclass(frozen=True)
class Identity:
    owner: str
    cert_pem: bytes
    key_pem: bytes
    passphrase: bytes | None


def _paths(keys: KeyRing, owner: str) -> tuple[Path, Path]:
    import hashlib

    stem = f"{_SAFE.sub('_', owner)}-{hashlib.sha256(owner.encode()).hexdigest()[:8]}"
    d = keys.root / "x509"
    return d / f"{stem}.cert.pem", d / f"{stem}.key.pem"


def identity(keys: KeyRing, owner: str, common_name: str, organisation: str) -> Identity:
    """The X.509 identity of ``owner`` (``org:NAME``/``user:NAME``), self-issued if none."""
    cert_path, key_path = _paths(keys, owner)
    pw = keys.passphrase.encode() if keys.passphrase else None
    if cert_path.exists() and key_path.exists():
        return Identity(owner, cert_path.read_bytes(), key_path.read_bytes(), pw)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    enc = (serialization.BestAvailableEncryption(pw) if pw
           else serialization.NoEncryption())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                enc)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    cert_path.write_bytes(cert_pem)
    return Identity(owner, cert_pem, key_pem, pw)


X509 = "x509"


def cert_fingerprint(cert_pem: bytes) -> str:
    import hashlib

    return hashlib.sha256(cert_pem.strip()).hexdigest()[:32]


def trust_for(s: Any, owners: list[str]) -> list[bytes]:
    """The X.509 certificates (PEM) on record in ``wf_keys`` for ``owners``: the trust anchors
    of self-issued certificates, so verifying needs no access to the key directory."""
    from sqlalchemy import select

    from workflow.models import SigningKey

    rows = s.scalars(select(SigningKey).where(SigningKey.owner.in_(owners),
                                              SigningKey.alg == X509))
    return [r.public.encode() for r in rows]


#: Where the public verification page is served (``YITAOTU_PUBLIC_URL``); the QR code and the
#: short URL on each certificate point there.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def public_url() -> str:
    """The site's public address, from ``YITAOTU_PUBLIC_URL`` (no trailing slash)."""
    from urllib.parse import urlsplit

    from storage.errors import InvalidInput

    base = (os.environ.get("YITAOTU_PUBLIC_URL") or DEFAULT_PUBLIC_URL).strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc \
            or parts.query or parts.fragment or len(base) > 200:
        raise InvalidInput(f"YITAOTU_PUBLIC_URL 无效 invalid: {base[:60]!r} (want "
                           "https://host[:port][/path], no credentials)")
    return base


def verify_code(project_code: str, version_id: str, stage: str | None,
                issued: datetime) -> str:
    """The certificate's short verification code: 16 base-32 characters of the SHA-256 of
    what it certifies (project, set version, stage, instant of issue).  It is printed on the
    certificate before it is signed, so it cannot be the hash of the signed PDF; the public
    page finds the certificate by it and then checks the PDF's hash and signatures."""
    import base64
    import hashlib

    when = issued.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = "\n".join(["yitaotu.certificate/1", project_code, version_id, stage or "", when])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(digest[:10]).decode("ascii")


def verify_path(project_code: str, code: str) -> str:
    """The short path of the public verification page (under :func:`public_url`)."""
    return f"/c/{project_code}/{code}"


def qr_png(url: str) -> bytes:
    """A QR code of ``url`` (segno, error correction M) as PNG."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def stamp_qr(pdf: bytes, url: str) -> bytes:
    """Put the QR code of ``url`` at the top right of the first page."""
    import pymupdf

    doc = pymupdf.open(stream=pdf, filetype="pdf")
    page = doc[0]
    size = 92.0
    rect = pymupdf.Rect(page.rect.width - 36 - size, 28, page.rect.width - 36, 28 + size)
    page.insert_image(rect, stream=qr_png(url))
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def render(*, project_code: str, project_name: str, version_id: str, agency: str,
           reviewers: list[tuple[str, str]], sheets: list[tuple[str, str]],
           issued: datetime, stage: str = "全套",
           disciplines: dict[str, str] | None = None, verify_url: str | None = None) -> bytes:
    """The unsigned certificate: project, stage, set version, its sheets, the reviewers;
    with ``verify_url``, its QR code and the URL written out, to check it online."""
    from workflow.documents import china_time, text_pdf

    disciplines = disciplines or {}
    lines: list[tuple[float, str]] = [
        (20, "施工图设计文件审查合格书"),
        (11, "Certificate of construction drawing review"),
        (10, ""),
        (11, f"项目代码 Project code: {project_code}"),
        (11, f"项目名称 Project: {project_name}"),
        (11, f"审查范围 Stage: {stage}"),
        (11, f"审查机构 Review agency: {agency}"),
        (9, f"图纸版本 Set version: {version_id}"),
        (11, f"签发日期 Issued: {china_time(issued)}"),
        (10, ""),
        (11, "审查人员 Reviewers:"),
        *[(10, f"    {disc or '-'}  {name}") for name, disc in reviewers],
        (10, ""),
        (11, f"图纸目录 Sheets ({len(sheets)}):"),
        *[(10, f"    {no}  {disciplines.get(no, '')}  {title or ''}") for no, title in sheets],
        (10, ""),
        (10, "经审查，上述施工图设计文件符合法律法规和工程建设强制性标准，审查合格。"),
        (9, "The drawings above were reviewed and found compliant; signed electronically."),
    ]
    if verify_url:
        lines += [(10, ""), (9, f"真伪查验 Verify online: {verify_url}")]
    pdf = text_pdf(lines, title=f"审查合格书 {project_code} {stage}", subject=version_id)
    return stamp_qr(pdf, verify_url) if verify_url else pdf


def sign(pdf: bytes, signers: list[tuple[Identity, str]],
         reason: str = "审查合格 approved") -> bytes:
    """Add one incremental signature per (identity, field name), in order."""
    import tempfile

    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers as hs
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    for ident, field in signers:
        with tempfile.NamedTemporaryFile(suffix=".pem") as tf:
            tf.write(ident.cert_pem)
            tf.flush()
            cert = load_cert_from_pemder(tf.name)
        key = load_private_key_from_pemder_data(ident.key_pem, passphrase=ident.passphrase)
        signer = hs.SimpleSigner(signing_cert=cert, signing_key=key,
                                 cert_registry=SimpleCertificateStore.from_certs([cert]))
        out = io.BytesIO()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        hs.sign_pdf(writer, hs.PdfSignatureMetadata(field_name=field, reason=reason,
                                                    md_algorithm="sha256"),
                    signer=signer, output=out)
        pdf = out.getvalue()
    return pdf


def verify(pdf: bytes, trusted_cert_pems: list[bytes], *,
           name: str = "审查合格书 certificate PDF") -> list[dict[str, Any]]:
    """Validate every signature against the given (self-issued or CA) certificates.

    Nothing pyHanko raises or logs escapes: an unreadable PDF or an invalid certificate on
    record is an :class:`IntegrityError` naming ``name``; a signature that does not validate
    is a result with ``bottom_line`` False and pyHanko's reason in ``error``."""
    from asn1crypto import pem
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for i, data in enumerate(trusted_cert_pems, start=1):
        try:
            _, _, der = pem.unarmor(data)
            roots.append(ax509.Certificate.load(der))
            roots[-1].native  # noqa: B018 - parse it all now, not inside pyHanko
        except Exception as e:  # asn1crypto raises ValueError, TypeError and its own
            raise IntegrityError(f"{name}: 受信证书无效 X.509 certificate {i} on record "
                                 f"(wf_keys) is not valid: {_line(e)}") from None
    out = []
    with _collected_logs() as notes:
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            sigs = list(reader.embedded_signatures)
        except Exception as e:  # pyHanko's PdfReadError, asn1crypto's ValueError, …
            raise IntegrityError(f"{name}: 无法读取 unreadable: {_line(e)}") from None
        for sig in sigs:
            notes.clear()
            try:
                status = validate_pdf_signature(
                    sig, ValidationContext(trust_roots=roots, allow_fetching=False))
            except Exception as e:  # a malformed signature: not valid, with pyHanko's reason
                out.append({"field": sig.field_name, "signer": "?", "intact": False,
                            "valid": False, "trusted": False, "bottom_line": False,
                            "coverage": None, "error": f"{type(e).__name__}: {_line(e)}"})
                continue
            when = status.signer_reported_dt
            row = {"field": sig.field_name, "signer": status.signing_cert.subject.human_friendly,
                   "signed_at": when.isoformat() if when else None,
                   "intact": status.intact, "valid": status.valid, "trusted": status.trusted,
                   "bottom_line": status.bottom_line, "coverage": str(status.coverage)}
            if not status.bottom_line:
                row["error"] = notes[0] if notes else "not trusted" if not status.trusted \
                    else "not valid"
            out.append(row)
    return out


def _line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


class _Notes(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(record.getMessage().splitlines()[0])


@contextmanager
def _collected_logs() -> Iterator[list[str]]:
    """pyHanko logs each failed validation with its traceback, which the last-resort handler
    prints to stderr: keep the first line of each message for the caller instead."""
    notes: list[str] = []
    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    handler = _Notes(notes)
    saved = [lg.propagate for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield notes
    finally:
        for lg, propagate in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.propagate = propagate
