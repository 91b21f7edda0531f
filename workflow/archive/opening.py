"""Opening a package for the checks: a directory as it is, a zip only after every member's
name, type, size and encryption flag was looked at (安全性) and only the harmless ones were
taken out.  Anything else is reported, never raised."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

from workflow.archive import layout
from workflow.archive.report import INTEGRITY, SECURITY, Report

#: A member inflating more than this many times its packed size, past 8 MiB, is a zip bomb.
MAX_RATIO, RATIO_FLOOR = 100, 8 << 20


def unzip(path: Path, into: Path, rep: Report) -> Path | None:
    """Extract the bag folder of zip ``path`` into ``into``; its root, or None."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        rep.add(INTEGRITY, "能打开 package opens", path.name, False, f"not a zip: {e}")
        return None
    with z:
        members = z.infolist()
        tops = {m.filename.split("/", 1)[0] for m in members}
        top = tops.pop() if len(tops) == 1 else None
        rep.add(INTEGRITY, "单一根目录 one bag folder", path.name, top is not None,
                "" if top else f"members under {len(tops) + 1} top-level names")
        total, bad = 0, 0
        for m in members:
            name = m.filename
            why = layout.unsafe_path(name)
            mode = m.external_attr >> 16
            if why is None and stat.S_ISLNK(mode):
                why = "symbolic link"
            if why is None and m.flag_bits & 0x1:
                why = "encrypted member"
            if why is None and m.file_size > layout.MAX_FILE:
                why = f"{m.file_size} bytes, over {layout.MAX_FILE}"
            if why is None and m.file_size > RATIO_FLOOR and \
                    m.file_size > MAX_RATIO * max(m.compress_size, 1):
                why = f"inflates {m.file_size // max(m.compress_size, 1)}×: a zip bomb"
            total += m.file_size
            if why is None and total > layout.MAX_TOTAL:
                why = f"the package passes {layout.MAX_TOTAL} bytes inflated here"
            if why is not None:
                bad += 1
                rep.add(SECURITY, "安全的成员 safe member", name, False, why)
                continue
            if m.is_dir() or top is None or not name.startswith(top + "/"):
                continue
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(m) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        rep.add(SECURITY, "总量 total size", path.name, total <= layout.MAX_TOTAL,
                f"{total} bytes inflated")
        if not bad:
            rep.add(SECURITY, "安全的成员 safe members", path.name, True,
                    f"{len(members)} names: no traversal, absolute name, link or encryption")
    return into / top if top else None


def walk(root: Path, rep: Report) -> list[str]:
    """Every regular file under ``root`` as a ``/`` path; links and special files are
    reported and left out."""
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            rep.add(SECURITY, "非链接 no links", rel, False, "symbolic link")
        elif p.is_file():
            out.append(rel)
        elif not p.is_dir():
            rep.add(SECURITY, "普通文件 regular file", rel, False, "special file")
    return out
