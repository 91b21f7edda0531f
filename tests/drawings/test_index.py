"""Entity index: round trip, lazy decoding, numpy fingerprints, corruption."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import numpy as np
import pytest

import drawings
from drawings import index
from drawings.model import Drawing
from storage.errors import IntegrityError
from tests.drawings.test_readers import build_sample


@pytest.fixture(scope="module")
def drawing(tmp_path_factory: pytest.TempPathFactory) -> Drawing:
    doc = ezdxf.new("R2018", setup=True)
    build_sample(doc)
    lay = doc.layouts.new("出图")
    lay.add_text("图号：S-01").set_placement((10, 10))
    path = tmp_path_factory.mktemp("ix") / "s.dxf"
    doc.saveas(path)
    return drawings.read(path)


def test_round_trip(drawing: Drawing) -> None:
    data = index.dumps(drawing)
    ix = index.loads(data, "s.idx")
    assert (ix.path, ix.format, ix.version, ix.units) == (
        drawing.path, drawing.format, drawing.version, drawing.units,
    )  # fmt: skip
    assert ix.title == drawing.title == {"number": "S-01"}
    assert ix.layers == drawing.layers and ix.warnings == drawing.warnings
    assert ix.blocks.keys() == drawing.blocks.keys()
    for name, b in drawing.blocks.items():
        assert ix.blocks[name] == b
    assert [s.name for s in ix.sheets] == [s.name for s in drawing.sheets]
    assert ix.blocks["DOOR"].entities == drawing.blocks["DOOR"].entities
    assert ix.to_drawing().blocks == drawing.blocks
    for s, sheet in zip(ix.sheets, drawing.sheets, strict=True):
        assert len(s) == len(sheet) and s.paper == sheet.paper and s.extents == sheet.extents
        assert s.entities() == sheet.entities
        assert s.handles == [e.handle for e in sheet]
        assert s.fingerprints.dtype == np.dtype("S16") and s.bboxes.shape == (len(s), 4)
        assert [tuple(b) for b in s.bboxes] == [e.bbox for e in sheet]
        assert [bytes(x).ljust(16, b"\0").hex() for x in s.fingerprints] == [
            e.fingerprint for e in sheet
        ]
    assert index.dumps(ix) == data  # an index serialises to the same bytes
    assert index.build(drawing).sheets[0].entities() == drawing.sheets[0].entities


def test_fingerprint_arrays_compare_with_numpy(drawing: Drawing, tmp_path: Path) -> None:
    doc = ezdxf.new("R2018", setup=True)
    build_sample(doc, order_seed=3, burn_handles=11)
    doc.modelspace().add_line((5, 5), (6, 6))
    path = tmp_path / "other.dxf"
    doc.saveas(path)
    a = index.build(drawing).sheet("Model")
    b = index.build(drawings.read(path)).sheet("Model")
    unmatched = np.flatnonzero(~np.isin(b.fingerprints, a.fingerprints))
    assert [b.entity(int(i)).geometry for i in unmatched] == [{"points": [(5.0, 5.0), (6.0, 6.0)]}]


def test_loads_decodes_lazily(drawing: Drawing) -> None:
    data = bytearray(index.dumps(drawing))
    sheet = drawing.sheet("Model")
    i = next(k for k, e in enumerate(sheet) if e.kind == "MTEXT")
    # spoil one record in place (same length) but keep the checksum right: loads must not
    # notice, only decoding that record does
    start = bytes(data).index(b'["MTEXT","A-TEXT"')  # the model-space MTEXT record
    data[start : start + 2] = b"[{"
    import struct
    import zlib

    struct.pack_into("<I", data, 5, zlib.crc32(bytes(data[9:])))
    ix = index.loads(bytes(data), "s.idx")
    model = ix.sheet("Model")
    assert model.entity(0) == sheet.entities[0]
    with pytest.raises(IntegrityError, match=f"s.idx: corrupt index record {i}"):
        model.entity(i)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda b: b[:-10],
        lambda b: b[:20],
        lambda b: b"",
        lambda b: b"XXXX" + b[4:],
        lambda b: b[:200] + bytes([b[200] ^ 0xFF]) + b[201:],
        lambda b: b + b"tail",
    ],
    ids=["truncated", "head-only", "empty", "magic", "bit-flip", "trailing"],
)
def test_corrupt_index_raises_integrity_error(drawing: Drawing, spoil) -> None:
    data = spoil(index.dumps(drawing))
    with pytest.raises(IntegrityError, match="sheet-A101.idx"):
        index.loads(data, "sheet-A101.idx")


def test_empty_drawing(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    path = tmp_path / "empty.dxf"
    doc.saveas(path)
    d = drawings.read(path)
    ix = index.loads(index.dumps(d), "e")
    assert len(ix.sheet("Model")) == 0 and ix.sheet("Model").fingerprints.shape == (0,)
