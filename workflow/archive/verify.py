"""The four checks (四性检测, DA/T 70-2018) on a package, a directory or a zip:

- 真实性 authenticity: the packer's signatures over the description, which names the sha256 of
  the payload manifest; every file's sha256; blobs and versions recompute to their ids; the
  audit chain recomputes, link by link and signature by signature, to its head anchor; the
  审查合格书's PDF signatures validate against the certificates carried with the keys;
- 完整性 integrity: every file the manifests and the catalogue name is there and nothing else;
  every catalogue field filled, numbers without gaps, totals that add up, CSV and JSON agree;
  every blob a version or an event names is there, and every version's parents (unless the
  package keeps the final versions only, or is an inspector's pull);
- 可用性 usability: every sheet opens with our readers, the set's sheets render, every file has
  an allowed format, every PDF opens and embeds its fonts;
- 安全性 security: no executable or active content (PDF JavaScript, launch actions, embedded
  files, macros), no path traversal or absolute names, no links, sizes within limits, no
  encryption.

Every item names the file it concerns; nothing in a package can make the checker raise.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import orjson

from workflow.archive import catalogue, layout, opening
from workflow.archive.package import read_description
from workflow.archive.pdfcheck import inspect_pdf
from workflow.archive.report import AUTHENTICITY, INTEGRITY, SECURITY, USABILITY, Report
from workflow.signing import canonical_json, fingerprint, sha256_hex, verify_record

#: Bytes that mark a file as a program or a macro container, whatever its name.
EXECUTABLE = {b"MZ": "Windows executable", b"\x7fELF": "ELF executable", b"#!": "script",
              b"\xca\xfe\xba\xbe": "Mach-O/Java class", b"\xd0\xcf\x11\xe0": "OLE container"}
MACROS = (b"AcDbVbaProject", b"ACAD_VBAPROJECT", b"vbaProject.bin")
#: Files up to this size are read once for all the checks.
CACHE_LIMIT = 16 << 20


def verify_package(path: str | Path, *, live: bool = False,
                   anchors: list[tuple[int, str]] | None = None,
                   packer_keys: list[str] | None = None) -> Report:
    """All four checks on the package at ``path``.  ``live``: the unsigned package
    :func:`~workflow.archive.live.verify_project` makes of a project as it stands; any other
    package must be signed, whatever its description says.

    A package proves itself with the keys it carries; what was kept outside it proves more:
    ``anchors`` (``SEQ``, ``HASH`` from `audit head`) must be events of its chain, and
    ``packer_keys`` (key fingerprints) must include the key of each packer's signature."""
    path = Path(path)
    rep = Report(str(path))
    outside = (anchors or [], packer_keys or [])
    if path.is_dir() and not path.is_symlink():
        _verify_bag(path, rep, live, outside)
    elif path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="yitaotu-verify-") as tmp:
            root = opening.unzip(path, Path(tmp), rep)
            if root is not None:
                _verify_bag(root, rep, live, outside)
    else:
        rep.add(INTEGRITY, "能打开 package opens", str(path), False,
                "not a package: expected a bag directory or a .zip")
    return rep


class _Bag:
    """What the checks share: the root, its files, the payload manifest and the description."""

    def __init__(self, root: Path, rep: Report) -> None:
        self.root, self.rep = root, rep
        self.files = opening.walk(root, rep)
        self.cache: dict[str, bytes] = {}
        self.desc: dict[str, Any] = {}
        self.keys: dict[str, Any] = {"users": {}, "keys": [], "x509": []}
        self.live = False
        self.anchors: list[tuple[int, str]] = []
        self.packer_keys: list[str] = []

    def data(self, rel: str) -> bytes | None:
        """A file's bytes; small files are kept for the next check, big ones read again (a
        package of many drawings need not fit in memory at once)."""
        if rel in self.cache:
            return self.cache[rel]
        try:
            data = (self.root / rel).read_bytes()
        except OSError:
            return None
        if len(data) <= CACHE_LIMIT:
            self.cache[rel] = data
        return data

    def add(self, check: str, name: str, file: str, ok: bool, detail: str = "") -> bool:
        return self.rep.add(check, name, file, ok, detail)


def _verify_bag(root: Path, rep: Report, live: bool,
                outside: tuple[list[tuple[int, str]], list[str]]) -> None:
    b = _Bag(root, rep)
    b.live, (b.anchors, b.packer_keys) = live, outside
    manifest = _payload_manifest(b)
    _tag_manifest(b)
    try:
        b.desc, sigs = read_description(root)
    except ValueError as e:
        b.add(AUTHENTICITY, "包说明 package description", str(e).split(":")[0], False, str(e))
        sigs = []
    _keys(b)
    _signatures(b, sigs, manifest)
    _files(b, manifest)
    if b.desc:
        _contents(b)
        _chain(b)
        _documents(b)
        _catalogue(b)
    _usability(b)
    _security(b)


# -- bag level ----------------------------------------------------------------------------------


def _payload_manifest(b: _Bag) -> dict[str, str]:
    """``manifest-sha256.txt`` as {path: sha256}; names that could leave the bag are refused."""
    raw = b.data(layout.PAYLOAD_MANIFEST)
    if raw is None:
        b.add(INTEGRITY, "清单 payload manifest", layout.PAYLOAD_MANIFEST, False, "missing")
        return {}
    out: dict[str, str] = {}
    for n, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        digest, _, name = line.strip().partition(" ")
        name = name.strip().replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if (why := layout.unsafe_path(name)) or not name.startswith("data/"):
            b.add(SECURITY, "清单路径 manifest path", name, False,
                  f"{layout.PAYLOAD_MANIFEST} line {n}: {why or 'outside data/'}")
            continue
        out[name] = digest.lower()
    return out


def _tag_manifest(b: _Bag) -> None:
    raw = b.data("tagmanifest-sha256.txt")
    tags = [f for f in b.files if not f.startswith("data/") and "/" not in f]
    if raw is None:
        b.add(INTEGRITY, "标签清单 tag manifest", "tagmanifest-sha256.txt", False, "missing")
        return
    listed = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        digest, _, name = line.strip().partition(" ")
        listed[name.strip()] = digest.lower()
    for f in tags:
        if f == "tagmanifest-sha256.txt":
            continue
        data = b.data(f) or b""
        if f not in listed:
            b.add(INTEGRITY, "标签文件已登记 tag file listed", f, False,
                  "not in tagmanifest-sha256.txt")
        else:
            b.add(AUTHENTICITY, "sha256", f, hashlib.sha256(data).hexdigest() == listed[f],
                  "" if hashlib.sha256(data).hexdigest() == listed[f] else
                  "differs from tagmanifest-sha256.txt")
    for name in sorted(set(listed) - set(tags)):
        b.add(INTEGRITY, "文件存在 present", name, False, "in tagmanifest-sha256.txt, missing")


def _keys(b: _Bag) -> None:
    rel = (b.desc.get("keys") if b.desc else None) or "data/keys/keys.json"
    try:
        doc = orjson.loads(b.data(rel) or b"")
        assert isinstance(doc, dict)
        b.keys = {"users": dict(doc.get("users") or {}), "keys": list(doc.get("keys") or []),
                  "x509": list(doc.get("x509") or [])}
    except (orjson.JSONDecodeError, AssertionError, TypeError, ValueError) as e:
        b.add(AUTHENTICITY, "公钥 public keys", rel, False, f"unreadable: {e}")


def _registered(b: _Bag, rec: Any) -> bool:
    """A signature record whose key is on the package's list for its signer."""
    return isinstance(rec, dict) and any(
        k.get("owner") == rec.get("signer") and k.get("public") == rec.get("public")
        and k.get("fingerprint") == rec.get("key") == fingerprint(k.get("alg", ""),
                                                                 k.get("public", ""))
        for k in b.keys["keys"] if isinstance(k, dict))


def _signatures(b: _Bag, sigs: list[Any], manifest: dict[str, str]) -> None:
    if not b.desc:
        return
    kind = b.desc.get("kind")
    if kind not in layout.KINDS or (kind == "live") != b.live:
        b.add(AUTHENTICITY, "包类型 package kind", layout.PACKAGE_FILE, False,
              f"{kind!r}: an archive or an inspector's pull, signed, is expected")
        kind = "archive"  # judged as one: its signatures must verify
    raw = b.data(layout.PAYLOAD_MANIFEST) or b""
    ok = b.desc.get("payload_manifest_sha256") == hashlib.sha256(raw).hexdigest()
    b.add(AUTHENTICITY, "清单摘要 manifest digest", layout.PAYLOAD_MANIFEST, ok,
          "" if ok else f"sha256 differs from the one {layout.PACKAGE_FILE} states")
    if kind == "live":
        b.add(AUTHENTICITY, "签名 signature", layout.SIGNATURE_FILE, True,
              "live project check: nothing to sign")
        return
    packer = b.desc.get("packer")
    need = {f"user:{packer}", f"org:{b.keys['users'].get(packer, '?')}"}
    signed = set()
    body = canonical_json(b.desc)
    for rec in sigs:
        who = rec.get("signer") if isinstance(rec, dict) else None
        good = isinstance(rec, dict) and verify_record(rec, body) and _registered(b, rec)
        b.add(AUTHENTICITY, f"签名 signature by {who}", layout.SIGNATURE_FILE, good,
              "" if good else "does not verify over the package description with a key "
                              "on its list")
        if good:
            signed.add(who)
            if b.packer_keys:
                known = rec.get("key") in b.packer_keys
                b.add(AUTHENTICITY, f"已知密钥 key kept outside ({who})", layout.SIGNATURE_FILE,
                      known, f"key {rec.get('key')}" + ("" if known else
                                                        " is not among the keys given"))
    missing = sorted(need - signed)
    b.add(AUTHENTICITY, "打包人签名 packer's signatures", layout.SIGNATURE_FILE, not missing,
          f"missing: {', '.join(missing)}" if missing else f"{', '.join(sorted(need))}")


def _files(b: _Bag, manifest: dict[str, str]) -> None:
    payload = {f for f in b.files if f.startswith("data/")}
    for name, digest in sorted(manifest.items()):
        data = b.data(name) if name in payload else None
        if data is None:
            b.add(INTEGRITY, "文件存在 present", name, False, f"in {layout.PAYLOAD_MANIFEST}, "
                                                             "missing")
            continue
        actual = hashlib.sha256(data).hexdigest()
        b.add(AUTHENTICITY, "sha256", name, actual == digest,
              "" if actual == digest else f"is {actual[:16]}…, manifest says {digest[:16]}…")
    for name in sorted(payload - set(manifest)):
        b.add(INTEGRITY, "无多余文件 nothing else", name, False,
              f"not in {layout.PAYLOAD_MANIFEST}")


# -- what the description says ------------------------------------------------------------------


def _contents(b: _Bag) -> None:
    """Blobs and versions recompute to their ids; each version's blobs and parents are here."""
    blobs = b.desc.get("blobs") or {}
    for oid, rel in sorted(blobs.items()):
        data = b.data(rel)
        if data is None:
            b.add(INTEGRITY, "图纸文件 blob present", rel, False, f"blob {oid[:12]} missing")
            continue
        ok = sha256_hex(data) == oid
        b.add(AUTHENTICITY, "内容地址 content address", rel, ok,
              "" if ok else f"bytes do not hash to blob {oid[:12]}")
    scope = b.desc.get("scope") or {}
    needed_sheets = set(scope.get("sheets") or [])
    partial = bool(b.desc.get("final_only")) or b.desc.get("kind") == "inspect"
    versions = b.desc.get("versions") or {}
    for vid, rel in sorted(versions.items()):
        data = b.data(rel)
        if data is None:
            b.add(INTEGRITY, "版本 version present", rel, False, f"version {vid[:12]} missing")
            continue
        ok = sha256_hex(data) == vid
        b.add(AUTHENTICITY, "版本号 version id", rel, ok,
              "" if ok else "the body does not hash to its version id")
        try:
            body = orjson.loads(data)
            manifest = body["manifest"]
            parents = list(body.get("parents") or [])
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            b.add(USABILITY, "版本可读 version readable", rel, False, str(e))
            continue
        scoped = vid == b.desc.get("version") and needed_sheets
        lost = [no for no, e in manifest.items() if isinstance(e, dict)
                and (not scoped or no in needed_sheets) and e.get("blob") not in blobs]
        b.add(INTEGRITY, "版本的图纸 version's sheets", rel, not lost,
              f"blobs of {', '.join(lost[:5])} missing" if lost else "")
        if not partial:
            gone = [p[:12] for p in parents if p not in versions]
            b.add(INTEGRITY, "父版本 parents present", rel, not gone,
                  f"parents {', '.join(gone)} missing" if gone else "")
    v = b.desc.get("version")
    if v is not None or b.desc.get("kind") != "live":
        b.add(INTEGRITY, "成套版本 the set's version", f"data/versions/{v}.json", v in versions,
              "" if v in versions else "the set's version is not in the package")
    for no, s in sorted((b.desc.get("sheets") or {}).items()):
        ok = isinstance(s, dict) and s.get("blob") in blobs and blobs[s["blob"]] == s.get("file")
        b.add(INTEGRITY, f"图纸 sheet {no}", str(s.get("file") if isinstance(s, dict) else no),
              ok, "" if ok else "not among the package's blobs")


def _chain_lines(b: _Bag, rel: str) -> list[dict[str, Any]] | None:
    raw = b.data(rel)
    if raw is None:
        b.add(INTEGRITY, "审计链 audit chain", rel, False, "missing")
        return None
    out = []
    for n, line in enumerate(raw.splitlines(), start=1):
        try:
            row = orjson.loads(line)
            assert isinstance(row, dict) and isinstance(row["body"], str)
            out.append(row)
        except (orjson.JSONDecodeError, AssertionError, KeyError, TypeError):
            b.add(AUTHENTICITY, "审计事件 audit event", rel, False, f"line {n} is not an event")
            return None
    return out


def _chain(b: _Bag) -> None:
    """The chain recomputes: hashes, links, sequence, signatures by registered keys, the
    actor's and the actor's organisation's; it ends at the head the signed description
    names; the anchor file agrees; every blob an event names is in the package."""
    chain = b.desc.get("chain") or {}
    if not chain and b.desc.get("kind") == "live":
        b.add(AUTHENTICITY, "审计链 audit chain", b.rep.package, True, "no events yet")
        return
    rel = chain.get("file") or "data/audit/chain.jsonl"
    rows = _chain_lines(b, rel)
    if rows is None:
        return
    prev, problems, signatures = "0" * 64, [], 0
    have = set(b.desc.get("blobs") or {}) | {d.get("blob") for d in b.desc.get("documents") or []}
    named_missing: list[str] = []
    versions_named: set[str] = set()
    for n, row in enumerate(rows, start=1):
        body_text = row["body"]
        where = f"#{row.get('seq', n)}"
        if sha256_hex(body_text.encode()) != row.get("hash"):
            problems.append(f"{where}: 哈希不符 hash mismatch, the event was rewritten")
        try:
            body = orjson.loads(body_text)
        except orjson.JSONDecodeError:
            problems.append(f"{where}: body is not JSON")
            prev = row.get("hash")
            continue
        if body.get("seq") != n or row.get("seq") != n:
            problems.append(f"{where}: 序号不连续 sequence gap (expected #{n})")
        if body.get("prev") != prev:
            problems.append(f"{where}: 链断裂 chain broken, prev does not match #{n - 1}")
        if body.get("project") != (b.desc.get("project") or {}).get("code"):
            problems.append(f"{where}: another project's event")
        signed = set()
        for rec in row.get("signatures") or []:
            signatures += 1
            try:
                good = verify_record(rec, bytes.fromhex(row.get("hash", "")))
            except ValueError:
                good = False
            if good and _registered(b, rec):
                signed.add(rec["signer"])
            else:
                problems.append(f"{where}: 签名无效 bad signature by "
                                f"{rec.get('signer') if isinstance(rec, dict) else '?'}")
        actor = body.get("actor")
        for must in (f"user:{actor}", f"org:{b.keys['users'].get(actor, '?')}"):
            if must not in signed:
                problems.append(f"{where}: 缺少签名 no valid signature by {must}")
        payload = body.get("payload") or {}
        for key, oid in payload.items() if isinstance(payload, dict) else ():
            if key.endswith("blob") and isinstance(oid, str) and oid not in have:
                named_missing.append(f"{where} {key} {oid[:12]}")
        versions_named.add(body.get("version"))
        refs = payload.get("refs") if isinstance(payload, dict) else None
        versions_named |= set(refs.values()) if isinstance(refs, dict) else set()
        prev = row.get("hash")
    hashes = {row.get("seq"): row.get("hash") for row in rows}
    for seq, digest in b.anchors:
        ok = hashes.get(seq) == digest
        b.add(AUTHENTICITY, f"外部锚点 anchor #{seq} kept outside", rel, ok,
              "" if ok else "not in this chain: events were removed or rewritten since")
    b.add(AUTHENTICITY, f"审计链 audit chain ({len(rows)} events, {signatures} signatures)",
          rel, not problems, "; ".join(problems[:5]) + (" …" if len(problems) > 5 else ""))
    head = chain.get("head") or {}
    last = rows[-1] if rows else {}
    ok = head.get("seq") == last.get("seq") and head.get("hash") == last.get("hash")
    b.add(AUTHENTICITY, "链头锚点 head anchor", rel, ok,
          f"ends at #{last.get('seq')} {str(last.get('hash'))[:16]}" if ok else
          f"the chain ends at #{last.get('seq')}, the signed description names "
          f"#{head.get('seq')}: events were removed or rewritten")
    _reflog(b, chain.get("reflog") or "data/audit/reflog.json")
    anchor_rel = chain.get("anchor") or "data/audit/anchor.json"
    try:
        anchor = orjson.loads(b.data(anchor_rel) or b"")
        ok = anchor.get("seq") == head.get("seq") and anchor.get("hash") == head.get("hash")
    except (orjson.JSONDecodeError, AttributeError):
        ok = False
    b.add(AUTHENTICITY, "锚点文件 anchor file", anchor_rel, ok,
          "" if ok else "differs from the chain's head")
    b.add(INTEGRITY, "事件所指文件 files the events name", rel, not named_missing,
          f"missing: {', '.join(named_missing[:5])}" if named_missing else "")
    v = b.desc.get("version")
    if b.desc.get("kind") != "live":
        b.add(AUTHENTICITY, "版本有签名事件 the set's version is signed for", rel,
              v in versions_named, "" if v in versions_named else
              f"no event of the chain names version {str(v)[:12]}")


#: Refs only the workflow moves: each move is signed by its actor.
WORKFLOW_REFS = ("submitted", "approved", "current", "as-built", "archived")


def _reflog(b: _Bag, rel: str) -> None:
    """Every move of a workflow ref verifies as its actor signed it (the ref, the version, the
    time and the event, named in the move's reason), with a key on the package's list."""
    from workflow.machine import EVENT_LABELS

    try:
        moves = orjson.loads(b.data(rel) or b"")
        assert isinstance(moves, list)
    except (orjson.JSONDecodeError, AssertionError):
        b.add(AUTHENTICITY, "引用移动签名 ref moves signed", rel, False, "unreadable")
        return
    bad, checked = [], 0
    for m in moves:
        if not isinstance(m, dict) or m.get("ref") not in WORKFLOW_REFS:
            continue
        checked += 1
        try:
            rec = orjson.loads(m.get("signature") or "null")
        except orjson.JSONDecodeError:
            rec = None
        events = [n for n, label in EVENT_LABELS.items() if label == m.get("reason")]
        ok = isinstance(rec, dict) and rec.get("signer") == f"user:{m.get('actor')}" and \
            _registered(b, rec) and any(verify_record(rec, canonical_json(
                {"project": m.get("project"), "ref": m.get("ref"), "version": m.get("new"),
                 "at": m.get("at"), "event": name})) for name in events)
        if not ok:
            bad.append(f"{m.get('ref')} #{m.get('seq')}")
    b.add(AUTHENTICITY, "引用移动签名 ref moves signed", rel, not bad,
          f"not signed by their actor: {', '.join(bad[:5])}" if bad else f"{checked} moves")


def _documents(b: _Bag) -> None:
    """Each document is the blob the chain names; each 审查合格书's PDF signatures validate
    against the certificates on the package's key list."""
    from storage.errors import YitaotuError
    from workflow import certificate

    pems = {x.get("owner"): x.get("pem", "").encode() for x in b.keys["x509"]
            if isinstance(x, dict)}
    for d in b.desc.get("documents") or []:
        rel = str(d.get("file"))
        data = b.data(rel)
        if data is None:
            b.add(INTEGRITY, "文件存在 present", rel, False, "document missing")
            continue
        ok = sha256_hex(data) == d.get("blob")
        b.add(AUTHENTICITY, "内容地址 content address", rel, ok,
              "" if ok else "bytes differ from the blob the chain names")
        if d.get("kind") != "certificate":
            continue
        owners = list(d.get("signers") or [])
        try:
            results = certificate.verify(data, [pems[o] for o in owners if o in pems], name=rel)
        except YitaotuError as e:
            b.add(AUTHENTICITY, "PDF 签名 PDF signatures", rel, False, e.message)
            continue
        bad = [f"{r['field']}: {r.get('error')}" for r in results
               if not (r["intact"] and r["valid"] and r["trusted"])]
        ok = not bad and len(results) == len(owners)
        b.add(AUTHENTICITY, f"PDF 签名 PDF signatures ({len(results)})", rel, ok,
              "; ".join(bad) or ("" if ok else f"{len(results)} signatures, expected "
                                                f"{len(owners)}"))


def _catalogue(b: _Bag) -> None:
    cat = b.desc.get("catalogue") or {}
    rel = cat.get("json") or catalogue.CATALOGUE_JSON
    try:
        doc = orjson.loads(b.data(rel) or b"")
        items, volumes = list(doc["items"]), list(doc["volumes"])
    except (orjson.JSONDecodeError, KeyError, TypeError) as e:
        b.add(INTEGRITY, "目录 catalogue", rel, False, f"unreadable: {e}")
        return
    for csv_rel, rows, fields in ((cat.get("items") or catalogue.ITEMS_CSV, items,
                                   catalogue.ITEM_FIELDS),
                                  (cat.get("volumes") or catalogue.VOLUMES_CSV, volumes,
                                   catalogue.VOLUME_FIELDS)):
        try:
            got = catalogue.from_csv(b.data(csv_rel) or b"", fields)
            same = got == [{k: str(r.get(k)) for k in fields} for r in rows]
            b.add(INTEGRITY, "目录一致 CSV agrees with JSON", csv_rel, same,
                  "" if same else f"differs from {rel}")
        except (ValueError, UnicodeDecodeError) as e:
            b.add(INTEGRITY, "目录一致 CSV agrees with JSON", csv_rel, False, str(e))
    listed = [str(i.get("file")) for i in items]
    payload = {f for f in b.files if f.startswith("data/")} - set(catalogue.FILES)
    for f in sorted(set(listed) - payload):
        b.add(INTEGRITY, "目录所列文件 catalogued file present", f, False, f"named by {rel}")
    for f in sorted(payload - set(listed)):
        b.add(INTEGRITY, "已编目 catalogued", f, False, f"not in {rel}")
    dup = sorted({f for f in listed if listed.count(f) > 1})
    empty = [f"{i.get('file_no') or i.get('file')}: {k}" for i in items
             for k in catalogue.ITEM_FIELDS if i.get(k) in (None, "")]
    empty += [f"{v.get('archive_no')}: {k}" for v in volumes for k in catalogue.VOLUME_FIELDS
              if v.get(k) in (None, "")]
    b.add(INTEGRITY, "著录项齐全 every metadata item filled", rel, not empty and not dup,
          f"empty: {', '.join(empty[:5])}" if empty else
          f"listed twice: {', '.join(dup[:3])}" if dup else f"{len(items)} items")
    b.add(INTEGRITY, "编号连续 numbers without gaps", rel, *_numbering(b, volumes, items))
    b.add(INTEGRITY, "合计相符 totals match", rel, *_totals(doc, volumes, items))
    retention = [f"{i.get('file_no')}: {i.get('retention')}" for i in items
                 if i.get("retention") not in catalogue.RETENTIONS]
    b.add(INTEGRITY, "保管期限 retention periods", rel, not retention,
          f"unknown: {', '.join(retention[:5])}" if retention else "")


def _numbering(b: _Bag, volumes: list[Any], items: list[Any]) -> tuple[bool, str]:
    code = (b.desc.get("project") or {}).get("code")
    expected = [f"{code}-{n:02d}" for n in range(1, len(volumes) + 1)]
    if [v.get("archive_no") for v in volumes] != expected:
        return False, "archive numbers are not 01, 02, … in order"
    for v in expected:
        nos = [i.get("item_no") for i in items if i.get("archive_no") == v]
        if nos != list(range(1, len(nos) + 1)):
            return False, f"{v}: item numbers {nos[:8]} are not 1, 2, … in order"
        files = [i.get("file_no") for i in items if i.get("archive_no") == v]
        if files != [f"{v}-{n:03d}" for n in nos]:
            return False, f"{v}: file numbers do not follow the item numbers"
    if {i.get("archive_no") for i in items} - set(expected):
        return False, "items of a volume the catalogue does not list"
    return True, f"{len(volumes)} volumes, {len(items)} items"


def _totals(doc: dict[str, Any], volumes: list[Any], items: list[Any]) -> tuple[bool, str]:
    for v in volumes:
        mine = [i for i in items if i.get("archive_no") == v.get("archive_no")]
        pages = sum(i.get("pages") or 0 for i in mine if isinstance(i.get("pages"), int))
        if v.get("items") != len(mine) or v.get("pages") != pages:
            return False, (f"{v.get('archive_no')}: says {v.get('items')} items, "
                           f"{v.get('pages')} pages; holds {len(mine)}, {pages}")
    t = doc.get("totals") or {}
    want = {"volumes": len(volumes), "items": len(items),
            "pages": sum(v.get("pages") or 0 for v in volumes)}
    return (t == want, "" if t == want else f"totals {t} but the volumes give {want}")


# -- usability and security, file by file --------------------------------------------------------


def _usability(b: _Bag) -> None:
    import drawings
    from drawings.render import render_bytes

    blobs = (b.desc.get("blobs") or {}) if b.desc else {}
    sheet_files = set(blobs.values())
    render_files = {s.get("file"): s for s in (b.desc.get("sheets") or {}).values()
                    if isinstance(s, dict)} if b.desc else {}
    for rel in b.files:
        if not rel.startswith("data/"):
            continue
        data = b.data(rel) or b""
        if rel in sheet_files:
            _sheet_usable(b, rel, data, rel in render_files, drawings, render_bytes,
                          render_files.get(rel))
            continue
        suffix = Path(rel).suffix.lower()
        if suffix not in layout.DOCUMENT_SUFFIXES:
            b.add(USABILITY, "允许的格式 allowed format", rel, False,
                  f"{suffix or 'no suffix'} is not on the list "
                  f"({', '.join(layout.DRAWING_FORMATS + layout.DOCUMENT_SUFFIXES)})")
            continue
        if suffix == ".pdf":
            facts = inspect_pdf(data)
            b.add(USABILITY, "能打开 opens", rel, facts.opens and facts.pages > 0, facts.error)
            if facts.opens:
                b.add(USABILITY, "字体嵌入 fonts embedded", rel, not facts.fonts_missing,
                      f"not embedded: {', '.join(facts.fonts_missing)}"
                      if facts.fonts_missing else "")
        else:
            ok, why = _text_readable(data, suffix)
            b.add(USABILITY, "能读取 readable", rel, ok, why)


def _sheet_usable(b: _Bag, rel: str, data: bytes, render: bool, drawings: Any,
                  render_bytes: Any, sheet: dict[str, Any] | None) -> None:
    try:
        fmt = drawings.detect_format(data[:drawings.HEAD_SIZE], rel).format
    except Exception as e:  # our readers' refusals and anything a damaged file provokes
        b.add(USABILITY, "允许的格式 allowed format", rel, False, f"{type(e).__name__}: {e}")
        return
    b.add(USABILITY, "允许的格式 allowed format", rel, fmt in layout.DRAWING_FORMATS, fmt)
    try:
        drawing = drawings.read(data, name=Path(rel).name)
    except Exception as e:
        b.add(USABILITY, "能打开 opens", rel, False, f"{type(e).__name__}: {e}")
        return
    b.add(USABILITY, "能打开 opens", rel, True, f"{fmt}, {len(drawing.sheets)} sheets")
    if render:
        page = (sheet or {}).get("page")
        layout_name = str(page) if page and fmt == "pdf" else None
        try:
            render_bytes(drawing, "pdf", layout=layout_name)
            b.add(USABILITY, "能出图 renders", rel, True)
        except Exception as e:
            b.add(USABILITY, "能出图 renders", rel, False, f"{type(e).__name__}: {e}")


def _text_readable(data: bytes, suffix: str) -> tuple[bool, str]:
    try:
        text = data.decode("utf-8-sig")
        if suffix == ".json":
            orjson.loads(text)
        elif suffix == ".jsonl":
            for line in text.splitlines():
                orjson.loads(line)
    except (UnicodeDecodeError, orjson.JSONDecodeError) as e:
        return False, str(e)
    return True, ""


def _security(b: _Bag) -> None:
    total = 0
    for rel in b.files:
        data = b.data(rel) or b""
        total += len(data)
        problems = []
        if len(data) > layout.MAX_FILE:
            problems.append(f"{len(data)} bytes, over {layout.MAX_FILE}")
        kind = next((k for magic, k in EXECUTABLE.items() if data.startswith(magic)), None)
        if kind:
            problems.append(f"executable content ({kind})")
        if any(m in data for m in MACROS):
            problems.append("macro project (VBA)")
        if data.startswith(b"%PDF") or rel.lower().endswith(".pdf"):
            facts = inspect_pdf(data)
            if facts.active:
                problems.append(f"active content {', '.join(facts.active)}")
            if facts.encrypted:
                problems.append("encrypted")
            b.add(SECURITY, "无活动内容 no active content", rel, not problems,
                  "; ".join(problems))
        elif problems:
            b.add(SECURITY, "无可执行内容 no executable content", rel, False, "; ".join(problems))
    b.add(SECURITY, "总量 total size", b.rep.package, total <= layout.MAX_TOTAL,
          f"{total} bytes in {len(b.files)} files")
