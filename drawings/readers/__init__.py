"""Readers: any supported file (by its bytes) into a :class:`drawings.model.Drawing`."""

from __future__ import annotations

from pathlib import Path

from drawings.detect import HEAD_SIZE, detect_format
from drawings.gcpause import paused_gc
from drawings.model import Drawing
from storage.display import clip, display_path
from storage.errors import FileFormatError, YitaotuError

#: Bump whenever fingerprints or geometry produced by any reader change: caches keyed on it.
READER_VERSION = "yitaotu-read/6"


def load_source(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    """The bytes of a file (or the bytes given) and the label errors name it by.

    Only a regular file of at most ``YITAOTU_MAX_UPLOAD`` bytes is read (a FIFO would block,
    a device never end); a name that is not UTF-8 is shown with ``\\xff`` escapes."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "<bytes>"
    from drawings.sources import UploadLimits, read_regular

    label = name or display_path(source)
    return read_regular(source, label, UploadLimits.from_env().per_file), label


def read(source: str | Path | bytes, *, name: str | None = None) -> Drawing:
    """Read a DXF (ASCII or binary), DWG (R13+) or PDF into the neutral model.

    The format comes from the bytes.  Damaged DXF goes through ``ezdxf.recover`` (findings in
    ``Drawing.warnings``); anything unreadable raises :class:`FileFormatError` naming the file.
    """
    data, label = load_source(source, name)
    info = detect_format(data[:HEAD_SIZE], label)
    if info.format == "ifc":
        raise FileFormatError(label, "an IFC model, not a drawing sheet / IFC 模型不是图纸 "
                                     "(models are read with drawings.read_model)")
    from drawings.readers.common import finish

    # Hundreds of thousands of small objects and no cycles: the cyclic GC would only rescan
    # them over and over (it more than doubles the time), so it pauses while we read.
    with paused_gc():
        try:
            if info.format in ("dxf", "dxf-binary"):
                drawing = _read_dxf(data, label, binary=info.format == "dxf-binary")
            elif info.format == "dwg":
                from drawings.readers.dwg import read_dwg

                drawing = read_dwg(data, label, info.version)
            else:
                from drawings.readers.pdf import read_pdf

                drawing = read_pdf(data, label)
            drawing.path = label
            finish(drawing)
            from drawings.titleblock import fill_title

            fill_title(drawing)
        except YitaotuError:
            raise
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as e:  # a reader bug must still name the file, never a bare traceback
            reason = f"cannot read {info.format}: {type(e).__name__}: {clip(e)}"
            raise FileFormatError(label, reason) from e
    return drawing


def _read_dxf(data: bytes, label: str, *, binary: bool) -> Drawing:
    from drawings.readers import dxf_fast

    warnings: list[str] = []
    try:
        if binary:
            codes, vals, version = dxf_fast.binary_tags(data, label)
        else:
            codes, vals, version = dxf_fast.text_tags(data, warnings, label)
        drawing = dxf_fast.read_tags(codes, vals, label, version)
    except dxf_fast.DXFDamaged as e:
        from drawings.readers.dxf_ezdxf import read_recover

        return read_recover(data, label, str(e))
    drawing.warnings[:0] = warnings
    return drawing
