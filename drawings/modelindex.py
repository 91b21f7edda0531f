"""A BIM model's element index: header facts plus one fingerprinted record per IfcProduct.

Made once at ingest (reading IFC with IfcOpenShell takes seconds for a large model), so a
model diff, a check run or a plan view's labels load a few hundred KB of JSON instead of
parsing the model again.

Byte layout::

    b"YTIM" u8 version | u32 crc32 of the rest | zlib(orjson({"header": …, "elements": […]}))

Each element record (see :class:`Element`) holds what the diff compares: class, attributes,
type, container, aggregate, world placement (metres), a digest of its representation graph,
property sets and quantities, openings / fillings, materials, classification references, and
two digests: ``fingerprint`` (everything but identities: equal content at an equal place) and
``key`` (class + name + type + placement + geometry: how an element is found again when an
export regenerated every GlobalId).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from storage.errors import IntegrityError

MAGIC = b"YTIM"
FORMAT_VERSION = 1
_HEAD = struct.Struct("<4sBI")
#: A model index inflates to at most this much (a 1 GiB IFC indexes to far less).
MAX_INFLATED = 1 << 30


@dataclass(slots=True)
class Element:
    guid: str
    cls: str
    name: str | None
    #: Direct scalar attributes (Name, Description, ObjectType, Tag, PredefinedType, Elevation…).
    attrs: dict[str, Any] = field(default_factory=dict)
    #: ``{"guid", "cls", "name"}`` of the IfcTypeObject, or None.
    type: dict[str, Any] | None = None
    #: ``{"guid", "cls", "name"}`` of the spatial container (storey, space), or None.
    container: dict[str, Any] | None = None
    #: ``{"guid", "cls", "name"}`` of the whole this element is part of (aggregates, nests).
    aggregate: dict[str, Any] | None = None
    #: World placement: 4x4 row-major matrix, translation in metres.
    placement: list[float] | None = None
    #: Digest of the representation graph (None: no shape).
    geometry: str | None = None
    #: ``{pset or qto name: {property: value}}`` (type properties inherited).
    psets: dict[str, dict[str, Any]] = field(default_factory=dict)
    openings: list[str] = field(default_factory=list)
    #: The opening this element (a door, a window) fills.
    fills: str | None = None
    materials: list[str] = field(default_factory=list)
    classification: list[str] = field(default_factory=list)
    fingerprint: str = ""
    key: str = ""

    @property
    def position(self) -> tuple[float, float, float] | None:
        """The placement's origin (metres, world)."""
        if not self.placement:
            return None
        p = self.placement
        return (p[3], p[7], p[11])


@dataclass(slots=True)
class ModelIndex:
    """What :func:`drawings.ifcread.read_model` found: header facts and the elements."""

    path: str
    schema: str
    header: dict[str, Any]
    elements: list[Element]

    def by_guid(self) -> dict[str, Element]:
        return {e.guid: e for e in self.elements}

    def storeys(self) -> list[dict[str, Any]]:
        return list(self.header.get("storeys") or [])


def dumps(model: ModelIndex) -> bytes:
    """Serialise to the byte layout in the module docstring (deterministic)."""
    doc = {"path": model.path, "schema": model.schema, "header": model.header,
           "elements": [asdict(e) for e in model.elements]}
    body = zlib.compress(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS), 6)
    return _HEAD.pack(MAGIC, FORMAT_VERSION, zlib.crc32(body)) + body


def is_model_index(data: bytes) -> bool:
    return data[:4] == MAGIC


def loads(data: bytes, name: str) -> ModelIndex:
    """Parse :func:`dumps` output; damaged bytes raise :class:`IntegrityError` naming ``name``."""
    if len(data) < _HEAD.size or data[:4] != MAGIC:
        raise IntegrityError(f"{name}: not a yitaotu model index")
    _magic, ver, crc = _HEAD.unpack_from(data, 0)
    if ver != FORMAT_VERSION:
        raise IntegrityError(f"{name}: unsupported model index version {ver} (rebuild it)")
    body = memoryview(data)[_HEAD.size:]
    if zlib.crc32(body) != crc:
        raise IntegrityError(f"{name}: model index checksum mismatch (corrupt or truncated)")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(body, MAX_INFLATED)
        if inflater.unconsumed_tail:
            raise ValueError("inflates past its limit")
        doc = orjson.loads(raw)
        elements = [Element(**e) for e in doc["elements"]]
        return ModelIndex(doc["path"], doc["schema"], doc["header"], elements)
    except (zlib.error, orjson.JSONDecodeError, ValueError, TypeError, KeyError) as e:
        raise IntegrityError(f"{name}: corrupt model index: {e}") from None
