"""One read-only view over a sheet, whether fully decoded or a stored fingerprint index.

The engine needs per entity only a fingerprint and a handle up front; everything else is
decoded on demand (``entity(i)``), so a warm diff from two ``SheetIndex`` decodes just the
entities that did not match exactly.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np

from drawings.model import BBox, Drawing, Entity, Sheet


def fp_array(fps: Any) -> np.ndarray:
    """Fingerprints as a contiguous numpy ``S16`` array (16 raw bytes each)."""
    if isinstance(fps, np.ndarray) and fps.dtype == np.dtype("S16"):
        return np.ascontiguousarray(fps)
    fps = list(fps)
    if not fps:
        return np.zeros(0, dtype="S16")
    try:
        raw = bytes.fromhex("".join(fps))
        if len(raw) == 16 * len(fps):
            return np.frombuffer(raw, dtype="S16")
    except (TypeError, ValueError):
        pass
    return np.frombuffer(b"".join(_fp16(f) for f in fps), dtype="S16")


def _fp16(fp: Any) -> bytes:
    b = fp_bytes(fp)
    return b if len(b) == 16 else hashlib.blake2b(b, digest_size=16).digest()


def fp_bytes(fp: Any) -> bytes:
    """Fingerprints as 16 raw bytes whatever their spelling (hex str, numpy bytes)."""
    if isinstance(fp, bytes):
        return fp
    if isinstance(fp, str):
        try:
            return bytes.fromhex(fp)
        except ValueError:
            return fp.encode()
    return bytes(fp)


@dataclass
class SheetView:
    name: str
    fingerprints: np.ndarray  # "S16"
    handles: Sequence[str | None]
    entity: Callable[[int], Entity]
    extents: BBox | None = None
    paper: dict[str, Any] | None = None
    #: All anchors as an (n, 2) array, computed on demand (for a robust sheet scale).
    anchors: Callable[[], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.fingerprints)


def view_of_sheet(sheet: Sheet, handle_fix: dict[int, str] | None = None) -> SheetView:
    """``handle_fix`` (``id(entity)`` -> handle): entities shared with another drawing that
    have another handle in this one (see ``drawings.readers.pair.read_pair_shared``)."""
    ents = sheet.entities
    ext = sheet.extents if all(math.isfinite(v) for v in sheet.extents) else None
    if handle_fix:
        handles = [handle_fix.get(id(e), e.handle) for e in ents]

        def entity(i: int) -> Entity:
            e = ents[i]
            h = handle_fix.get(id(e))
            return e if h is None else replace(e, handle=h)
    else:
        handles = [e.handle for e in ents]
        entity = ents.__getitem__
    return SheetView(
        name=sheet.name,
        fingerprints=fp_array([e.fingerprint for e in ents]),
        handles=handles,
        entity=entity,
        extents=ext,
        paper=sheet.paper,
        anchors=lambda: _anchors(ents),
    )


def _anchors(ents: list[Entity]) -> np.ndarray:
    """All anchors as an (n, 2) array (one flat pass: numpy is slow on lists of tuples)."""
    try:
        flat = np.fromiter(chain.from_iterable(map(attrgetter("anchor"), ents)), dtype=float,
                           count=2 * len(ents))
        return flat.reshape(-1, 2)
    except ValueError:  # an anchor that is not a pair
        return np.array([e.anchor[:2] for e in ents], dtype=float).reshape(-1, 2)


def view_of_index_sheet(sheet: Any) -> SheetView:
    """A ``drawings.index.SheetIndex`` (fingerprints "S16" array, handles, ``entity(i)``)."""
    fps = fp_array(sheet.fingerprints)
    handles = sheet.handles
    if hasattr(handles, "tolist"):
        handles = handles.tolist()
    if any(isinstance(h, bytes) for h in handles[:1]):
        handles = [h.decode() or None for h in handles]
    ext = getattr(sheet, "extents", None)
    if ext is not None and not all(math.isfinite(v) for v in ext):
        ext = None
    return SheetView(
        name=sheet.name,
        fingerprints=fps,
        handles=handles,
        entity=sheet.entity,
        extents=tuple(ext) if ext is not None else None,
        paper=getattr(sheet, "paper", None),
        anchors=(lambda: np.asarray(sheet.anchors, dtype=float).reshape(-1, 2))
        if getattr(sheet, "anchors", None) is not None else None,
    )


def sheet_views(src: Any, handle_fix: dict[int, str] | None = None) -> list[SheetView]:
    """Views for a ``Drawing`` or a ``DrawingIndex``."""
    if isinstance(src, Drawing):
        return [view_of_sheet(s, handle_fix) for s in src.sheets]
    return [view_of_index_sheet(s) for s in src.sheets]


def block_fingerprints(src: Any) -> dict[str, str]:
    """Block name -> definition digest, for a ``Drawing`` or a ``DrawingIndex``."""
    blocks = getattr(src, "blocks", None) or {}
    out: dict[str, str] = {}
    for name, b in blocks.items():
        fp = getattr(b, "fingerprint", b)
        out[name] = fp if isinstance(fp, str) else fp_bytes(fp).hex()
    return out
