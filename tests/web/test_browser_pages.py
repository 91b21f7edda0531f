"""Browser tests of the upload, set, certificate-check and inspector pages (Playwright on
Debian's Chromium, the fixtures of ``test_browser``); screenshots under
``tests/web/output/screenshots``."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.web.test_browser import SHOTS, Session, browser, server  # noqa: F401 - fixtures
from workflow import certificate
from yitaotu.demo import sheet

P = "2023-110105-04-01-123450"


def test_upload_a_folder_with_progress_and_result(browser: Any, server: str, home: Any,  # noqa: F811
                                                  tmp_path: Path) -> None:
    folder = tmp_path / "图纸"
    sheet(folder / "A-101 一层平面图.dxf", "A-101", "一层平面图", 500)
    sheet(folder / "A-401 四层平面图.dxf", "A-401", "四层平面图", 0)
    (folder / "A-402 坏图.dxf").write_bytes(b"")
    s = Session(browser, server, home.logins["design"])
    s.page.goto(f"{server}/projects/{P}/upload")
    s.page.set_input_files("#folder", str(folder))
    assert "3" in s.page.inner_text("#chosen")
    s.shot("upload-chosen")
    s.page.click("#send")
    s.page.wait_for_selector("#job[data-state=failed]", timeout=120_000)
    assert "A-402" in s.page.inner_text(".refusals")
    s.shot("upload-refused")
    (folder / "A-402 坏图.dxf").unlink()
    s.page.goto(f"{server}/projects/{P}/upload")
    s.page.set_input_files("#files", [str(p) for p in sorted(folder.iterdir())])
    s.page.fill("input[name=message]", "浏览器上传 from the browser")
    s.page.click("#send")
    s.page.wait_for_selector("#job[data-state=finished]", timeout=120_000)
    counts = s.page.inner_text(".counts")
    assert "+1" in counts and "~1" in counts and "-0" in counts, counts
    s.shot("upload-result")
    s.page.click("#new-version")
    s.page.wait_for_selector("table.register")
    assert "A-401" in s.page.inner_text("table.register")
    deadline = time.monotonic() + 120  # a hang guard, not a timing assertion
    while not s.page.evaluate(  # the thumbnails swapped in when their job ended
            "[...document.querySelectorAll('table.register img')].every("
            "i => i.complete && i.naturalWidth > 0 && i.src.includes('?r='))"):
        assert time.monotonic() < deadline, "thumbnails never swapped in"
        s.page.wait_for_timeout(200)
    s.shot("register-after-upload")
    assert s.errors == [], s.errors
    s.close()


def test_set_log_and_in_force(browser: Any, server: str, home: Any) -> None:  # noqa: F811
    s = Session(browser, server, home.logins["owner"])
    s.page.goto(f"{server}/projects/{P}/log")
    assert "current" in s.page.inner_text("#versions")
    s.shot("set-log")
    s.page.goto(f"{server}/projects/{P}/in-force")
    assert "S-1" in s.page.inner_text("#proof")
    s.shot("in-force")
    assert s.errors == [], s.errors
    s.close()


def test_certificate_qr_page_without_login(browser: Any, server: str, home: Any) -> None:  # noqa: F811
    from tests.web.test_certificate_check import issued, printed_url

    path = printed_url(issued(home)["pdf"]).removeprefix(certificate.DEFAULT_PUBLIC_URL)
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                              is_mobile=True)
    page = ctx.new_page()
    page.goto(server + path)
    assert page.get_attribute("#verdict", "data-genuine") == "1"
    assert P in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "certificate-check-phone.png"), full_page=True)
    ctx.close()


def test_inspector_on_a_phone_finds_and_downloads(browser: Any, server: str, home: Any  # noqa: F811
                                                  ) -> None:
    s = Session(browser, server, home.logins["inspector"],
                viewport={"width": 390, "height": 844}, is_mobile=True)
    s.page.goto(f"{server}/inspect")
    s.page.fill("input[name=q]", "示例路")
    s.page.click("button[type=submit].primary")
    s.page.wait_for_selector("#results")
    s.shot("inspect-search-phone")
    s.page.click(f"a[href='/inspect/{P}']")
    s.page.wait_for_selector("#proof")
    assert s.page.evaluate("document.documentElement.scrollWidth") <= 390
    s.shot("inspect-in-force-phone")
    s.page.click("#package")
    s.page.wait_for_selector("#download", timeout=120_000)
    s.shot("inspect-package-phone")
    with s.page.expect_download() as dl:
        s.page.click("#download")
    assert re.match(rf"in-force-{P}-.*\.zip$", dl.value.suggested_filename)
    assert s.errors == [], s.errors
    s.close()
