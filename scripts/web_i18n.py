"""Refresh the web's zh catalogue: extract every marked string of web/ (code and templates),
merge it into web/translations/zh/LC_MESSAGES/messages.po keeping the translations made, and
compile messages.mo.  Run after adding strings, translate the new (empty) ones, run again.

    .venv/bin/python scripts/web_i18n.py          # extract, merge, compile
    .venv/bin/python scripts/web_i18n.py --check  # exit 1 if a string has no translation
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

WEB = Path(__file__).resolve().parent.parent / "web"
PO = WEB / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def extract() -> Catalog:
    cat = Catalog()
    for _name, _line, msg, _comments, _ctx in extract_from_dir(
            str(WEB), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}):
        cat.add(msg)
    return cat


def load() -> Catalog:
    if not PO.is_file():
        return Catalog(locale="zh_Hans_CN")
    with PO.open("rb") as f:
        return read_po(f, locale="zh_Hans_CN")


def untranslated(po: Catalog, template: Catalog) -> list[str]:
    return [str(m.id) for m in template if m.id and not (po.get(m.id) and po.get(m.id).string)]


def main(argv: list[str]) -> int:
    template, po = extract(), load()
    if "--check" in argv:
        missing = untranslated(po, template)
        for m in missing:
            print(f"untranslated: {m!r}")
        return 1 if missing else 0
    po.update(template, no_fuzzy_matching=True)
    po.obsolete.clear()
    PO.parent.mkdir(parents=True, exist_ok=True)
    for path, writer in ((PO, write_po), (PO.with_suffix(".mo"), write_mo)):
        buf = io.BytesIO()
        writer(buf, po, **({"omit_header": False, "width": 100} if writer is write_po else {}))
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
    print(f"{PO}: {len(po)} strings, {len(untranslated(po, template))} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
