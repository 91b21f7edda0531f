"""The whole closed loop through the pages, one demo role after another, in one browser
(Playwright on Debian's Chromium, the fixtures of ``test_browser``).

From the demo's state (set approved, design change C-1 awaiting owner and supervisor):
design uploads a revised A-101 and submits it; the reviewers accept it, open the viewer,
compare the two versions cluster by cluster (``n``/``p``) and place an opinion by a click
on the sheet; design answers; the reviewers close it, sign their disciplines and approve
(each through the sign-off dialog); owner and supervisor confirm the design change; the
inspector, on a 390×844 screen, looks the set in force up by date and downloads its
package; anyone opens the certificate check page its QR code points to.  A screenshot of
every step goes to ``tests/web/output/screenshots/loop-NN-*.png``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.web.test_browser import SHOTS, Session, browser, server  # noqa: F401 - fixtures
from tests.web.test_certificate_check import printed_url
from tests.web.test_viewer_browser import _screen
from workflow import certificate
from yitaotu.demo import sheet

P = "2023-110105-04-01-123450"
#: China time, as the in-force page reads its date.
CST = timezone(timedelta(hours=8))


class Loop:
    """Numbers the screenshots in the order of the loop."""

    def __init__(self) -> None:
        self.n = 0

    def shot(self, s: Session, name: str) -> Path:
        self.n += 1
        return s.shot(f"loop-{self.n:02d}-{s.who.role}-{name}")


def _sign(s: Session, loop: Loop, event: str, record: str, **fill: str) -> str:
    """Take ``event`` on ``record`` from the project page through the dialog (after filling
    the form's fields ``fill``); the flashed event lines."""
    s.page.goto(f"{s.base}/projects/{P}")
    form = s.page.locator(f"form:has(button[data-event={event}][data-record='{record}'])")
    for name, value in fill.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    dialog = s.page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert dialog.inner_text().strip(), event  # the consequences are named
    loop.shot(s, f"dialog-{event}")
    dialog.locator("button[value=ok]").click()
    s.page.wait_for_selector(".flash.ok, .flash.error")
    errors = s.page.locator(".flash.error")
    assert errors.count() == 0, errors.first.inner_text()
    loop.shot(s, f"signed-{event}")
    return " ".join(s.page.locator(".flash.ok").all_inner_texts())


def _upload(s: Session, loop: Loop, folder: Path, shift: float, message: str) -> None:
    """A04 (a sheet of the second stage) through the upload page."""
    path = folder / "A-104 四层平面图.dxf"
    sheet(path, "A-104", "四层平面图", shift)
    s.page.goto(f"{s.base}/projects/{P}/upload")
    s.page.set_input_files("#files", [str(path)])
    s.page.fill("input[name=message]", message)
    s.page.click("#send")
    s.page.wait_for_selector("#job[data-state=finished]", timeout=120_000)
    loop.shot(s, f"uploaded-{folder.name}")


def _viewer(s: Session, number: str) -> None:
    s.page.goto(f"{s.base}/projects/{P}/sheets")
    s.page.click(f"tr:has-text('{number}') >> text=查看")
    s.page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    s.page.wait_for_selector("#viewer-canvas canvas", timeout=30_000)
    s.page.wait_for_function("() => window.yitaotuViewer && window.yitaotuViewer.viewer"
                             ".world.getItemAt(0) && window.yitaotuViewer.viewer.world"
                             ".getItemAt(0).getFullyLoaded()", timeout=30_000)


def _opinion(s: Session, loop: Loop, text: str, *points: tuple[float, float]) -> str:
    """Place an opinion on the open viewer: a click at one point or a drag between two; its
    number from the opinion list."""
    page = s.page
    page.click("[data-tool=point]" if len(points) == 1 else "[data-tool=box]")
    a = _screen(page, *points[0])
    page.mouse.move(a["x"], a["y"])
    if len(points) == 1:
        page.mouse.click(a["x"], a["y"])
    else:
        b = _screen(page, *points[1])
        page.mouse.down()
        page.mouse.move(b["x"], b["y"], steps=8)
        page.mouse.up()
    page.locator("#opinion-form").wait_for(state="visible")
    coords = page.input_value("#opinion-form input[name=coords]")  # what the form posts
    shown = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", coords)]
    wanted = [c for p in points for c in p]
    assert len(shown) == len(wanted), shown
    xs, ys = sorted(shown[0::2]), sorted(shown[1::2])
    assert all(abs(a - b) < 80 for a, b in zip(xs + ys, sorted(wanted[0::2]) +
                                                sorted(wanted[1::2]), strict=True)), shown
    page.fill("#opinion-form textarea", text)
    loop.shot(s, "opinion-placed")
    page.locator("#opinion-form button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    page.goto(f"{s.base}/projects/{P}/opinions")
    number = (page.locator(f"li.opinion:has-text('{text}')").get_attribute("id") or "")
    assert number.startswith("opinion-"), number
    loop.shot(s, "opinions")
    return number.removeprefix("opinion-")


def _answer(s: Session, loop: Loop, number: str, text: str) -> None:
    s.page.goto(f"{s.base}/projects/{P}/opinions")
    item = s.page.locator(f"#opinion-{number}")
    item.locator("input[name=text]").fill(text)
    item.locator("button[type=submit]").click()
    s.page.wait_for_selector(".flash.ok")
    assert text in s.page.inner_text(f"#opinion-{number}")
    loop.shot(s, f"answered-{number}")


def _done(s: Session) -> None:
    assert s.errors == [], (s.who.role, s.errors)
    s.close()


def test_the_whole_loop_through_the_pages(browser: Any, server: str, home: Any,  # noqa: F811
                                          tmp_path: Path) -> None:
    loop, wide = Loop(), {"viewport": {"width": 1366, "height": 900}}
    logins = home.logins

    # the state the loop starts from, through the pages: a second stage submitted,
    # returned with an opinion placed by dragging a box, answered
    s = Session(browser, server, logins["design"], **wide)
    _upload(s, loop, tmp_path / "first", 0, "二期首次报审 second stage")
    said = _sign(s, loop, "submit", "new", stage="二期", sheets="A-104")
    sub = re.findall(r"S-\d+", said)[0]
    _done(s)
    s = Session(browser, server, logins["review"], **wide)
    _sign(s, loop, "accept_review", sub)
    _viewer(s, "A-104")
    first = _opinion(s, loop, "墙距核对 check the wall spacing", (1200, 5000), (2800, 3000))
    _sign(s, loop, "return", sub)
    _done(s)

    # design: answers, uploads the revised sheet, resubmits
    s = Session(browser, server, logins["design"], **wide)
    _answer(s, loop, first, "已调整 moved")
    _upload(s, loop, tmp_path / "revised", 400, "按意见修改 per the opinion")
    assert "~1" in s.page.inner_text(".counts")
    _sign(s, loop, "resubmit", sub)
    _done(s)

    # reviewer: accepts round 2, views the sheet, compares the two versions cluster by
    # cluster, places an opinion by a click
    s = Session(browser, server, logins["review"], **wide)
    _sign(s, loop, "accept_review", sub)
    _viewer(s, "A-104")
    loop.shot(s, "viewer")
    s.page.goto(f"{server}/projects/{P}/compare?old=head~1&new=head")
    loop.shot(s, "compare-versions")
    s.page.click("tr:has-text('A-104') >> a")
    s.page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    s.page.wait_for_selector("#compare-list[data-ready='1']", timeout=30_000)
    loop.shot(s, "compare-sheet")
    s.page.keyboard.press("n")
    s.page.wait_for_selector("ol.changes li.current")
    assert s.page.get_attribute("#compare-list", "data-current") == "0"
    loop.shot(s, "compare-cluster-n")
    clusters = s.page.evaluate("new Set([...document.querySelectorAll("
                               "'ol.changes li[data-change]')].map(li => li.dataset.clusterId))"
                               ".size")
    s.page.keyboard.press("n")
    second = s.page.get_attribute("#compare-list", "data-current")
    assert second == ("1" if clusters > 1 else "0"), (second, clusters)
    s.page.keyboard.press("p")
    assert s.page.get_attribute("#compare-list", "data-current") == "0"
    loop.shot(s, "compare-cluster-p")
    _viewer(s, "A-104")
    point = _opinion(s, loop, "柱位核对 check the column position", (2500, 4000))
    _done(s)

    # design: answers it
    s = Session(browser, server, logins["design"], **wide)
    _answer(s, loop, point, "已核对 checked")
    _done(s)

    # reviewer: closes both, signs the discipline, approves
    s = Session(browser, server, logins["review"], **wide)
    for number in (first, point):
        s.page.goto(f"{server}/projects/{P}/opinions")
        s.page.locator(f"#opinion-{number} button:has-text('关闭')").click()
        s.page.wait_for_selector(".flash.ok")
    loop.shot(s, "closed")
    _sign(s, loop, "sign_discipline", sub)
    _sign(s, loop, "approve", sub)
    _done(s)

    # owner and supervisor: confirm the design change
    for role in ("owner", "supervisor"):
        s = Session(browser, server, logins[role], **wide)
        _sign(s, loop, "confirm_change", "C-1")
        _done(s)

    # inspector on a phone: the set in force now, looked up by date, its package
    s = Session(browser, server, logins["inspector"], viewport={"width": 390, "height": 844},
                is_mobile=True)
    s.page.goto(f"{server}/inspect")
    s.page.fill("input[name=q]", P)
    s.page.click("button[type=submit].primary")
    s.page.wait_for_selector("#results")
    loop.shot(s, "search-phone")
    s.page.click(f"a[href='/inspect/{P}']")
    at_now = (datetime.now(CST) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    s.page.fill("input[name=at]", at_now)
    s.page.click("form.inline-form button[type=submit]")
    s.page.wait_for_selector("#proof")
    assert s.page.evaluate("document.documentElement.scrollWidth") <= 390
    in_force = s.page.inner_text("main")
    assert re.search(rf"A-104\s+四层平面图\s+{sub}", in_force), in_force  # the new stage
    loop.shot(s, "in-force-phone")
    s.page.click("#package")
    s.page.wait_for_selector("#download", timeout=120_000)
    loop.shot(s, "package-phone")
    with s.page.expect_download() as dl:
        s.page.click("#download")
    assert re.match(rf"in-force-{P}-.*\.zip$", dl.value.suggested_filename)
    _done(s)

    # anyone: the certificate check page its QR code points to
    s = Session(browser, server, logins["review"], **wide)
    s.page.goto(f"{server}/projects/{P}")
    href = s.page.get_attribute(f"a:has-text('S-{sub[2:]}')"
                                "[href$='.pdf']", "href")
    assert href, "no certificate link"
    resp = s.page.request.get(server + href)  # the browser's session downloads the PDF
    assert resp.ok and resp.headers["content-type"].startswith("application/pdf")
    pdf = resp.body()
    _done(s)
    path = printed_url(pdf).removeprefix(certificate.DEFAULT_PUBLIC_URL)
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                              is_mobile=True)
    page = ctx.new_page()
    page.goto(server + path)
    assert page.get_attribute("#verdict", "data-genuine") == "1"
    assert P in page.inner_text("main")
    SHOTS.mkdir(parents=True, exist_ok=True)
    loop.n += 1
    page.screenshot(path=str(SHOTS / f"loop-{loop.n:02d}-anyone-certificate-check.png"),
                    full_page=True)
    ctx.close()
