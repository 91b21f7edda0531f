"""A drawing's entity index: fingerprints up front, entity records decoded one at a time.

A warm diff loads two indexes, compares their fingerprint arrays with numpy and decodes only
the few entities that did not match, so :func:`loads` must not touch the records.

Byte layout (little endian)::

    b"YTIX" u8 version | u32 crc32 of everything after this field | u32 len(meta) | meta JSON
    then for each sheet: fingerprints n*16 | shapes n*16 | offsets (n+1)*u32 | records
    (records: one orjson document per entity, concatenated; entity i is records[off[i]:off[i+1]])

``meta`` holds the drawing's metadata, block definitions (small, decoded eagerly) and per sheet
its name, paper, extents, handles and section sizes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from drawings.model import EMPTY_BBOX, BBox, BlockDef, Drawing, Entity, LayerInfo, Sheet
from storage.errors import IntegrityError

MAGIC = b"YTIX"
FORMAT_VERSION = 1
_HEAD = struct.Struct("<4sBII")

_TUPLE_KEYS = (
    "center",
    "location",
    "insert",
    "major_axis",
    "scale",
    "u",
    "v",
    "size",
    "view_center",
    "align_point",
)
_TUPLE_LIST_KEYS = ("points", "control_points", "fit_points", "defpoints")


def _restore_geometry(g: dict[str, Any]) -> dict[str, Any]:
    """JSON lists back into the tuples the readers produce (points compare equal again)."""
    for k in _TUPLE_KEYS:
        v = g.get(k)
        if type(v) is list:
            g[k] = tuple(v)
    for k in _TUPLE_LIST_KEYS:
        v = g.get(k)
        if type(v) is list:
            g[k] = [tuple(p) for p in v]
    if "paths" in g:
        g["paths"] = [[tuple(p) for p in path] for path in g["paths"]]
    if "items" in g:
        g["items"] = [_item(it) for it in g["items"]]
    return g


def _item(it: list) -> tuple:
    return tuple(x if not isinstance(x, list) else tuple(x) for x in it)


def _record(e: Entity) -> list:
    return [
        e.kind,
        e.layer,
        e.handle,
        e.geometry,
        e.text,
        e.style,
        e.attribs or None,
        e.xdata,
        list(e.bbox) if e.bbox[0] <= e.bbox[2] else None,
        e.anchor,
        e.fingerprint,
        e.shape,
    ]


def _entity(r: list) -> Entity:
    kind, layer, handle, geometry, text, style, attribs, xdata, bbox, anchor, fp, shape = r
    return Entity(
        kind=kind,
        layer=layer,
        handle=handle,
        geometry=_restore_geometry(geometry),
        text=text,
        style=style,
        attribs=attribs or {},
        xdata=xdata,
        bbox=tuple(bbox) if bbox else EMPTY_BBOX,
        anchor=tuple(anchor),
        fingerprint=fp,
        shape=shape,
    )


def _bbox_out(b: BBox) -> list | None:
    return list(b) if b[0] <= b[2] else None


def _bbox_in(b: list | None) -> BBox:
    return tuple(b) if b else EMPTY_BBOX


@dataclass(slots=True)
class SheetIndex:
    """One sheet's fingerprints (numpy ``S16``) plus lazily decoded entity records."""

    name: str
    paper: dict[str, Any] | None
    extents: BBox
    fingerprints: np.ndarray
    shapes: np.ndarray
    handles: list[str | None]
    _offsets: np.ndarray = field(repr=False)
    _records: memoryview = field(repr=False)
    _source: str = field(default="", repr=False)

    def __len__(self) -> int:
        return len(self.handles)

    def entity(self, i: int) -> Entity:
        """Decode entity ``i`` only."""
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        try:
            return _entity(orjson.loads(self._records[a:b]))
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as e:
            raise IntegrityError(
                f"{self._source}: corrupt index record {i} of {self.name}: {e}"
            ) from None

    def entities(self) -> list[Entity]:
        return [self.entity(i) for i in range(len(self))]

    def to_sheet(self) -> Sheet:
        return Sheet(self.name, self.entities(), paper=self.paper, extents=self.extents)


@dataclass(slots=True)
class DrawingIndex:
    """The metadata of a :class:`Drawing` and one :class:`SheetIndex` per sheet."""

    path: str
    format: str
    version: str
    units: str
    title: dict[str, str]
    layers: dict[str, LayerInfo]
    blocks: dict[str, BlockDef]
    warnings: list[str]
    sheets: list[SheetIndex]
    linetypes: dict[str, Any] = field(default_factory=dict)

    def sheet(self, name: str) -> SheetIndex:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_drawing(self) -> Drawing:
        """Everything decoded: for consumers that want the plain model back."""
        return Drawing(
            self.path,
            self.format,
            self.version,
            self.units,
            [s.to_sheet() for s in self.sheets],
            blocks=self.blocks,
            layers=self.layers,
            linetypes=self.linetypes,
            title=self.title,
            warnings=self.warnings,
        )


def _fp_array(values: list[str]) -> np.ndarray:
    if not values:
        return np.zeros(0, dtype="S16")
    return np.frombuffer(bytes.fromhex("".join(v or "0" * 32 for v in values)), dtype="S16")


def build(drawing: Drawing) -> DrawingIndex:
    """An in-memory index of a read drawing (fingerprints must be set: use ``drawings.read``)."""
    return loads(dumps(drawing), drawing.path)


def dumps(obj: Drawing | DrawingIndex) -> bytes:
    """Serialise a drawing (or an index) to the byte layout described in the module docstring."""
    if isinstance(obj, DrawingIndex):
        obj = obj.to_drawing()
    d = obj
    sections: list[bytes] = []
    sheets_meta = []
    for s in d.sheets:
        recs = [orjson.dumps(_record(e)) for e in s.entities]
        offsets = np.zeros(len(recs) + 1, dtype="<u4")
        if recs:
            np.cumsum([len(r) for r in recs], out=offsets[1:])
        fps = _fp_array([e.fingerprint for e in s.entities]).tobytes()
        shapes = _fp_array([e.shape for e in s.entities]).tobytes()
        body = b"".join(recs)
        sections += [fps, shapes, offsets.tobytes(), body]
        sheets_meta.append(
            {
                "name": s.name,
                "paper": s.paper,
                "extents": _bbox_out(s.extents),
                "n": len(recs),
                "records": len(body),
                "handles": [e.handle for e in s.entities],
            }
        )
    meta = {
        "path": d.path,
        "format": d.format,
        "version": d.version,
        "units": d.units,
        "title": d.title,
        "warnings": d.warnings,
        "linetypes": d.linetypes,
        "layers": {
            k: [v.name, v.color, v.linetype, v.lineweight, v.on, v.frozen, v.plot]
            for k, v in d.layers.items()
        },
        "blocks": {
            k: [b.base_point, b.fingerprint, [_record(e) for e in b.entities]]
            for k, b in d.blocks.items()
        },
        "sheets": sheets_meta,
    }
    meta_b = orjson.dumps(meta)
    payload = struct.pack("<I", len(meta_b)) + meta_b + b"".join(sections)
    return MAGIC + bytes([FORMAT_VERSION]) + struct.pack("<I", zlib.crc32(payload)) + payload


def loads(data: bytes, name: str) -> DrawingIndex:
    """Parse an index made by :func:`dumps`; entity records stay encoded until asked for.

    Corrupt or truncated bytes raise :class:`IntegrityError` naming ``name``.
    """
    mv = memoryview(data)
    if len(data) < _HEAD.size or bytes(mv[:4]) != MAGIC:
        raise IntegrityError(f"{name}: not a yitaotu drawing index")
    magic, ver, crc, meta_len = _HEAD.unpack_from(mv, 0)
    if ver != FORMAT_VERSION:
        raise IntegrityError(f"{name}: unsupported index format version {ver}")
    if zlib.crc32(mv[9:]) != crc:
        raise IntegrityError(f"{name}: index checksum mismatch (corrupt or truncated)")
    pos = _HEAD.size
    try:
        meta = orjson.loads(mv[pos : pos + meta_len])
        pos += meta_len
        sheets = []
        for sm in meta["sheets"]:
            n, nrec = sm["n"], sm["records"]
            fps = np.frombuffer(mv, dtype="S16", count=n, offset=pos)
            pos += 16 * n
            shapes = np.frombuffer(mv, dtype="S16", count=n, offset=pos)
            pos += 16 * n
            offsets = np.frombuffer(mv, dtype="<u4", count=n + 1, offset=pos)
            pos += 4 * (n + 1)
            records = mv[pos : pos + nrec]
            pos += nrec
            if len(records) != nrec or len(sm["handles"]) != n:
                raise ValueError("section sizes do not add up")
            sheets.append(
                SheetIndex(
                    sm["name"],
                    sm["paper"],
                    _bbox_in(sm["extents"]),
                    fps,
                    shapes,
                    sm["handles"],
                    offsets,
                    records,
                    name,
                )
            )
        layers = {k: LayerInfo(*v) for k, v in meta["layers"].items()}
        blocks = {
            k: BlockDef(k, tuple(bp), [_entity(r) for r in recs], fp)
            for k, (bp, fp, recs) in meta["blocks"].items()
        }
    except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as e:
        raise IntegrityError(f"{name}: corrupt drawing index: {e}") from None
    if pos != len(data):
        raise IntegrityError(f"{name}: corrupt drawing index: {len(data) - pos} trailing bytes")
    return DrawingIndex(
        meta["path"],
        meta["format"],
        meta["version"],
        meta["units"],
        meta["title"],
        layers,
        blocks,
        meta["warnings"],
        sheets,
        meta.get("linetypes") or {},
    )
