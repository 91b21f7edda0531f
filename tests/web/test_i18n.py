"""Every user-facing string of web/ goes through the catalogue and has its Chinese."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_every_marked_string_is_translated() -> None:
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "web_i18n.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_compiled_catalogue_matches_the_po() -> None:
    """messages.mo is what scripts/web_i18n.py compiles from messages.po (none forgot it)."""
    with PO.open("rb") as f:
        po = read_po(f, locale="zh_Hans_CN")
    with PO.with_suffix(".mo").open("rb") as f:
        mo = read_mo(f)
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}
    buf = io.BytesIO()
    write_mo(buf, po)  # the .po itself is readable and compiles
    assert buf.getvalue()
