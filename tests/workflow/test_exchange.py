"""Exchange records (#14 §6) on SQLite and PostgreSQL: every kind exported and valid against
the schema files, issued once, ``--since``; imports verify schema, hashes, signatures and the
issuer's key and refuse duplicates and conflicts, all or nothing."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import orjson
import pytest

from drawings import geo, registry
from storage.db import transaction
from tests.drawings.geohelp import rect
from tests.workflow.helpers import CODE, Driver
from workflow import exchange
from workflow.signing import canonical_json

ISSUER = "乙审查中心"
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def _export(w, since: int = 0):
    with transaction(w.sf, write=True) as s:
        return exchange.export(s, w.keys, CODE, issuer=ISSUER, now=NOW, since=since)


def _import(w, doc):
    with transaction(w.sf, write=True) as s:
        return exchange.import_batch(s, copy.deepcopy(doc), now=NOW).to_dict()


def _trust(w, org: str = ISSUER) -> None:
    pub = w.keys.public(f"org:{org}")
    with transaction(w.sf, write=True) as s:
        exchange.trust(s, org, pub.alg, pub.public, now=NOW)


@pytest.fixture(scope="module")
def walked(tmp_path_factory, request):
    """One walk of the loop to 竣工验收 (accepted), with a sited unit: every record kind."""
    from storage.blobs import open_blob_store
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade
    from tests.conftest import private_database
    from tests.workflow.helpers import setup_world
    from workflow.signing import KeyRing

    tmp = tmp_path_factory.mktemp("exchange")
    with private_database(request.param, tmp) as url:
        eng = make_engine(url)
        upgrade(eng)
        w = setup_world(session_factory(eng), open_blob_store((tmp / "objects").as_uri()),
                        KeyRing(tmp / "keys", passphrase=""))
        with transaction(w.sf, write=True) as s:
            geo.set_site(s, CODE, rect(0, 0, 200, 100))
            registry.add_unit(s, CODE, division="110105", year=2025, name="1#楼",
                              footprint=rect(10, 10, 40, 30).wkt)
        Driver(w).goto("accepted")
        yield w
        eng.dispose()


pytestmark = pytest.mark.parametrize("walked", ["sqlite", "postgresql"], indirect=True)


def test_export_every_kind_once_and_since(walked) -> None:
    w = walked
    doc = _export(w)
    records = doc["records"]
    assert {r["kind"] for r in records} == set(exchange.KINDS)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert all(exchange.problems(r) == [] for r in records)
    assert exchange.problems(doc, exchange.BATCH_SCHEMA) == []
    assert all(r["hash"] == exchange.record_hash(r) for r in records)
    # nothing changed: nothing new; --since gives the tail
    assert _export(w)["records"] == records
    assert _export(w, since=len(records) - 2)["records"] == records[-2:]
    # one fact changes: one new record, for it alone
    with transaction(w.sf, write=True) as s:
        (u,) = registry.list_units(s, CODE)
        geo.set_footprint(s, u, rect(60, 10, 40, 30))
    later = _export(w, since=len(records))["records"]
    assert [(r["kind"], r["subject"], r["seq"]) for r in later] == [
        ("unit", u.code, len(records) + 1)]
    assert later[0]["body"]["footprint"]["type"] == "Polygon"
    approvals = [r for r in records if r["kind"] == "approval"]
    versions = {r["subject"] for r in records if r["kind"] == "set_version"}
    assert approvals and all(a["body"]["version"] in versions for a in approvals)


def _resign(w, r, org: str = ISSUER):
    r["hash"] = exchange.record_hash(r)
    r["signature"] = w.keys.sign(f"org:{org}", r["hash"].encode())
    return r


def test_import_checks_and_refusals(walked) -> None:
    w = walked
    doc = _export(w)
    n = len(doc["records"])
    out = _import(w, doc)  # nobody trusted yet: every record refused for its issuer key
    assert not out["accepted"] and {x["check"] for x in out["refused"]} == {"issuer-key"}
    _trust(w)
    first = {"format": doc["format"], "records": doc["records"][:3]}
    assert len(_import(w, first)["accepted"]) == 3
    out = _import(w, doc)  # sent again: the first three are duplicates, the rest new
    assert len(out["duplicates"]) == 3 and len(out["accepted"]) == n - 3
    assert len(_import(w, doc)["duplicates"]) == n

    with transaction(w.sf, write=True) as s:  # a fact changes: a valid new record
        (u,) = registry.list_units(s, CODE)
        geo.set_footprint(s, u, rect(100, 50, 20, 20))
    fresh = _export(w, since=n)["records"]
    assert len(fresh) == 1 and exchange.problems(fresh[0]) == []

    def refused(mutate, check: str) -> None:
        bad = copy.deepcopy(doc)
        bad["records"] = [mutate(copy.deepcopy(doc["records"][1]))] + fresh
        out = _import(w, bad)
        assert [x["check"] for x in out["refused"]] == [check], out
        assert out["accepted"] == []  # all or nothing: the valid one is not imported either
        with transaction(w.sf) as s:
            assert not any(r["seq"] > n for r in _inbox(s))

    def altered(r):
        r["body"]["name"] = "改过的"
        return r

    refused(altered, "hash")
    refused(lambda r: {**altered(r), "hash": exchange.record_hash(altered(r))}, "signature")
    refused(lambda r: _resign(w, {**altered(r), "issuer": "org:甲设计院"}, "甲设计院"),
            "issuer-key")
    refused(lambda r: _resign(w, altered(r)), "conflict")  # same seq, other content
    refused(lambda r: {k: v for k, v in r.items() if k != "subject"}, "schema")
    version = next(r for r in doc["records"] if r["kind"] == "set_version")

    def forged_version(r):
        r = copy.deepcopy(version)
        r["seq"] = 10_000
        r["body"]["body"] = r["body"]["body"].replace('"message":"', '"message":"X', 1)
        return _resign(w, r)

    refused(forged_version, "version-hash")
    assert _import(w, {"format": doc["format"], "records": fresh})["accepted"] == [
        f"{CODE}#{n + 1} unit {u.code}"]


def _inbox(s):
    from sqlalchemy import select

    from workflow.exchange.models import ImportedRecord

    return [orjson.loads(b) for b in s.scalars(select(ImportedRecord.body))]


def test_schema_files_refuse_what_they_should(walked) -> None:
    doc = _export(walked)
    r = copy.deepcopy(next(x for x in doc["records"] if x["kind"] == "unit"))
    assert exchange.problems(r) == []
    r["body"]["floors_above"] = -1
    r["seq"] = 0
    found = exchange.problems(r)
    assert any(p.startswith("$.seq") for p in found)
    assert any(p.startswith("$.body.floors_above") for p in found)
    assert exchange.problems({**r, "format": "yitaotu.exchange/2"})
    assert canonical_json(doc)  # the export is plain JSON
