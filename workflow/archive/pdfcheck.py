"""What the four checks ask of a PDF: it opens, every font is embedded (a reader decades from
now has none of ours), and it holds no active content (JavaScript, launch actions, embedded
files, forms that submit) and no encryption."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: PDF names that make a document act rather than show (ISO 32000: actions, attachments).
ACTIVE = ("JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA",
          "SubmitForm", "ImportData", "Sound", "Movie")
_ACTIVE_RE = re.compile(r"/(" + "|".join(ACTIVE) + r")(?=[\s/<>\[\]()]|$)")
#: Raw-byte spellings looked for too, in case a damaged file hides objects from the parser.
_RAW = (b"/JavaScript", b"/Launch", b"/EmbeddedFile")


@dataclass
class PdfFacts:
    opens: bool = True
    error: str = ""
    pages: int = 0
    encrypted: bool = False
    fonts_missing: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)


def inspect_pdf(data: bytes) -> PdfFacts:
    import pymupdf

    facts = PdfFacts()
    found = {m.decode() for m in _RAW if m in data}
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # PyMuPDF raises its own FileDataError, RuntimeError, …
        facts.opens, facts.error = False, f"{type(e).__name__}: {e}"
        facts.active = sorted(found)
        return facts
    try:
        facts.encrypted = bool(doc.is_encrypted or doc.needs_pass)
        if not facts.encrypted:
            facts.encrypted = doc.xref_get_key(-1, "Encrypt")[0] != "null"
        facts.pages = doc.page_count
        for x in range(1, doc.xref_length()):
            try:
                obj = doc.xref_object(x, compressed=True)
            except Exception:  # a broken object: its neighbours still count
                continue
            found.update("/" + m for m in _ACTIVE_RE.findall(obj))
        if not facts.encrypted:
            for page in doc:
                for _xref, ext, kind, base, _name, _enc, *_ in page.get_fonts(full=True):
                    if ext == "n/a" and kind != "Type3" and base not in facts.fonts_missing:
                        facts.fonts_missing.append(base)
    finally:
        doc.close()
    facts.active = sorted(found)
    return facts
