"""Key pairs and signatures over canonical JSON: Ed25519 by default, SM2/SM3 selectable.

Private keys live as files under ``<home>/keys`` with mode 0600, one per organisation and user.
When ``YITAOTU_KEY_PASSPHRASE`` is set they are encrypted (scrypt-derived key, AES-256-GCM);
otherwise they are plain but owner-only.  Public keys are recorded in the database
(``workflow.models.SigningKey``) and embedded in every signature so `audit verify` needs no
private key.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from storage.display import quote
from storage.errors import IntegrityError, InvalidInput

ED25519 = "ed25519"
SM2 = "sm2-sm3"
ALGORITHMS = (ED25519, SM2)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not canonical JSON: {type(value).__name__}")


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, datetimes as ISO text: the bytes that get signed."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
                        default=_default)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(alg: str, public_hex: str) -> str:
    return sha256_hex(f"{alg}:{public_hex}".encode())[:16]


# --- algorithms -------------------------------------------------------------------------------

def _sm2(private_hex: str, public_hex: str) -> Any:
    """gmssl's SM2 object for a key pair.  Its constructor strips *every* leading '0' and '4'
    of a public key that begins with "04" (one key in 256): the key is set after it instead."""
    from gmssl import sm2

    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_hex
    return crypt


def _sm2_public(private_hex: str) -> str:
    from gmssl import sm2

    return _sm2(private_hex, "")._kg(int(private_hex, 16), sm2.default_ecc_table["g"])


def generate(alg: str) -> tuple[str, str]:
    """A new key pair as (private hex, public hex)."""
    if alg == ED25519:
        key = Ed25519PrivateKey.generate()
        return key.private_bytes_raw().hex(), key.public_key().public_bytes_raw().hex()
    if alg == SM2:
        from gmssl import sm2

        n = int(sm2.default_ecc_table["n"], 16)
        d = secrets.randbelow(n - 2) + 1
        private_hex = f"{d:064x}"
        return private_hex, _sm2_public(private_hex)
    raise InvalidInput(
        f"未知签名算法 unknown signature algorithm {quote(alg)} ({', '.join(ALGORITHMS)})")


def sign_raw(alg: str, private_hex: str, data: bytes) -> str:
    if alg == ED25519:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex)).sign(data).hex()
    if alg == SM2:
        return _sm2(private_hex, _sm2_public(private_hex)).sign_with_sm3(data)
    raise InvalidInput(f"unknown signature algorithm {quote(alg)}")


def verify_raw(alg: str, public_hex: str, data: bytes, signature: str) -> bool:
    try:
        if alg == ED25519:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
                bytes.fromhex(signature), data)
            return True
        if alg == SM2:
            crypt = _sm2("", public_hex)
            if crypt.verify_with_sm3(signature, data):
                return True
            if public_hex.startswith("04"):  # signed before the fix: Z hashed the stripped key
                legacy = _sm2("", public_hex.lstrip("04"))._sm3_z(data)
                return bool(crypt.verify(signature, bytes.fromhex(legacy)))
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return False


# --- key ring ---------------------------------------------------------------------------------

_SAFE = re.compile(r"[^0-9A-Za-z_.\-]")
#: Owners up to this long keep ``<owner>-<8 hex>.key.json`` (every name the limits allow).
_MAX_SAFE_NAME = 128


@dataclass(frozen=True, slots=True)
class PublicKey:
    owner: str  # "org:<name>" or "user:<name>"
    alg: str
    public: str
    fingerprint: str


class KeyRing:
    """Private keys on disk, one file per owner; ``owner`` is ``org:NAME`` or ``user:NAME``."""

    def __init__(self, root: str | os.PathLike[str], passphrase: str | None = None) -> None:
        self.root = Path(root)
        self.passphrase = passphrase if passphrase is not None else (
            os.environ.get("YITAOTU_KEY_PASSPHRASE") or None)

    def _path(self, owner: str) -> Path:
        safe = _SAFE.sub("_", owner)
        digest = sha256_hex(owner.encode("utf-8", "surrogatepass"))
        if len(safe) <= _MAX_SAFE_NAME:
            return self.root / f"{safe}-{digest[:8]}.key.json"
        # a file name has at most 255 bytes: a long owner keeps a readable head and is told
        # apart by its whole hash
        return self.root / f"{safe[:64]}-{digest}.key.json"

    def _seal(self, private_hex: str) -> dict[str, str]:
        if not self.passphrase:
            return {"enc": "none", "private": private_hex}
        salt, nonce = os.urandom(16), os.urandom(12)
        key = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(self.passphrase.encode())
        ct = AESGCM(key).encrypt(nonce, bytes.fromhex(private_hex), None)
        return {"enc": "scrypt-aes256gcm", "salt": salt.hex(), "nonce": nonce.hex(),
                "private": ct.hex()}

    def _open(self, path: Path, sealed: dict[str, str]) -> str:
        if sealed.get("enc") == "none":
            return sealed["private"]
        if not self.passphrase:
            raise InvalidInput(f"{path}: 私钥已加密 key is encrypted, set YITAOTU_KEY_PASSPHRASE")
        key = Scrypt(salt=bytes.fromhex(sealed["salt"]), length=32, n=2**14, r=8,
                     p=1).derive(self.passphrase.encode())
        try:
            return AESGCM(key).decrypt(bytes.fromhex(sealed["nonce"]),
                                       bytes.fromhex(sealed["private"]), None).hex()
        except Exception as e:  # InvalidTag: wrong passphrase or damaged file
            raise InvalidInput(
                f"{path}: 私钥无法解密 cannot decrypt key (wrong passphrase?)") from e

    def create(self, owner: str, alg: str = ED25519) -> PublicKey:
        """Generate and store a key pair; an existing key file for ``owner`` is an error."""
        path = self._path(owner)
        if path.exists():
            return self.public(owner)
        private_hex, public_hex = generate(alg)
        record = {"owner": owner, "alg": alg, "public": public_hex, **self._seal(private_hex)}
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(record))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return PublicKey(owner, alg, public_hex, fingerprint(alg, public_hex))

    def _load(self, owner: str) -> tuple[Path, dict[str, str]]:
        path = self._path(owner)
        try:
            return path, orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise InvalidInput(f"没有私钥 no private key for {owner} in {self.root}") from None
        except orjson.JSONDecodeError as e:
            raise IntegrityError(f"{path}: 私钥文件损坏 damaged key file ({e})") from None

    def has(self, owner: str) -> bool:
        return self._path(owner).exists()

    def public(self, owner: str) -> PublicKey:
        _, rec = self._load(owner)
        return PublicKey(owner, rec["alg"], rec["public"], fingerprint(rec["alg"], rec["public"]))

    def sign(self, owner: str, data: bytes) -> dict[str, str]:
        """A signature record: signer, algorithm, key fingerprint, public key and signature."""
        path, rec = self._load(owner)
        sig = sign_raw(rec["alg"], self._open(path, rec), data)
        return {"signer": owner, "alg": rec["alg"], "key": fingerprint(rec["alg"], rec["public"]),
                "public": rec["public"], "sig": sig}


def verify_record(record: dict[str, str], data: bytes) -> bool:
    """Check one signature record (as made by :meth:`KeyRing.sign`) over ``data``."""
    try:
        if fingerprint(record["alg"], record["public"]) != record["key"]:
            return False
        return verify_raw(record["alg"], record["public"], data, record["sig"])
    except (KeyError, TypeError):
        return False
