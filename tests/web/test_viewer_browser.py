"""The sheet viewer in a real browser (the fixtures of ``tests/web/test_browser.py``): the
pyramid job's progress, then pan/zoom, sheet coordinates under the cursor and the distance tool.
Screenshots go to ``tests/web/output/screenshots``.
"""

from __future__ import annotations

from typing import Any

from tests.web import test_browser
from tests.web.test_browser import Session

browser = test_browser.browser  # the same fixtures
server = test_browser.server

P = "2023-110105-04-01-123450"


def test_viewer_pans_zooms_shows_coordinates_and_measures(browser: Any, server: str,
                                                          home: Any) -> None:
    s = Session(browser, server, home.logins["review"], viewport={"width": 1366, "height": 900})
    page, shot = s.page, s.shot
    page.on("pageerror", lambda e: s.errors.append(str(e)))
    page.goto(f"{server}/projects/{P}/sheets")
    shot("sheet-register")
    page.click("tr:has-text('A-101') >> text=查看")
    # first visit: the pyramid job runs, the page shows its progress, then the viewer
    page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    page.wait_for_selector("#viewer-canvas canvas", timeout=30_000)
    page.wait_for_function("() => window.yitaotuViewer && "
                           "window.yitaotuViewer.viewer.world.getItemAt(0) && "
                           "window.yitaotuViewer.viewer.world.getItemAt(0).getFullyLoaded()",
                           timeout=30_000)
    shot("viewer-whole-sheet")

    # the cursor over the column's centre (2500, 4000) reads back as that sheet point
    def screen_of(x: float, y: float) -> dict[str, float]:
        return page.evaluate("""([x, y]) => {
            const v = window.yitaotuViewer, [ix, iy] = v.toImage(x, y);
            const p = v.viewer.viewport.imageToViewerElementCoordinates(
                new OpenSeadragon.Point(ix, iy));
            const r = v.viewer.element.getBoundingClientRect();
            return {x: p.x + r.left, y: p.y + r.top};
        }""", [x, y])

    c = screen_of(2500, 4000)
    page.mouse.move(c["x"], c["y"])
    text = page.text_content("[data-coords]") or ""
    xs, ys = (float(t.split()[1]) for t in text.split("·"))
    assert abs(xs - 2500) < 60 and abs(ys - 4000) < 60, text

    # zoom in on the column, then measure between two wall lines 1000 apart (x = 1080, 2080)
    page.evaluate("() => window.yitaotuViewer.zoomTo([1000, 3000, 3200, 5000], 0.1)")
    page.wait_for_timeout(1500)
    page.click("[data-tool=measure]")
    for x in (1080, 2080):
        p = screen_of(x, 4500)
        page.mouse.click(p["x"], p["y"])
    value = float(page.get_attribute("[data-measure]", "data-value") or "nan")
    assert abs(value - 1000) < 20, value
    shot("viewer-measure")
    assert s.errors == [], s.errors
    s.close()


def test_viewer_in_english_for_the_inspector(browser: Any, server: str, home: Any) -> None:
    s = Session(browser, server, home.logins["inspector"])
    page = s.page
    page.context.add_cookies([{"name": "yitaotu_lang", "value": "en", "url": server}])
    page.goto(f"{server}/projects/{P}/sheets")
    page.click("tr:has-text('S-201') >> text=View")
    page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    page.wait_for_selector("#viewer-canvas canvas", timeout=30_000)
    assert page.is_visible("text=Measure distance")
    s.shot("viewer-en-inspector")
    assert s.errors == [], s.errors
    s.close()


def test_compare_overlay_and_cluster_navigation(browser: Any, server: str, home: Any) -> None:
    from tests.web.test_compare import open_round

    page_url = open_round(home)
    s = Session(browser, server, home.logins["review"], viewport={"width": 1440, "height": 900})
    page = s.page
    page.goto(f"{server}{page_url}")
    page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    page.wait_for_selector("#compare-list[data-ready='1']", timeout=30_000)
    assert page.locator("svg[data-marks] rect.change-modified, svg[data-marks] "
                        "rect.change-added").count() > 0
    s.shot("compare-overlay")
    page.keyboard.press("n")
    page.wait_for_timeout(1500)
    assert page.get_attribute("#compare-list", "data-current") == "0"
    assert page.locator("ol.changes li.current").count() >= 1
    # the view is fitted to the cluster: its box is whole inside the viewer and fills it
    stage = page.locator(".viewer-stage").bounding_box()
    box = page.locator("svg[data-marks] rect.cluster").bounding_box()
    assert stage and box
    assert stage["x"] <= box["x"] and box["x"] + box["width"] <= stage["x"] + stage["width"]
    assert stage["y"] <= box["y"] and box["y"] + box["height"] <= stage["y"] + stage["height"]
    assert max(box["width"] / stage["width"], box["height"] / stage["height"]) > 0.4
    s.shot("compare-cluster-1")
    page.keyboard.press("p")
    page.keyboard.press("n")
    assert page.get_attribute("#compare-list", "data-current") == "0"
    # query the first change: it becomes an opinion
    first = page.locator("ol.changes li[data-change]").first
    first.locator("input[name=text]").fill("为何移动 why moved")
    first.locator("button[value=queried]").click()
    page.wait_for_selector(".flash.ok")
    assert "意见" in (page.text_content(".flash.ok") or "")
    s.shot("compare-queried")
    assert s.errors == [], s.errors
    s.close()


def test_opinion_dragged_as_a_box_then_answered(browser: Any, server: str, home: Any) -> None:
    import re

    from tests.web.test_compare import open_round, opinions

    vid = re.search(r"new=([0-9a-f]{64})", open_round(home))
    assert vid
    s = Session(browser, server, home.logins["review"], viewport={"width": 1366, "height": 900})
    page = s.page
    page.goto(f"{server}/projects/{P}/versions/{vid.group(1)}/sheets/A-104")
    page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    page.wait_for_selector("#viewer-canvas canvas", timeout=30_000)
    page.wait_for_function("() => window.yitaotuViewer && window.yitaotuViewer.viewer"
                           ".world.getItemAt(0)")
    page.click("[data-tool=box]")
    a, b = _screen(page, 1200, 5000), _screen(page, 2800, 3000)
    page.mouse.move(a["x"], a["y"])
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2, steps=5)
    page.mouse.move(b["x"], b["y"], steps=5)
    page.mouse.up()
    form = page.locator("#opinion-form")
    form.wait_for(state="visible")
    page.select_option("#opinion-form select[name=category]", "mandatory")
    page.fill("#opinion-form textarea", "柱截面不足 column too small")
    s.shot("review-box-placed")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    o = max(opinions(home), key=lambda x: x["number"])
    assert o["anchor"]["type"] == "rect" and o["category"] == "mandatory"
    x0, y0, x1, y1 = o["anchor"]["coords"]
    assert abs(x0 - 1200) < 80 and abs(x1 - 2800) < 80 and abs(y0 - 3000) < 80 \
        and abs(y1 - 5000) < 80, o["anchor"]
    s.shot("review-opinions-after-add")
    assert s.errors == [], s.errors
    s.close()

    d = Session(browser, server, home.logins["design"], viewport={"width": 1366, "height": 900})
    d.page.goto(f"{server}/projects/{P}/opinions")
    item = d.page.locator(f"#opinion-{o['number']}")
    item.locator("input[name=text]").fill("已加大 enlarged")
    item.locator("button[type=submit]").click()
    d.page.wait_for_selector(".flash.ok")
    assert "已加大" in (d.page.inner_text(f"#opinion-{o['number']}"))
    d.shot("review-design-replied")
    assert d.errors == [], d.errors
    d.close()


def _screen(page: Any, x: float, y: float) -> dict[str, float]:
    """Page pixels of sheet point (x, y) in the viewer."""
    return page.evaluate("""([x, y]) => {
        const v = window.yitaotuViewer, [ix, iy] = v.toImage(x, y);
        const p = v.viewer.viewport.imageToViewerElementCoordinates(
            new OpenSeadragon.Point(ix, iy));
        const r = v.viewer.element.getBoundingClientRect();
        return {x: p.x + r.left, y: p.y + r.top};
    }""", [x, y])
