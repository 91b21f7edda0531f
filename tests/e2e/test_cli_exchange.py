"""`yitaotu exchange` between two homes: export signed records, trust the issuer's key,
import (all or nothing, duplicates skipped, tampering refused), push to a loopback receiver
and read the delivery status."""

from __future__ import annotations

import json
from pathlib import Path

from tests.drawings.geohelp import rect
from tests.e2e.cli import CODE, yt
from tests.workflow.receiver import Receiver


def js(*args: str, code: int = 0):
    return json.loads(yt(*args, "--json", code=code))


def test_exchange_between_two_homes(home: Path, tmp_path: Path, monkeypatch) -> None:
    yt("init")
    yt("org", "add", "市审查中心")
    yt("project", "create", CODE, "示例住宅")
    yt("geo", "site", CODE, rect(0, 0, 200, 100).wkt)
    unit = js("unit", "add", CODE, "--division", "110101", "--footprint",
              rect(10, 10, 40, 30).wkt)["code"]
    out = tmp_path / "records.json"
    monkeypatch.setenv("YITAOTU_EXCHANGE_ISSUER", "市审查中心")
    assert "wrote 2 records (seq 1–2)" in yt("exchange", "export", CODE, "-o", str(out))
    doc = json.loads(out.read_text())
    assert [(r["kind"], r["subject"]) for r in doc["records"]] == [
        ("project", CODE), ("unit", unit)]
    assert json.loads(yt("exchange", "export", CODE, "--since", "1"))["records"] == \
        doc["records"][1:]
    key = tmp_path / "key.json"
    key.write_text(yt("exchange", "key", "市审查中心"))

    # the receiving system: another home
    monkeypatch.setenv("YITAOTU_HOME", str(tmp_path / "province"))
    yt("init")
    refused = yt("exchange", "import", str(out), code=50)
    assert "issuer-key" in refused and "nothing imported" in refused
    assert json.loads(yt("exchange", "trust", str(key), "--json"))["owner"] == "org:市审查中心"
    assert len(js("exchange", "import", str(out))["accepted"]) == 2
    assert len(js("exchange", "import", str(out))["duplicates"]) == 2
    doc["records"][1]["body"]["footprint"] = json.loads(
        json.dumps(rect(20, 10, 40, 30).__geo_interface__))  # moved after signing
    out.write_text(json.dumps(doc))
    assert "hash" in yt("exchange", "import", str(out), code=50)

    # back at the issuer: push to a receiver that fails once
    monkeypatch.setenv("YITAOTU_HOME", str(home))
    with Receiver(["fail"]) as rx:
        monkeypatch.setenv("YITAOTU_EXCHANGE_URL", rx.url)
        pushed = js("exchange", "push", "--wait", "30")
        assert pushed["queued"] == 2 and pushed["sent"] == 2 and pushed["failed"] == 1
        assert [r["seq"] for r in rx.kept] == [1, 2]
    (st,) = js("exchange", "status")
    assert (st["delivered"], st["pending"], st["last_delivered_seq"]) == (2, 0, 2)
    assert "delivered 2" in yt("exchange", "status")
