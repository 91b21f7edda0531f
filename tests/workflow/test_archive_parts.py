"""Parts of the archive package on their own: the catalogue's CSV, safe names, a sheet name
two sheet numbers share."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.archive import catalogue, layout
from workflow.archive.catalogue import ITEM_FIELDS, Entry
from workflow.archive.contents import Staging


def test_csv_round_trip_keeps_formulas_inert() -> None:
    entries = [Entry(1, title, "甲设计院", "2026-03-01", 1, "A-1", "永久", f"data/x{n}.json")
               for n, title in enumerate(["=HYPERLINK(\"http://x\")", "+1", "'quoted", "平面"])]
    doc = catalogue.build("P", ["卷"], entries)
    data = catalogue.csv_files(doc)[catalogue.ITEMS_CSV]
    assert b"\r\n" in data and data.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in data.decode("utf-8-sig") and "''quoted" in data.decode("utf-8-sig")
    rows = catalogue.from_csv(data, ITEM_FIELDS)
    assert [r["title"] for r in rows] == [e.title for e in entries]
    with pytest.raises(ValueError, match="header"):
        catalogue.from_csv(b"a,b\r\n", ITEM_FIELDS)


def test_volumes_sum_their_items_and_empty_volumes_close_up() -> None:
    entries = [Entry(1, "a", "甲", "2026-03-01", 2, "", "永久", "data/a"),
               Entry(3, "b", "乙", "2026-03-02", 3, "", "30年", "data/b"),
               Entry(3, "c", "乙", "2026-03-05", 1, "", "30年", "data/c")]
    doc = catalogue.build("P", ["一", "二", "三"], entries)
    assert [v["archive_no"] for v in doc["volumes"]] == ["P-01", "P-02"]
    v = doc["volumes"][1]
    assert (v["title"], v["items"], v["pages"], v["start"], v["end"], v["retention"]) == \
        ("三", 2, 4, "2026-03-02", "2026-03-05", "30年")
    assert [i["file_no"] for i in doc["items"]] == ["P-01-001", "P-02-001", "P-02-002"]
    assert doc["totals"] == {"volumes": 2, "items": 3, "pages": 6}


@pytest.mark.parametrize(("name", "why"), [("../x", "traversal"), ("/etc/passwd", "absolute"),
                                           ("C:x", "absolute"), ("a\\b", "backslash"),
                                           ("data/a/../../b", "traversal"), ("data/a", None)])
def test_unsafe_paths(name: str, why: str | None) -> None:
    got = layout.unsafe_path(name)
    assert (got is None) if why is None else (why in got)


def test_two_sheet_numbers_with_one_safe_name_keep_both(tmp_path: Path) -> None:
    st = Staging(tmp_path, project=None)  # type: ignore[arg-type]
    assert layout.safe_name("A/1") == layout.safe_name("A_1") == "A_1"
    a = st.put("data/sheets/A_1.dxf", b"one", volume=1, title="t", author="a", date="d")
    b = st.put("data/sheets/A_1.dxf", b"two", volume=1, title="t", author="a", date="d")
    again = st.put("data/sheets/A_1.dxf", b"one", volume=1, title="t", author="a", date="d")
    assert (a, b, again) == ("data/sheets/A_1.dxf", "data/sheets/A_1~2.dxf", a)
    assert (tmp_path / b).read_bytes() == b"two" and len(st.entries) == 2


def test_bagit_validates_the_bags_we_write(tmp_path: Path) -> None:
    """We write bags ourselves (bagit's make_bag/save chdir the whole process, unsafe beside
    a threaded server); bagit must read them as valid bags and see a changed payload byte."""
    import bagit

    from workflow.archive import bagging

    bag_dir = tmp_path / "bag"
    (bag_dir / "sheets").mkdir(parents=True)
    (bag_dir / "sheets" / "A-101 一层.dxf").write_bytes(b"0\nEOF\n")
    (bag_dir / "readme.txt").write_text("x", encoding="utf-8")
    bagging.make_bag(bag_dir, {"Source-Organization": "甲设计院"})
    (bag_dir / "package.json").write_bytes(b"{}")
    bagging.write_tagmanifest(bag_dir)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert bag.info["Payload-Oxum"] == "7.2"
    assert "package.json" in bag.tagfile_entries()
    (bag_dir / "data" / "readme.txt").write_text("y", encoding="utf-8")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_dir)).validate()
