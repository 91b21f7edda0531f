"""A drawing's entity index: fingerprints up front, entity records decoded one at a time.

A warm diff loads two indexes, compares their fingerprint arrays with numpy and decodes only
the few entities that did not match, so :func:`loads` touches no entity record (nor block
definition) until asked.

Byte layout (little endian)::

    b"YTIX" u8 version | u32 crc32 of everything after this field | u32 len(meta) | meta JSON
    then one table per sheet and one for all block entities, each:
        fingerprints n*16 | shapes n*16 | bboxes n*4*f64 | anchors n*2*f64 |
        offsets (n+1)*u32 | handles JSON | records
    (records: one orjson array per entity, concatenated; entity i is records[off[i]:off[i+1]])

``meta`` holds the drawing's metadata, per table its sizes, and per block its name, base
point, fingerprint and slice of the block table.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import orjson

from drawings.gcpause import paused_gc
from drawings.model import EMPTY_BBOX, BBox, BlockDef, Drawing, Entity, LayerInfo, Point, Sheet
from storage.errors import IntegrityError

MAGIC = b"YTIX"
FORMAT_VERSION = 2
_HEAD = struct.Struct("<4sBII")

_TUPLE_KEYS = ("center", "location", "insert", "start", "direction", "major_axis", "scale", "u",
               "v", "size", "view_center", "align_point")  # fmt: skip
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
        g["items"] = [
            tuple(x if type(x) is not list else tuple(x) for x in it) for it in g["items"]
        ]
    return g


class _Table:
    """Parallel arrays and encoded records of a list of entities (one sheet, or all blocks)."""

    __slots__ = ("fingerprints", "shapes", "bboxes", "anchors", "_offsets", "_records",
                 "_handles_raw", "_handles", "_source", "_label")  # fmt: skip

    def __init__(self, fps, shapes, bboxes, anchors, offsets, handles_raw, records, source, label):
        self.fingerprints: np.ndarray = fps
        self.shapes: np.ndarray = shapes
        self.bboxes: np.ndarray = bboxes
        self.anchors: np.ndarray = anchors
        self._offsets = offsets
        self._handles_raw = handles_raw
        self._handles: list[str | None] | None = None
        self._records = records
        self._source = source
        self._label = label

    def __len__(self) -> int:
        return len(self.fingerprints)

    @property
    def handles(self) -> list[str | None]:
        if self._handles is None:
            self._handles = orjson.loads(self._handles_raw)
        return self._handles

    def entity(self, i: int) -> Entity:
        """Decode entity ``i`` only."""
        n = len(self.fingerprints)
        if not -n <= i < n:
            raise IndexError(i)
        i %= n
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        try:
            kind, layer, handle, geometry, text, style, attribs, xdata = orjson.loads(
                self._records[a:b]
            )
            box = self.bboxes[i]
            anchor = self.anchors[i]
            return Entity(
                kind, layer, handle, _restore_geometry(geometry), text, style, attribs or {},
                xdata, (float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                (float(anchor[0]), float(anchor[1])),
                self.fingerprints[i].tobytes().ljust(16, b"\0").hex(),
                self.shapes[i].tobytes().ljust(16, b"\0").hex(),
            )  # fmt: skip
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as e:
            raise IntegrityError(
                f"{self._source}: corrupt index record {i} of {self._label}: {e}"
            ) from None

    def entities(self, start: int = 0, stop: int | None = None) -> list[Entity]:
        return [self.entity(i) for i in range(start, len(self) if stop is None else stop)]


class SheetIndex(_Table):
    """One sheet's fingerprints (numpy ``S16``, raw digests) plus lazily decoded records.

    ``fingerprints``/``shapes`` are ``S16`` arrays in entity order (compare them with numpy;
    ``.tobytes().hex()`` of an element gives ``Entity.fingerprint``), ``bboxes`` is ``(n, 4)``
    float64, ``anchors`` ``(n, 2)``, ``handles`` a list, ``entity(i)`` decodes one record.
    """

    __slots__ = ("name", "paper", "extents")

    def __init__(self, name: str, paper: dict | None, extents: BBox, *table: Any) -> None:
        super().__init__(*table)
        self.name = name
        self.paper = paper
        self.extents = extents

    def __repr__(self) -> str:
        return f"SheetIndex({self.name!r}, {len(self)} entities)"

    def to_sheet(self) -> Sheet:
        return Sheet(self.name, self.entities(), paper=self.paper, extents=self.extents)


class BlockIndex:
    """A block definition whose entities are decoded on first use (duck-types BlockDef)."""

    __slots__ = ("name", "base_point", "fingerprint", "_table", "_start", "_stop", "_entities")

    def __init__(self, name: str, base_point: Point, fingerprint: str, table: _Table,
                 start: int, stop: int) -> None:  # fmt: skip
        self.name = name
        self.base_point = base_point
        self.fingerprint = fingerprint
        self._table = table
        self._start, self._stop = start, stop
        self._entities: list[Entity] | None = None

    @property
    def entities(self) -> list[Entity]:
        if self._entities is None:
            self._entities = self._table.entities(self._start, self._stop)
        return self._entities

    def to_blockdef(self) -> BlockDef:
        return BlockDef(self.name, self.base_point, self.entities, self.fingerprint)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BlockIndex | BlockDef):
            return (self.name, self.base_point, self.fingerprint, self.entities) == (
                other.name, other.base_point, other.fingerprint, other.entities,
            )  # fmt: skip
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"BlockIndex({self.name!r}, {self._stop - self._start} entities)"


class DrawingIndex:
    """The metadata of a :class:`Drawing` and one :class:`SheetIndex` per sheet."""

    __slots__ = ("path", "format", "version", "units", "title", "layers", "blocks", "warnings",
                 "sheets", "linetypes", "text_styles", "dim_styles", "header")  # fmt: skip

    def __init__(self, path: str, format: str, version: str, units: str, title: dict[str, str],
                 layers: dict[str, LayerInfo], blocks: Mapping[str, BlockIndex],
                 warnings: list[str], sheets: list[SheetIndex],
                 linetypes: dict[str, Any] | None = None,
                 text_styles: dict[str, Any] | None = None,
                 dim_styles: dict[str, Any] | None = None,
                 header: dict[str, Any] | None = None) -> None:  # fmt: skip
        self.path, self.format, self.version, self.units = path, format, version, units
        self.title, self.layers, self.blocks, self.warnings = title, layers, blocks, warnings
        self.sheets, self.linetypes = sheets, linetypes or {}
        self.text_styles = text_styles or {}
        self.dim_styles, self.header = dim_styles or {}, header or {}

    def __repr__(self) -> str:
        return f"DrawingIndex({self.path!r}, {[s.name for s in self.sheets]})"

    def sheet(self, name: str) -> SheetIndex:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_drawing(self) -> Drawing:
        """Everything decoded: for consumers that want the plain model back."""
        return Drawing(
            self.path, self.format, self.version, self.units, [s.to_sheet() for s in self.sheets],
            blocks={k: b.to_blockdef() for k, b in self.blocks.items()}, layers=self.layers,
            linetypes=self.linetypes, text_styles=self.text_styles, title=self.title,
            warnings=self.warnings, dim_styles=self.dim_styles, header=self.header,
        )  # fmt: skip


# --------------------------------------------------------------------------- writing


def _fp_bytes(values: Iterator[str]) -> bytes:
    return bytes.fromhex("".join(v or "0" * 32 for v in values))


def _table_bytes(entities: list[Entity]) -> tuple[list[bytes], dict[str, int]]:
    recs = [
        orjson.dumps(
            [e.kind, e.layer, e.handle, e.geometry, e.text, e.style, e.attribs or None, e.xdata]
        )  # fmt: skip
        for e in entities
    ]
    n = len(recs)
    offsets = np.zeros(n + 1, dtype="<u4")
    if recs:
        np.cumsum([len(r) for r in recs], out=offsets[1:])
    body = b"".join(recs)
    if len(body) >= 1 << 32:
        raise ValueError("drawing too large for an index (records over 4 GiB)")
    bboxes = np.array([e.bbox for e in entities], dtype="<f8").reshape(n, 4)
    anchors = np.array([e.anchor for e in entities], dtype="<f8").reshape(n, 2)
    handles = orjson.dumps([e.handle for e in entities])
    parts = [
        _fp_bytes(e.fingerprint for e in entities),
        _fp_bytes(e.shape for e in entities),
        bboxes.tobytes(),
        anchors.tobytes(),
        offsets.tobytes(),
        handles,
        body,
    ]
    return parts, {"n": n, "handles": len(handles), "records": len(body)}


def build(drawing: Drawing) -> DrawingIndex:
    """An in-memory index of a read drawing (fingerprints must be set: use ``drawings.read``)."""
    return loads(dumps(drawing), drawing.path)


def dumps(obj: Drawing | DrawingIndex) -> bytes:
    """Serialise a drawing (or an index) to the byte layout described in the module docstring."""
    if isinstance(obj, DrawingIndex):
        obj = obj.to_drawing()
    d = obj
    with paused_gc():
        sections: list[bytes] = []
        sheets_meta = []
        for s in d.sheets:
            parts, sizes = _table_bytes(s.entities)
            sections += parts
            ext = list(s.extents) if s.extents[0] <= s.extents[2] else None
            sheets_meta.append({"name": s.name, "paper": s.paper, "extents": ext, **sizes})
        block_ents: list[Entity] = []
        blocks_meta = []
        for name, b in d.blocks.items():
            start = len(block_ents)
            block_ents += b.entities
            blocks_meta.append([name, list(b.base_point), b.fingerprint, start, len(block_ents)])
        parts, block_sizes = _table_bytes(block_ents)
        sections += parts
        meta = {
            "path": d.path, "format": d.format, "version": d.version, "units": d.units,
            "title": d.title, "warnings": d.warnings, "linetypes": d.linetypes,
            "text_styles": d.text_styles, "dim_styles": d.dim_styles, "header": d.header,
            "layers": {k: [v.name, v.color, v.linetype, v.lineweight, v.on, v.frozen, v.plot,
                           v.transparency] for k, v in d.layers.items()},
            "sheets": sheets_meta, "blocks": blocks_meta, "block_table": block_sizes,
        }  # fmt: skip
        meta_b = orjson.dumps(meta, option=orjson.OPT_SERIALIZE_NUMPY)
        payload = b"".join([struct.pack("<I", len(meta_b)), meta_b, *sections])
        crc = zlib.crc32(payload)
        return b"".join([MAGIC, bytes([FORMAT_VERSION]), struct.pack("<I", crc), payload])


# --------------------------------------------------------------------------- reading


class _Reader:
    def __init__(self, mv: memoryview, pos: int, source: str) -> None:
        self.mv, self.pos, self.source = mv, pos, source

    def take(self, size: int) -> memoryview:
        if self.pos + size > len(self.mv):
            raise ValueError("section runs past the end")
        out = self.mv[self.pos : self.pos + size]
        self.pos += size
        return out

    def table(self, sizes: dict[str, int], label: str) -> tuple:
        n = sizes["n"]
        fps = np.frombuffer(self.take(16 * n), dtype="S16")
        shapes = np.frombuffer(self.take(16 * n), dtype="S16")
        bboxes = np.frombuffer(self.take(32 * n), dtype="<f8").reshape(n, 4)
        anchors = np.frombuffer(self.take(16 * n), dtype="<f8").reshape(n, 2)
        offsets = np.frombuffer(self.take(4 * (n + 1)), dtype="<u4")
        handles = self.take(sizes["handles"])
        records = self.take(sizes["records"])
        if n and int(offsets[-1]) != len(records):
            raise ValueError(f"record offsets of {label} do not match its size")
        return fps, shapes, bboxes, anchors, offsets, handles, records, self.source, label


def loads(data: bytes, name: str) -> DrawingIndex:
    """Parse an index made by :func:`dumps`; entity records stay encoded until asked for.

    Corrupt or truncated bytes raise :class:`IntegrityError` naming ``name``.
    """
    mv = memoryview(data)
    if len(data) < _HEAD.size or bytes(mv[:4]) != MAGIC:
        raise IntegrityError(f"{name}: not a yitaotu drawing index")
    _magic, ver, crc, meta_len = _HEAD.unpack_from(mv, 0)
    if ver != FORMAT_VERSION:
        raise IntegrityError(f"{name}: unsupported index format version {ver} (rebuild it)")
    if zlib.crc32(mv[9:]) != crc:
        raise IntegrityError(f"{name}: index checksum mismatch (corrupt or truncated)")
    with paused_gc():
        try:
            r = _Reader(mv, _HEAD.size, name)
            meta = orjson.loads(r.take(meta_len))
            sheets = []
            for sm in meta["sheets"]:
                table = r.table(sm, sm["name"])
                ext = tuple(sm["extents"]) if sm["extents"] else EMPTY_BBOX
                sheets.append(SheetIndex(sm["name"], sm["paper"], ext, *table))
            btable = _Table(*r.table(meta["block_table"], "block definitions"))
            blocks = {
                bname: BlockIndex(bname, tuple(bp), fp, btable, start, stop)
                for bname, bp, fp, start, stop in meta["blocks"]
            }
            layers = {k: LayerInfo(*v) for k, v in meta["layers"].items()}
            if r.pos != len(data):
                raise ValueError(f"{len(data) - r.pos} trailing bytes")
            return DrawingIndex(
                meta["path"], meta["format"], meta["version"], meta["units"], meta["title"], layers,
                blocks, meta["warnings"], sheets, meta.get("linetypes") or {},
                meta.get("text_styles") or {}, meta.get("dim_styles") or {},
                meta.get("header") or {},
            )  # fmt: skip
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as e:
            raise IntegrityError(f"{name}: corrupt drawing index: {e}") from None
