"""Damaged DXF: let ``ezdxf.recover`` repair what it can, then read the repaired tags.

The repaired document is written back out as ASCII DXF and parsed by the fast reader, so a
recovered file fingerprints exactly like an intact one; the auditor's findings become
``Drawing.warnings``.
"""

from __future__ import annotations

import io

from drawings.model import Drawing
from drawings.readers.dxf_fast import DXFDamaged, read_tags, split_tags
from storage.display import clip
from storage.errors import FileFormatError

#: At most this many auditor findings are copied into ``Drawing.warnings``.
MAX_WARNINGS = 50


def read_recover(data: bytes, name: str, reason: str) -> Drawing:
    from ezdxf import recover
    from ezdxf.lldxf.const import DXFError

    try:
        doc, auditor = recover.read(io.BytesIO(data))
    except (
        DXFError,
        UnicodeDecodeError,
        ValueError,
        IndexError,
        KeyError,
        TypeError,
        AttributeError,
        EOFError,
    ) as e:
        raise FileFormatError(
            name, f"damaged DXF that cannot be recovered: {clip(e or reason)}"
        ) from None
    stream = io.StringIO()
    try:
        doc.write(stream)
        codes, vals = split_tags(stream.getvalue())
        drawing = read_tags(codes, vals, name, doc.dxfversion)
    except (DXFError, DXFDamaged, ValueError, TypeError, AttributeError) as e:
        raise FileFormatError(
            name, f"damaged DXF that cannot be recovered: {clip(e)}"
        ) from None
    notes = [f"recovered damaged DXF ({clip(reason)}) / 已修复损坏的 DXF"]
    for entry in list(auditor.errors)[:MAX_WARNINGS]:
        notes.append(f"audit: {clip(entry.message)}")
    fixes = len(auditor.fixes)
    if fixes:
        notes.append(f"audit: {fixes} fixes applied")
    drawing.warnings[:0] = notes
    return drawing
