"""BagIt bags written here instead of by ``bagit.make_bag`` and ``Bag.save``: both change the
working directory of the whole process while they run, which a threaded server (the web's
inspector pull, jobs in worker threads) cannot allow.  What is written is what bagit 1.9
writes (BagIt 0.97, sha256 manifests); the library still reads and validates it."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import date
from pathlib import Path

_BLOCK = 1 << 20
_TAGMANIFEST = re.compile(r"^tagmanifest-.+\.txt$")
_NEWLINES = re.compile(r"[\r\n]")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def _name(path: Path, root: Path) -> str:
    """A manifest name: relative, with '/', CR and LF percent-encoded as BagIt asks."""
    return path.relative_to(root).as_posix().replace("\r", "%0D").replace("\n", "%0A")


def _files(root: Path, *, payload: bool) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == root:
            if payload:
                dirnames[:] = ["data"] if "data" in dirnames else []
                continue
            dirnames[:] = [d for d in dirnames if d != "data"]
        found.extend(here / f for f in filenames)
    return sorted(found)


def make_bag(bag_dir: Path, bag_info: dict[str, str]) -> None:
    """Move ``bag_dir``'s contents into ``data/`` and write the tag files around them."""
    temp = Path(tempfile.mkdtemp(dir=bag_dir))
    for entry in list(bag_dir.iterdir()):
        if entry != temp:
            entry.rename(temp / entry.name)
    temp.rename(bag_dir / "data")
    (bag_dir / "data").chmod(bag_dir.stat().st_mode & 0o7777)
    total = count = 0
    lines = []
    for path in _files(bag_dir, payload=True):
        total += path.stat().st_size
        count += 1
        lines.append(f"{_sha256(path)}  {_name(path, bag_dir)}\n")
    (bag_dir / "manifest-sha256.txt").write_text("".join(lines), encoding="utf-8")
    (bag_dir / "bagit.txt").write_text(
        "BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8")
    info = {"Bagging-Date": date.today().isoformat(), "Bag-Software-Agent": "yitaotu",
            **bag_info, "Payload-Oxum": f"{total}.{count}"}
    (bag_dir / "bag-info.txt").write_text(
        "".join(f"{k}: {_NEWLINES.sub('', str(info[k]))}\n" for k in sorted(info)),
        encoding="utf-8")
    write_tagmanifest(bag_dir)


def write_tagmanifest(bag_dir: Path) -> None:
    """(Re)write ``tagmanifest-sha256.txt`` over every tag file: after adding one."""
    lines = [f"{_sha256(p)} {_name(p, bag_dir)}\n" for p in _files(bag_dir, payload=False)
             if not _TAGMANIFEST.match(p.name) or p.parent != bag_dir]
    (bag_dir / "tagmanifest-sha256.txt").write_text("".join(lines), encoding="utf-8")
