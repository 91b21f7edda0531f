"""`verify PROJECT --deep`: the four checks on a live project.  Everything an archive of it
would hold now (the sheets of its newest set, every version and blob, documents, the chain,
keys, opinions, the catalogue) is packed, unsigned, into a temporary directory as it stands in
the store (blobs read without repair, so a damaged one is named), and checked."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from drawings import registry
from storage.errors import YitaotuError
from workflow import audit
from workflow.archive import contents, layout, package
from workflow.archive.contents import AS_BUILT, VOLUMES, Staging, day
from workflow.archive.report import AUTHENTICITY, Report
from workflow.archive.verify import verify_package
from workflow.clock import utcnow

#: The set a live project is judged on: the newest of these refs it has.
SET_REFS = ("archived", "as-built", "current", "approved", "head")


def verify_project(s: Session, blobs: Any, project: str) -> Report:
    p = registry.get_project(s, project)
    refs = registry.refs(s, p)
    with tempfile.TemporaryDirectory(prefix="yitaotu-deep-") as tmp:
        out = Path(tmp) / p.code
        try:
            with package.staging(out) as root:
                st = Staging(root, p, strict=False)
                st.desc = package.new_description("live", p, created=utcnow().isoformat(),
                                                  packer=None, organisation=None)
                name = next((r for r in SET_REFS if r in refs), None)
                if name is not None:
                    v = registry.get_version(s, refs[name])
                    st.desc["version"] = v.id
                    for no, e in sorted(v.manifest.items()):
                        data = st.read(blobs, e["blob"])
                        path = st.desc["blobs"].get(e["blob"]) or st.put(
                            f"data/sheets/{layout.safe_name(no)}{contents.sheet_suffix(data)}",
                            data,
                            volume=AS_BUILT, title=f"{name} {no}", date=day(v.created_at),
                            author=contents.party_org(p, "design"), sheet=no)
                        st.desc["blobs"][e["blob"]] = path
                        st.desc["sheets"][no] = {"blob": e["blob"], "file": path,
                                                 "page": e.get("page"), "format": e.get("format")}
                contents.add_versions(st, s, blobs, registry.list_versions(s, p), {})
                events = audit.events(s, p.code)
                signers = contents.add_documents(st, s, blobs, events) if events else set()
                if events:
                    contents.add_chain(st, s)
                contents.add_keys(st, s, contents.signers_of(events) | signers)
                package.write_catalogue(st, VOLUMES[:4])
                package.finish(st, out, keys=None, signers=[], bag_info={
                    "External-Identifier": p.code})
        except YitaotuError as e:  # a blob missing from the store: named, not raised
            rep = Report(p.code)
            rep.add(AUTHENTICITY, "读取 read from the store", p.code, False, e.message)
            return rep
        rep = verify_package(out, live=True)
    rep.package = p.code
    return rep
