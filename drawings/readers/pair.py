"""Read two revisions of one ASCII DXF together, parsing each shared entity text only once.

Two revisions of a drawing share most entities tag for tag; a re-save by the same program may
renumber handles (and so owners).  What the reader makes of an entity depends only on its own
text and on its context -- the layer it resolves to, the text styles, the block definitions it
references -- so wherever an entity of the new file has the text of one in the old file (up
to its leading handle and owner/reactor tags, see ``_SPLIT``) and that context is equal in
both files, the new :class:`~drawings.model.Drawing` reuses the old file's finished entity
(a copy with the new handle where that differs) instead of parsing and fingerprinting it
again.  Everything else (header, tables, blocks, layouts, every other entity) is read by the
ordinary tag reader, so both drawings equal what :func:`drawings.read` gives (entity order,
handles, fingerprints, boxes, sheet extents); only the title block is not filled (a diff does
not use it).  When little is shared, most of the new file is parsed: about the cost of two
separate reads, with the same result.

The ENTITIES section is cut into entity texts at the C level (``re.split``) a piece at a time,
and parsed in batches, which keeps the memory of texts and tag lists small.

Block definitions are shared the same way: a definition of the new file whose text equals the
old one's up to leading handles and owners is taken from the old drawing (a copy of its
entities with the new handles where they differ) and is neither parsed nor finished again,
provided the layers and text styles are equal and every block it references is shared too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from drawings.detect import BINARY_DXF_SENTINEL
from drawings.gcpause import paused_gc
from drawings.model import BlockDef, Drawing, Entity
from drawings.readers import dxf_fast
from drawings.readers.common import FinishContext, finish_blocks, sheet_extents

#: Entity kinds read from their proxy picture (``dxf_fast._proxy_graphic``).
_PICTURE_KINDS = ("MULTILEADER", "MLEADER", "ACAD_PROXY_ENTITY")


def _has_pictures(text: str) -> bool:
    """Whether an entity of a :data:`_PICTURE_KINDS` kind is in ``text`` (``str.find`` per
    kind: a regex over a whole big file costs a tenth of a second)."""
    for kind in _PICTURE_KINDS:
        word = f"\n{kind}\n"
        i = text.find(word)
        while i >= 0:
            line = text.rfind("\n", 0, i)
            if text[line + 1 : i].strip() == "0":  # the kind follows a 0 tag: an entity
                return True
            i = text.find(word, i + 1)
    return False
#: Section starts, found by their literal name (fast) and checked line by line.
_SECTION = re.compile(
    r"SECTION[ \t]*\n[ \t]*2[ \t]*\n[ \t]*(ENTITIES|TABLES|BLOCKS)[ \t]*\n")
#: Where a block definition starts in the BLOCKS section (a line with letters after a 0 line
#: is always a type line: group-code lines are digits only).
_BLOCK = re.compile(r"(?=\n[ \t]*0[ \t]*\nBLOCK[ \t]*\n)")
_LAYOUT_BLOCKS = ("*MODEL_SPACE", "*PAPER_SPACE")
#: Values of group codes 2 (block name), 7 (text style), 8 (layer): the context references.
#: A misaligned hit (a value line "8") only adds a candidate, so this is a safe superset.
_REFS = re.compile(r"\n[ \t]*([278])[ \t]*\n([^\n]*)")
#: One entity start: the 0 tag, the entity type (a line with a letter: group-code lines are
#: digits only, so a value "0" followed by the next code never matches), and, when the
#: entity starts with its handle (5), that handle and the owner / reactor / extension
#: dictionary tags after it (330, 360, whole ``102 {ACAD_...}`` groups): they name objects,
#: not content, and change when a program renumbers handles.  Matched from a true entity
#: start, so the tags are read in step; each unit starts with its newline, so what is left
#: (the rest of the entity) always starts with one too.
_SPLIT = re.compile(
    r"\n[ \t]*0[ \t]*\n([^\n]*[A-Za-z_][^\n]*)"
    r"(?:\n[ \t]*5[ \t]*\n([^\n]*)"
    r"(?:\n[ \t]*(?:330|360)[ \t]*\n[^\n]*"
    r"|\n[ \t]*102[ \t]*\n\{ACAD_(?:REACTORS|XDICTIONARY)[ \t]*"
    r"(?:\n[ \t]*(?:330|360)[ \t]*\n[^\n]*)*\n[ \t]*102[ \t]*\n\}[ \t]*)*)?"
)
#: Where a piece of the ENTITIES text may end: before an entity that is no part of a sequence.
_CUT = re.compile(r"\n[ \t]*0[ \t]*\n(?![ \t]*(?:VERTEX|SEQEND|ATTRIB)[ \t]*(?:\n|$))"
                  r"(?=[^\n]*[A-Za-z_])")
#: Characters of the ENTITIES text cut into entity texts at a time.
PIECE = 1 << 21
#: Entity texts parsed per batch (bounds the memory of the tag lists).
BATCH = 16384

Result = tuple[Entity, bool] | None  # (entity, in paper space), None: no entity
Key = tuple[str, bool, int, int]
#: (type lines, texts, leading handles, chunk counts) of entity groups
_Groups = tuple[list[str], list[str], list[str | None], list[int]]


class NotApplicable(Exception):
    """The pair cannot take the shared path (binary, unusual layout): read each file alone."""


class _Side:
    """One file: its reader (state of everything but the ENTITIES section) and the section's
    text, cut into entity texts piece by piece (their strings never all exist at once)."""

    def __init__(self, source: bytes | Path, label: str, old: _Side | None = None) -> None:
        self.label = label
        #: the text of each uniquely named block definition (old side)
        self.block_texts: dict[str, str] = {}
        self.warnings: list[str] = []
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        if data.startswith(BINARY_DXF_SENTINEL):
            raise NotApplicable("binary DXF")
        text, version = dxf_fast.decode_text(data, self.warnings, label)
        del data
        if "\r" in text[:4096]:
            text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise NotApplicable("mixed line ends")
        if _has_pictures(text):
            # their saved picture becomes a block while the entity is read (dxf_fast), which
            # the block sharing and finishing done here ahead of the entities do not know of
            raise NotApplicable("entities drawn from a proxy picture")
        found = [m for m in _SECTION.finditer(text) if _after_zero(text, m.start())]
        names = [m.group(1) for m in found]
        if names.count("ENTITIES") != 1 or names.count("TABLES") > 1:
            raise NotApplicable("not exactly one ENTITIES section")
        if "TABLES" in names and names.index("TABLES") > names.index("ENTITIES"):
            raise NotApplicable("TABLES after ENTITIES")
        body_start = found[names.index("ENTITIES")].end()
        end = _endsec(text, body_start)
        # from the newline that ends the ENTITIES line: every entity then starts with "\n"
        self.body = text[body_start - 1 : end] if end >= body_start else ""
        head = text[:body_start] + text[end + 1 :]
        removed: dict[str, Any] = {}
        order: list[str] = []
        block_pieces: dict[str, str] = {}
        if names.count("BLOCKS") == 1 and names.index("BLOCKS") < names.index("ENTITIES"):
            b0 = found[names.index("BLOCKS")].end()
            b1 = _endsec(text, b0)
            if b0 <= b1 < body_start:
                pieces = _BLOCK.split(text[b0 - 1 : b1])
                if not pieces[0].strip():
                    kept = self._blocks(pieces[1:], old, removed, order)
                    if removed:
                        block_pieces = {n: p for p in pieces[1:]
                                        if (n := _block_name(p)) in removed}
                        head = (text[:b0] + ("".join(kept) + text[b1:body_start])[1:]
                                + text[end + 1 :])
        del text
        codes, vals = dxf_fast.split_tags(head)
        del head
        self.reader = r = dxf_fast.DXFTagReader(codes, vals, label, version)
        r.scan()
        del codes, vals
        known = (self._share_blocks(old, removed, order, block_pieces)
                 if old is not None and removed else {})
        blocks = {n: b for n, b in r.blocks.items() if not n.upper().startswith(_LAYOUT_BLOCKS)}
        self.ctx: FinishContext = finish_blocks(
            SimpleNamespace(blocks=blocks, text_styles=r.text_styles),  # type: ignore[arg-type]
            known)
        self.blocks_shared = len(known)

    def _blocks(self, pieces: list[str], old: _Side | None, removed: dict[str, Any],
                order: list[str]) -> list[str]:
        """Block texts to parse.  The old side keeps, per uniquely named block, its text up
        to leading handles/owners (see ``_SPLIT``) and those handles; the new side leaves out
        (into ``removed``: name -> (text, handles)) the blocks whose text equals the old one,
        to take the old definitions instead.  ``order`` gets the names in file order."""
        named = [(_block_name(p), p) for p in pieces]
        if any(n is None for n, _ in named):
            return pieces  # a definition not understood here: the tag reader reads them all
        count: dict[str | None, int] = {}
        for name, _ in named:
            count[name] = count.get(name, 0) + 1
        order += [n for n, _ in named if n is not None]
        unique = {n: _block_key(p) for n, p in named
                  if count[n] == 1 and not n.upper().startswith(_LAYOUT_BLOCKS)}  # type: ignore
        if old is None:
            self.block_texts = unique  # type: ignore[assignment]
            return pieces
        for n, (key, handles) in unique.items():
            was = old.block_texts.get(n)
            if key is not None and was is not None and was[0] == key:
                removed[n] = (was[1], handles)
        return [p for n, p in named if n not in removed]

    def _share_blocks(self, old: _Side, removed: dict[str, Any], order: list[str],
                      pieces: dict[str, str]) -> dict[str, tuple[str, Any]]:
        """Put the old definitions of the ``removed`` blocks into the new reader, in file
        order (with the new file's handles); returns (digest, box) of those shared.  A
        definition is shared when it reads and finishes the same in both files: the layer and
        text style tables are equal and every block it references is shared too; otherwise
        its text is parsed here after all."""
        r, ro = self.reader, old.reader
        share = set()
        if ro.layers == r.layers and ro._layers_ci == r._layers_ci \
                and ro.text_styles == r.text_styles \
                and not any("unreadable" in w for w in ro.warnings):  # (warnings as read)
            share = {n for n in removed if n in ro.blocks}
            refs = {n: {e.geometry.get("block") for e in ro.blocks[n].entities
                        if e.kind in ("INSERT", "DIMENSION")} - {None, ""} for n in share}
            changed = True
            while changed:
                bad = {n for n in share if not refs[n] <= share}
                share -= bad
                changed = bool(bad)
        maps: dict[str, dict[str, str]] = {}
        for n in list(share):
            old_h, new_h = removed[n]
            hmap: dict[str, str] = {}
            for a, b in zip(old_h, new_h, strict=True):
                if a is not None and a != b and hmap.setdefault(a, b) != b:
                    share.discard(n)  # handles that do not map one to one: parse it
                    break
            else:
                if hmap:
                    maps[n] = hmap
        again = [pieces[n] for n in removed if n not in share]
        if again:
            codes, vals = dxf_fast.split_tags("".join(again)[1:])
            zeros = dxf_fast._indexes_of_zero(codes)
            n_zeros = len(zeros)
            zeros.append(len(codes))
            r.c, r.v, r._zeros = codes, vals, zeros
            r._blocks(0, n_zeros)
            r.c = r.v = r._zeros = []  # type: ignore[assignment]
        parsed = r.blocks
        blocks: dict[str, BlockDef] = {}
        for name in order:
            if name in share:
                b = ro.blocks[name]
                hmap = maps.get(name)
                if hmap:
                    b = BlockDef(b.name, b.base_point, [
                        e if e.handle not in hmap else e.with_handle(hmap[e.handle])
                        for e in b.entities], b.fingerprint)
                blocks[name] = b
                r.block_flags[name] = ro.block_flags.get(name, 0)
                if ro.skipped:
                    _count_opaque(b.entities, r.skipped)
            elif name in parsed and name not in blocks:
                blocks[name] = parsed[name]
        blocks.update((k, b) for k, b in parsed.items() if k not in blocks)
        r.blocks = blocks
        ctx = old.ctx
        return {n: (ctx.block_fps[n], ctx.block_boxes[n]) for n in share}

    def pieces(self) -> Iterator[_Groups]:
        """The entity groups of the ENTITIES section, a piece of the text at a time (cut
        before an entity that is no part of a sequence)."""
        body = self.body
        n = len(body)
        pos = 0
        one: dict[str, str] = {}
        while pos < n:
            end = pos + PIECE
            if end >= n:
                end = n
            else:
                m = _CUT.search(body, end)
                end = m.start() if m else n
            parts = _SPLIT.split(body[pos:end])
            pos = end
            if parts[0]:
                raise NotApplicable("ENTITIES does not start with a 0 tag")
            kinds = [one.setdefault(k, k) for k in parts[1::3]]  # one string per type
            handles, rests = parts[2::3], parts[3::3]
            del parts
            # (an entity text with an odd number of lines cannot go unnoticed: parsed, it puts
            # the next entity's type where a group code must be; reused, it equals a parsed one)
            yield _groups([k.strip() for k in kinds], kinds, handles, rests)
        self.body = ""

    def parse(self, g: _Groups) -> list[Result]:
        """Entities of these groups, in order, with their handles (not finished yet)."""
        r = self.reader
        out: list[Result] = []
        kinds, texts, handles, sizes = g
        for b0 in range(0, len(texts), BATCH):
            b1 = b0 + BATCH
            text = "0\n" + "\n0\n".join([k + t for k, t in zip(kinds[b0:b1], texts[b0:b1],
                                                                 strict=True)])
            codes, vals = dxf_fast.split_tags(text)
            del text
            zeros = dxf_fast._indexes_of_zero(codes)
            if len(zeros) != sum(sizes[b0:b1]):
                raise NotApplicable("a 0 tag inside an entity text")
            zeros.append(len(codes))
            r.c, r.v, r._zeros = codes, vals, zeros
            starts: list[int] = []
            ents = r._entities(0, len(zeros) - 1, in_block=False, starts=starts)
            by_start = dict(zip(starts, ents, strict=True))
            j = 0
            for h, size in zip(handles[b0:b1], sizes[b0:b1], strict=True):
                res = by_start.get(j)
                if res is not None and h is not None:
                    res[0].handle = h  # the leading handle, taken out of the text
                out.append(res)
                j += size
            r.c = r.v = r._zeros = []  # type: ignore[assignment]
        return out

    def drawing(self, results: list[Result]) -> Drawing:
        """The Drawing with these ENTITIES results."""
        r = self.reader
        r.model = [res[0] for res in results if res is not None and not res[1]]
        r.paper = [res[0] for res in results if res is not None and res[1]]
        d = r._drawing()
        d.path = self.label
        d.warnings[:0] = self.warnings
        return d


def _block_name(piece: str) -> str | None:
    """The name a block definition text gives its block (as the tag reader reads it: the
    first group 2, else 3), None when its BLOCK entity cannot be read here."""
    lines = piece.split("\n", 64)
    if len(lines) < 4 or lines[1].strip() != "0" or lines[2].strip() != "BLOCK":
        return None
    found: dict[int, str] = {}
    for i in range(3, len(lines) - 2, 2):
        try:
            code = int(lines[i])
        except ValueError:
            return None
        if code == 0:
            name = found.get(2) or found.get(3)
            return name if name is not None else ""
        found.setdefault(code, lines[i + 1])
    return None


def _count_opaque(entities: Any, skipped: dict[str, int]) -> None:
    """Count the entities kept as opaque digests, as parsing them would have."""
    for e in entities:
        if len(e.geometry) == 1 and "raw" in e.geometry:
            skipped[e.kind] = skipped.get(e.kind, 0) + 1


def _block_key(piece: str) -> tuple[str | None, list[str | None]]:
    """A block definition's text without its leading handles and owners (which a re-save
    renumbers), and those handles in order; (None, []) when the text does not split."""
    parts = _SPLIT.split(piece)
    if parts[0]:
        return None, []
    handles = parts[2::3]
    key = "\0".join([k + ("\1" if h is None else "\2") + r
                      for k, h, r in zip(parts[1::3], handles, parts[3::3], strict=True)])
    return key, handles


def _keys(g: _Groups) -> list[Key]:
    """Per group: (type line, had a leading handle, length, hash of the text).  Equal keys
    mean equal texts (a false match needs two texts of the same type and length whose
    64-bit keyed hashes collide) and so equal entities up to the leading handle."""
    kinds, texts, handles, _ = g
    return list(zip(kinds, [h is None for h in handles], map(len, texts), map(hash, texts),
                    strict=True))


def _after_zero(text: str, pos: int) -> bool:
    """The line at ``pos`` follows a ``0`` group code line (and starts there)."""
    line = text.rfind("\n", 0, pos)
    if line < 0 or text[line + 1 : pos].strip():
        return False
    prev = text.rfind("\n", 0, line)
    return text[prev + 1 : line].strip() == "0"


def _endsec(text: str, pos: int) -> int:
    """Index of the newline before the ``0`` line of the first ENDSEC from ``pos``."""
    while True:
        i = text.find("ENDSEC", pos)
        if i < 0:
            raise NotApplicable("ENTITIES without ENDSEC")
        eol = text.find("\n", i)
        if _after_zero(text, i) and not text[i + 6 : eol if eol >= 0 else len(text)].strip():
            line = text.rfind("\n", 0, i)
            return text.rfind("\n", 0, line)
        pos = i + 6


_SEQUENCES = frozenset(("POLYLINE", "INSERT"))


def _groups(names: list[str], kinds: list[str], handles: list[str | None], rests: list[str]
            ) -> _Groups:
    """Entity chunks grouped as the tag reader groups them -- POLYLINE with its VERTEXes and
    SEQEND, INSERT with its ATTRIBs (and SEQEND after them): per group its type line and text
    (a single chunk: the type line and the rest after the leading handle/owner tags; a longer
    group: "" and its whole text), leading handle, and number of chunks."""
    gkinds: list[str] = []
    texts: list[str] = []
    ghandles: list[str | None] = []
    sizes: list[int] = []
    n = len(names)
    j = 0
    for i in [i for i, k in enumerate(names) if k in _SEQUENCES]:
        if i < j:
            continue
        gkinds += kinds[j:i]  # single chunks up to the sequence
        texts += rests[j:i]
        ghandles += handles[j:i]
        sizes += [1] * (i - j)
        j = i + 1
        if names[i] == "POLYLINE":
            while j < n and names[j] == "VERTEX":
                j += 1
            if j < n and names[j] == "SEQEND":
                j += 1
        else:
            k = j
            while k < n and names[k] == "ATTRIB":
                k += 1
            if k > j and k < n and names[k] == "SEQEND":
                k += 1
            j = k
        if j - i == 1:
            gkinds.append(kinds[i])
            texts.append(rests[i])
        else:
            gkinds.append("")
            texts.append("\n0\n".join([kinds[x] + rests[x] for x in range(i, j)]))
        ghandles.append(handles[i])
        sizes.append(j - i)
    gkinds += kinds[j:n]
    texts += rests[j:n]
    ghandles += handles[j:n]
    sizes += [1] * (n - j)
    return gkinds, texts, ghandles, sizes


class _Context:
    """Which context references differ between the two files (layers, text styles, blocks)."""

    def __init__(self, old: _Side, new: _Side) -> None:
        ro, rn = old.reader, new.reader
        self.ro, self.rn = ro, rn
        self.layers_same = ro.layers == rn.layers and ro._layers_ci == rn._layers_ci
        so, sn = old.ctx.styles, new.ctx.styles
        self.styles = {k for k in so.keys() | sn.keys() if so.get(k) != sn.get(k)}
        fo, fn = old.ctx.block_fps, new.ctx.block_fps
        bo, bn = old.ctx.block_boxes, new.ctx.block_boxes
        self.blocks = {k for k in fo.keys() | fn.keys()
                       if fo.get(k) != fn.get(k) or bo.get(k) != bn.get(k)}
        self.same = self.layers_same and not self.styles and not self.blocks
        self._layer_memo: dict[str, bool] = {}

    def _layer_changed(self, name: str) -> bool:
        hit = self._layer_memo.get(name)
        if hit is None:
            ro, rn = self.ro, self.rn
            a = ro.layers.get(name) or ro._layers_ci.get(name.upper())
            b = rn.layers.get(name) or rn._layers_ci.get(name.upper())
            hit = self._layer_memo[name] = a != b
        return hit

    def affected(self, text: str) -> bool:
        """The entity text refers to something that differs (or might: defaults count)."""
        if not self.layers_same and self._layer_changed("0"):
            return True
        if "STANDARD" in self.styles:
            return True
        for code, value in _REFS.findall(text):
            if code == "8":
                if not self.layers_same and self._layer_changed(value):
                    return True
            elif code == "7":
                if value.upper() in self.styles:
                    return True
            elif value in self.blocks:
                return True
        return False


def read_pair(old: bytes | Path, new: bytes | Path, old_label: str, new_label: str
              ) -> tuple[Drawing, Drawing, dict[str, int]]:
    """Both ASCII DXF revisions as Drawings equal to ``read``'s (title blocks not filled).

    Paths are read when needed (each file's bytes are dropped once decoded).  Raises
    :class:`NotApplicable` when the files do not suit (the caller reads them alone);
    ``stats`` says how many new entity texts were reused and how many parsed.
    """
    return read_pair_shared(old, new, old_label, new_label, share=False)[:3]  # type: ignore


def read_pair_shared(old: bytes | Path, new: bytes | Path, old_label: str, new_label: str,
                     *, share: bool = True
                     ) -> tuple[Drawing, Drawing, dict[str, int], dict[int, str]]:
    """:func:`read_pair`, where with ``share`` the new drawing holds the old drawing's entity
    objects even where only the leading handle differs: ``fix`` maps ``id(entity)`` to the
    handle it has in the new file (for views that read handles through it; saves a copy of
    every such entity)."""
    with paused_gc():
        try:
            return _read_pair(old, new, old_label, new_label, share)
        except dxf_fast.DXFDamaged as e:
            raise NotApplicable(str(e)) from None


def _read_pair(old: bytes | Path, new: bytes | Path, old_label: str, new_label: str,
               share: bool) -> tuple[Drawing, Drawing, dict[str, int], dict[int, str]]:
    so = _Side(old, old_label)
    known: dict[Key, Result] = {}
    old_results: list[Result] = []
    for g in so.pieces():
        res = so.parse(g)
        known.update(zip(_keys(g), res, strict=True))
        old_results += res
    d_old = so.drawing(old_results)
    del old_results
    for sheet in d_old.sheets:
        so.ctx.entities(sheet.entities)
        sheet.extents = sheet_extents(sheet.entities)

    sn = _Side(new, new_label, so)
    ctx = _Context(so, sn)
    missing: Any = object()
    take = known.pop  # each old entity is reused once at most: a repeated text is parsed
    results: list[Any] = []
    todo: list[int] = []
    todo_groups: _Groups = ([], [], [], [])
    fix: dict[int, str] = {}
    for g in sn.pieces():
        base = len(results)
        found = [take(key, missing) for key in _keys(g)]
        kinds, texts, handles, sizes = g
        if ctx.same:
            again = [i for i, res in enumerate(found) if res is missing]
        else:
            again = [i for i, res in enumerate(found)
                     if res is missing or ctx.affected(texts[i])]
        for i in again:
            found[i] = None
            todo.append(base + i)
            for lst, item in zip(todo_groups, (kinds[i], texts[i], handles[i], sizes[i]),
                                 strict=True):
                lst.append(item)
        # equal but for the leading handle: the new handle (a copy unless sharing)
        moved = [(i, h) for i, (res, h) in enumerate(zip(found, handles, strict=True))
                 if res is not None and h is not None and h != res[0].handle]
        if share:
            fix.update((id(found[i][0]), h) for i, h in moved)
        else:
            for i, h in moved:
                e, paper = found[i]
                found[i] = (e.with_handle(h), paper)
        results += found
    del known
    for k, res in zip(todo, sn.parse(todo_groups), strict=True):
        results[k] = res
        if res is not None:
            sn.ctx.entity(res[0])
    if so.reader.skipped:  # reused entities kept as opaque digests: counted as if parsed
        parsed = set(todo)
        _count_opaque([res[0] for k, res in enumerate(results)
                       if res is not None and k not in parsed], sn.reader.skipped)
    for name, block in sn.reader.blocks.items():  # layout blocks: sheets, not finished yet
        if name.upper().startswith(("*MODEL_SPACE", "*PAPER_SPACE")):
            sn.ctx.entities(block.entities)
    d_new = sn.drawing(results)
    for sheet in d_new.sheets:
        sheet.extents = sheet_extents(sheet.entities)
    stats = {"entities_reused": len(results) - len(todo), "entities_parsed": len(todo),
             "blocks_shared": sn.blocks_shared}
    return d_old, d_new, stats, fix


__all__ = ["NotApplicable", "read_pair", "read_pair_shared"]
