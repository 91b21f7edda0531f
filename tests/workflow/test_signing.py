"""Key pairs, canonical JSON signatures (Ed25519, SM2/SM3), key files on disk."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.errors import InvalidInput
from workflow.signing import ALGORITHMS, KeyRing, canonical_json, verify_record


def test_canonical_json_is_order_free() -> None:
    a = canonical_json({"b": 1, "a": [1, "二"], "t": datetime(2026, 1, 1, tzinfo=UTC)})
    b = canonical_json({"t": datetime(2026, 1, 1, tzinfo=UTC), "a": [1, "二"], "b": 1})
    assert a == b == '{"a":[1,"二"],"b":1,"t":"2026-01-01T00:00:00+00:00"}'.encode()


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_sign_and_verify(alg: str, tmp_path: Path) -> None:
    ring = KeyRing(tmp_path, passphrase="")
    pub = ring.create("org:甲设计院", alg)
    rec = ring.sign("org:甲设计院", b"payload")
    assert rec["alg"] == alg and rec["key"] == pub.fingerprint
    assert verify_record(rec, b"payload")
    assert not verify_record(rec, b"payloaD")
    forged = dict(rec, sig=rec["sig"][:-2] + ("00" if rec["sig"][-2:] != "00" else "11"))
    assert not verify_record(forged, b"payload")
    other = KeyRing(tmp_path / "other", passphrase="").create("org:x", alg)
    assert not verify_record(dict(rec, public=other.public), b"payload")  # fingerprint differs


def test_key_files_are_private_and_encrypted(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path, passphrase="s3cret")
    ring.create("user:li")
    (path,) = [p for p in tmp_path.iterdir() if p.suffix == ".json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text()
    assert "scrypt-aes256gcm" in raw
    assert verify_record(ring.sign("user:li", b"x"), b"x")
    with pytest.raises(InvalidInput, match="decrypt"):
        KeyRing(tmp_path, passphrase="wrong").sign("user:li", b"x")
    with pytest.raises(InvalidInput, match="encrypted"):
        KeyRing(tmp_path, passphrase="").sign("user:li", b"x")
    with pytest.raises(InvalidInput, match="no private key"):
        ring.sign("user:nobody", b"x")


def test_unknown_algorithm(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown signature algorithm"):
        KeyRing(tmp_path, passphrase="").create("org:x", "rsa")


#: A private key whose SM2 public key begins with "04" (one key in 256): gmssl's constructor
#: strips every leading '0' and '4' of such a key, which broke signing and verifying.
SM2_04 = "00000000000000000000000000000000000000000000000000000000005aef5a"


def test_sm2_key_beginning_with_04_signs_and_verifies() -> None:
    from workflow.signing import SM2, _sm2_public, sign_raw, verify_raw

    pub = _sm2_public(SM2_04)
    assert pub.startswith("04") and len(pub) == 128
    sig = sign_raw(SM2, SM2_04, b"data")
    assert verify_raw(SM2, pub, b"data", sig)
    assert not verify_raw(SM2, pub, b"other", sig)


def test_sm2_signature_made_before_the_fix_still_verifies() -> None:
    """Signatures made through gmssl's constructor (Z hashed over the stripped key) verify."""
    from gmssl import sm2

    from workflow.signing import SM2, _sm2_public, verify_raw

    pub = _sm2_public(SM2_04)
    old = sm2.CryptSM2(private_key=SM2_04, public_key=pub).sign_with_sm3(b"data")
    assert verify_raw(SM2, pub, b"data", old)
    assert not verify_raw(SM2, pub, b"other", old)
