"""A staging directory made into a BagIt bag, described and signed, then put in place whole:
a directory or a zip, written beside the target and renamed, so a crash leaves no half
package under the name asked for."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from storage.errors import InvalidInput, StorageUnavailable
from workflow.archive import bagging, catalogue, layout
from workflow.archive.contents import Staging, json_bytes
from workflow.signing import KeyRing, canonical_json


def check_target(out: str | os.PathLike[str]) -> Path:
    """The package path: its parent must exist and nothing may be there yet (a package is
    never overwritten: an archive keeps what it received)."""
    path = Path(out)
    if path.exists() or path.is_symlink():
        raise InvalidInput(f"{path}: 已存在 already exists; a package is never overwritten")
    if not path.parent.is_dir():
        raise InvalidInput(f"{path.parent}: 目录不存在 no such directory")
    return path


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A temporary directory beside ``out`` (same file system: the final rename is atomic),
    removed whatever happens."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as e:
        raise StorageUnavailable(f"{out.parent}: 无法写入 cannot write: {e.strerror}") from e
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def new_description(kind: str, st_project: Any, *, created: str, packer: str | None,
                    organisation: str | None) -> dict[str, Any]:
    return {"type": layout.PACKAGE_TYPE, "kind": kind,
            "project": {"code": st_project.code, "name": st_project.name},
            "created": created, "packer": packer, "organisation": organisation,
            "final_only": False, "version": None, "at": None, "scope": None,
            "sheets": {}, "renders": {}, "versions": {}, "blobs": {}, "documents": [],
            "opinions": None, "chain": None, "keys": None, "catalogue": None}


def write_catalogue(st: Staging, volume_titles: tuple[str, ...]) -> dict[str, Any]:
    doc = catalogue.build(st.project.code, list(volume_titles), st.entries)
    for path, data in {**catalogue.csv_files(doc),
                       catalogue.CATALOGUE_JSON: json_bytes(doc)}.items():
        target = st.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    st.desc["catalogue"] = {"volumes": catalogue.VOLUMES_CSV, "items": catalogue.ITEMS_CSV,
                            "json": catalogue.CATALOGUE_JSON}
    return doc


def finish(st: Staging, out: Path, *, keys: KeyRing | None, signers: list[str],
           bag_info: dict[str, str], self_check: bool = False) -> dict[str, Any]:
    """Bag the staging directory, describe and sign it, and put it at ``out`` (``.zip``: a
    zip of the bag under one folder, as BagIt serialisation asks).  With ``self_check`` the
    four checks run on the finished bag and their report goes in as the tag file
    :data:`layout.REPORT_FILE` (the checker's word about the package, outside what the
    packer signs; any verifier recomputes it)."""
    import bagit

    payload = st.root / "data"
    bag_dir = st.root.parent / f"{st.root.name}.bag"
    payload.rename(bag_dir)  # make_bag moves the directory's contents into data/ itself
    try:
        bagging.make_bag(bag_dir, bag_info)
        manifest = (bag_dir / layout.PAYLOAD_MANIFEST).read_bytes()
        st.desc["payload_manifest_sha256"] = hashlib.sha256(manifest).hexdigest()
        (bag_dir / layout.PACKAGE_FILE).write_bytes(json_bytes(st.desc))
        sigs = [keys.sign(owner, canonical_json(st.desc)) for owner in signers] \
            if keys is not None else []
        (bag_dir / layout.SIGNATURE_FILE).write_bytes(json_bytes({"signatures": sigs}))
        bagging.write_tagmanifest(bag_dir)  # now covering our two tag files
        bag = bagit.Bag(str(bag_dir))
        report = None
        if self_check:
            from workflow.archive.verify import verify_package

            report = verify_package(bag_dir)
            report.package = out.name
            (bag_dir / layout.REPORT_FILE).write_bytes(json_bytes(report.to_dict()))
            bagging.write_tagmanifest(bag_dir)
        final = _place(bag_dir, out)
    finally:
        shutil.rmtree(bag_dir, ignore_errors=True)
    return {"path": str(final), "files": len(st.entries), "oxum": bag.info.get("Payload-Oxum"),
            "payload_manifest_sha256": st.desc["payload_manifest_sha256"],
            "signed_by": [s["signer"] for s in sigs],
            "report": report.to_dict() if report is not None else None}


def _place(bag_dir: Path, out: Path) -> Path:
    if out.suffix.lower() != ".zip":
        os.replace(bag_dir, out)
        return out
    top = out.stem
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for f in sorted(p for p in bag_dir.rglob("*") if p.is_file()):
                z.write(f, f"{top}/{f.relative_to(bag_dir).as_posix()}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def read_description(root: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The package description and its signatures (ValueError naming the file if unreadable)."""
    out = []
    for name in (layout.PACKAGE_FILE, layout.SIGNATURE_FILE):
        try:
            doc = orjson.loads((root / name).read_bytes())
        except FileNotFoundError:
            raise ValueError(f"{name}: 缺失 missing") from None
        except orjson.JSONDecodeError as e:
            raise ValueError(f"{name}: 无法解析 not JSON ({e})") from None
        if not isinstance(doc, dict):
            raise ValueError(f"{name}: 不是对象 not a JSON object")
        out.append(doc)
    sigs = out[1].get("signatures")
    return out[0], sigs if isinstance(sigs, list) else []
