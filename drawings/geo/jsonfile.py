"""JSON files in and out: read with an error naming the file, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from storage.display import clip
from storage.errors import FileFormatError, NotFound

#: A GeoJSON or exchange file larger than this is refused before it is read.
MAX_BYTES = 64 * 1024 * 1024


def read_json(path: str | Path, what: str = "JSON") -> Any:
    """The parsed content of ``path``; a missing, oversized or corrupt file is refused with
    its name."""
    p = Path(path)
    try:
        if not p.is_file():
            raise NotFound(f"文件不存在 no such file: {p}")
        if p.stat().st_size > MAX_BYTES:
            raise FileFormatError(str(p), f"larger than {MAX_BYTES} bytes")
        data = p.read_bytes()
    except OSError as e:
        raise NotFound(f"{p}: {e.strerror or e}") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise FileFormatError(str(p), f"无效的 {what} not valid {what}: {clip(e)}"
                              ) from None


def write_json(path: str | Path, data: Any) -> Path:
    """``data`` as indented JSON at ``path`` via a temp file and a rename."""
    body = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
