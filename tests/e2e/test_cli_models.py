"""BIM models through the CLI (#18): a model submitted, checked, a finding confirmed into an
opinion and another discarded, opinions exported as BCF."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli_workflow import CODE, Cli, y  # noqa: F401 - the fixture
from tests.gen.ifcmodel import make_house, write


def test_model_review_through_the_cli(y: Cli, tmp_path: Path) -> None:  # noqa: F811
    model = write(make_house(door_width=800.0), tmp_path / "m" / "A-901 建筑模型.ifc")
    v = y.json("ingest", CODE, str(model), "-m", "模型")["version"]
    y("submit", CODE, v[:12], "--large", user="des")
    y("review", "accept", CODE, user="rev_a")
    run = y.json("check", "run", CODE, "A-901", "--submission", "1", user="rev_a")
    rules = {f["rule"]: f["number"] for f in run["findings"]}
    assert set(rules) == {"door-clear-width-egress"} and len(run["findings"]) == 2
    first, second = (f["number"] for f in run["findings"])
    op = y.json("check", "confirm", CODE, f"F-{first}", user="rev_a")
    assert op["category"] == "mandatory" and op["anchor"]["element"]
    y("check", "discard", CODE, f"F-{second}", "--note", "同一问题 same issue", user="rev_a")
    listed = y.json("check", "list", CODE)
    assert [f["state"] for f in listed] == ["confirmed", "discarded"]
    out = y("check", "list", CODE)
    assert "强制性条文" in out and "F-1" in out
    bcf = tmp_path / "review.bcf"
    assert y.json("check", "export-bcf", CODE, str(bcf))["topics"] == 1
    res = y.json("check", "import-bcf", CODE, str(bcf), "--model", "A-901", user="rev_a")
    assert res == {"created": [], "own": [op["number"]], "skipped": []}
    y("check", "confirm", CODE, f"F-{second}", code=21, user="rev_a")  # already discarded
