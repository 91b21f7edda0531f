"""Block references replayed from the flattener's per-block recording draw exactly what a
first (recorded) expansion of the same reference draws."""

from __future__ import annotations

import numpy as np

from drawings.model import BlockDef, Drawing, Entity, LayerInfo, Sheet
from drawings.render.flatten import flatten


def _block() -> BlockDef:
    return BlockDef(
        "B",
        (5.0, 5.0),
        [
            Entity("LINE", "0", None, {"points": [(0, 0), (900, 0)]}, style={"color": 0}),
            Entity(
                "ARC",
                "0",
                None,
                {"center": (0, 0), "radius": 900.0, "start_angle": 0.0, "end_angle": 90.0},
            ),
            Entity(
                "LWPOLYLINE",
                "L2",
                None,
                {"points": [(0, 0, 0.5), (100, 0, -1.0), (200, 50, 0.0)], "closed": True},
            ),
            Entity(
                "LINE", "0", None, {"points": [(0, 10), (500, 10)]}, style={"linetype": "DASHED"}
            ),
            Entity("TEXT", "0", None, {"insert": (0, -200), "height": 100.0}, text="门 M1"),
            Entity(
                "ATTDEF",
                "0",
                None,
                {"insert": (0, -400), "height": 100.0},
                text="",
                attribs={"NO": ""},
            ),
        ],
    )


def _insert(x, y, *, layer="L1", rot=0.0, scale=(1.0, 1.0), color=None, no="M1") -> Entity:
    style = {"color": color} if color is not None else {}
    geometry = {"block": "B", "insert": (x, y), "rotation": rot, "scale": scale}
    return Entity("INSERT", layer, None, geometry, style=style, attribs={"NO": no})


def _drawing(entities) -> Drawing:
    layers = {
        "0": LayerInfo("0"),
        "L1": LayerInfo("L1", color=1),
        "L2": LayerInfo("L2", color=3),
        "OFF": LayerInfo("OFF", color=5, on=False),
    }
    return Drawing(
        "hand.dxf", "dxf", "AC1032", "mm", [Sheet("Model", entities)], blocks={"B": _block()},
        layers=layers,
    )  # fmt: skip


def test_replayed_references_equal_first_expansions():
    refs = [
        _insert(0, 0),
        _insert(1000, 0, rot=90.0, no="M2"),
        _insert(2000, 500, scale=(-1.0, 1.0)),  # mirrored, same scale
        _insert(0, 3000, scale=(2.0, 2.0)),  # another scale: its own tolerance and dashes
        _insert(3000, 3000, rot=30.0, scale=(2.0, 2.0), color=4),  # its own colour
        _insert(5000, 0, layer="OFF"),  # layer-0 entities on a hidden layer
        _insert(6000, 0, layer="OFF", rot=45.0),
        _insert(7000, 0, rot=180.0),
    ]
    whole = flatten(_drawing(refs), Sheet("Model", refs), tol=0.5)
    # each reference alone, in a fresh flattener: always the first (recorded) expansion
    alone = [flatten(_drawing([r]), Sheet("Model", [r]), tol=0.5) for r in refs]
    for key, group in whole.strokes.items():
        coords = [c for dl in alone if key in dl.strokes for c in dl.strokes[key].coords]
        counts = [k for dl in alone if key in dl.strokes for k in dl.strokes[key].counts]
        assert group.counts == counts
        np.testing.assert_allclose(group.coords, coords, rtol=0, atol=1e-9)
    assert set(whole.strokes) == {k for dl in alone for k in dl.strokes}
    texts = [t for dl in alone for t in dl.texts]
    assert [(t.text, t.rgb) for t in whole.texts] == [(t.text, t.rgb) for t in texts]
    np.testing.assert_allclose(
        [t.matrix for t in whole.texts], [t.matrix for t in texts], rtol=0, atol=1e-9
    )
    assert {t.text for t in whole.texts} == {"门 M1", "M1", "M2"}
    # the hidden layer takes the layer-0 entities of its references, not the others
    assert len(whole.strokes) > 2 and any(k[0] == (0.0, 1.0, 0.0) for k in whole.strokes)
