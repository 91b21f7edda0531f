"""BCF (BIM Collaboration Format) export and import of review opinions, via ``bcf-client`` (#18).

Export: one topic per opinion (on models and on sheets): title and description from its text,
``topic_type`` its category (强制性条文 / 一般性 / 建议), ``topic_status`` its state, labels
``yitaotu:<project>:<number>`` (how a round trip recognises its own topics),
``sheet:<number>`` and its discipline; replies are comments; a model opinion gets a
viewpoint that selects its element (GlobalId) at its plan position.  BCF 3.0 by default,
2.1 on request.

Import: every topic without a ``yitaotu:`` label is a new issue raised in a BIM tool; it becomes
an opinion on the model (``--model``) anchored to the first element its viewpoint selects, at
that element's plan position from the model's index.  Own topics are reported, not duplicated.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from drawings import is_model_entry, registry
from drawings.models import Project
from storage.display import clip
from storage.errors import FileFormatError, InvalidInput
from workflow.models import JSONText, Opinion
from workflow.opinions import CATEGORIES, CATEGORY_ALIASES, add_opinion, list_opinions
from workflow.signing import KeyRing

VERSIONS = ("3.0", "2.1")
_CATEGORY_TYPE = {"mandatory": "强制性条文", "general": "一般性", "advice": "建议"}
_OWN = re.compile(r"^yitaotu:([^:]+):(\d+)$")
#: What XML 1.0 cannot hold (C0 but TAB, LF, CR; surrogates; U+FFFE, U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str | None) -> str:
    """``text`` storable in XML: characters XML cannot hold written as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text or "")


def _module(version: str) -> Any:
    if version == "3.0":
        import bcf.v3.bcfxml as m
    elif version == "2.1":
        import bcf.v2.bcfxml as m
    else:
        raise InvalidInput(f"BCF version must be one of {', '.join(VERSIONS)}")
    return m


def export_bcf(s: Session, project: str | Project, dest: str | Path, *,
               version: str = "3.0", sheet_no: str | None = None) -> int:
    """Write the project's opinions (of one sheet or model, or all) to ``dest``; returns the
    number of topics.  Written to a temp file beside ``dest``, then renamed."""
    import os

    import numpy as np

    m = _module(version)
    p = registry.get_project(s, project)
    ops = list_opinions(s, p, sheet_no=sheet_no)
    bcf = m.BcfXml.create_new(project_name=xml_text(f"{p.code} {p.name}"))
    topic_mod = __import__(m.__name__.rsplit(".", 1)[0] + ".topic", fromlist=["TopicHandler"])
    for o in ops:
        anchor = JSONText.load(o.anchor) or {}
        th = topic_mod.TopicHandler.create_new(
            title=xml_text(clip(f"#{o.number} {o.text}", 120)), description=xml_text(o.text),
            author=xml_text(o.author), topic_type=_CATEGORY_TYPE.get(o.category, o.category),
            topic_status=o.state)
        labels = [f"yitaotu:{p.code}:{o.number}", xml_text(f"sheet:{o.sheet_no}")]
        if o.discipline:
            labels.append(xml_text(o.discipline))
        _set_labels(th.topic, labels)
        for r in o.replies:
            _add_comment(m, th, xml_text(r.author), xml_text(f"[{r.kind}] {r.text}"),
                         r.created)
        if anchor.get("element"):
            x, y = (anchor.get("coords") or [0.0, 0.0])[:2]
            th.add_viewpoint_from_point_and_guids(np.array([x, y, 1.5]), anchor["element"])
        bcf.topics[th.guid] = th
    dest = Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp",
                               dir=str(dest.parent) if str(dest.parent) else ".")
    os.close(fd)
    try:
        bcf.save(Path(tmp))
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return len(ops)


def _set_labels(topic: Any, labels: list[str]) -> None:
    """BCF 3.0 wraps labels in a ``TopicLabels`` element; 2.1 lists them."""
    if type(topic).__module__.startswith("bcf.v3"):
        import bcf.v3.model as mdl

        topic.labels = mdl.TopicLabels(label=labels)
    else:
        topic.labels = labels


def _add_comment(m: Any, th: Any, author: str, text: str, when: Any) -> None:
    import uuid

    from xsdata.models.datatype import XmlDateTime

    mdl = __import__(m.__name__.rsplit(".", 1)[0] + ".model", fromlist=["Comment"])
    c = mdl.Comment(date=XmlDateTime.from_datetime(when), author=author, comment=text,
                    guid=str(uuid.uuid4()))
    th.comments = [*th.comments, c]


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    own: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "own": self.own, "skipped": self.skipped}


def import_bcf(s: Session, blobs: Any, project: str | Project, src: str | Path, *,
               model: str, user: str, keys: KeyRing, submission: int | str | None = None,
               now: Any = None) -> ImportResult:
    """New topics of a BCF file (2.1 or 3.0, from its ``bcf.version``) as opinions on
    ``model``; a file that is not BCF is refused naming it."""
    from diffing import load_model_index

    p = registry.get_project(s, project)
    bcf = _open(src)
    head = registry.resolve_version(s, p, "head").manifest
    entry = head.get(model)
    if not is_model_entry(entry):
        raise InvalidInput(f"{model}: 不是模型 not a BIM model of the set (head)")
    index = load_model_index(blobs, entry, model).by_guid()
    out = ImportResult()
    for guid, th in sorted(bcf.topics.items()):
        t = th.topic
        labels = _labels(t)
        own = next((_OWN.match(x) for x in labels if _OWN.match(x)), None)
        if own and own.group(1) == p.code:
            out.own.append(int(own.group(2)))
            continue
        element = next((g for vp in th.viewpoints.values() for g in vp.get_selected_guids()),
                       None)
        e = index.get(element) if element else None
        if e is None or e.position is None:
            out.skipped.append(f"{guid}: 无构件 no element of {model} selected")
            continue
        category = CATEGORY_ALIASES.get((t.topic_type or "").strip(), "general")
        if category not in CATEGORIES:
            category = "general"
        text = (t.title or "").strip()
        if t.description and t.description.strip() != text:
            text = f"{text}: {t.description.strip()}" if text else t.description.strip()
        anchor = {"type": "point", "coords": [e.position[0], e.position[1]],
                  "element": e.guid, "level": (e.container or {}).get("name")}
        op: Opinion = add_opinion(s, p, user=user, keys=keys, sheet_no=model, anchor=anchor,
                                  category=category, text=f"{text} (BCF {guid})",
                                  submission=submission, blobs=blobs, now=now)
        out.created.append(op.number)
    return out


def _labels(topic: Any) -> list[str]:
    cur = topic.labels
    if cur is None:
        return []
    if hasattr(cur, "label"):
        return list(cur.label or [])
    return list(cur)


def _open(src: str | Path) -> Any:
    import zipfile

    path = Path(src)
    try:
        with zipfile.ZipFile(path) as z:
            raw = z.read("bcf.version").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile) as e:
        raise FileFormatError(str(src), f"not a BCF file / 不是 BCF 文件: {clip(e)}") from None
    m = re.search(r'VersionId="([0-9.]+)"', raw)
    version = "3.0" if m and m.group(1).startswith("3") else "2.1"
    try:
        return _module(version).BcfXml.load(path)
    except Exception as e:  # the XML binding raises parser errors of its own
        raise FileFormatError(str(src), f"unreadable BCF {version}: {clip(e)}") from None
