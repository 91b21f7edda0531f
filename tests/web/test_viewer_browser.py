"""The sheet viewer in a real browser (Playwright on Debian's Chromium): the pyramid job's
progress, then pan/zoom, sheet coordinates under the cursor and the distance tool.

Screenshots go to ``$YITAOTU_SCREENSHOTS`` (default ``test-output/screenshots``).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import DemoHome, make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
P = "2023-110105-04-01-123450"
SHOTS = Path(os.environ.get("YITAOTU_SCREENSHOTS", "test-output/screenshots"))

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium")


@pytest.fixture
def live(home: DemoHome) -> Iterator[str]:
    """The app on a loopback port, served by werkzeug in a thread (jobs in-process)."""
    from werkzeug.serving import make_server

    app = make_app(home)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        app.extensions["yitaotu.store"].close()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def log_in(page: Any, base: str, who: Any) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=user]", who.user)
    page.fill("input[name=password]", who.password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_viewer_pans_zooms_shows_coordinates_and_measures(live: str, browser: Any,
                                                          logins: Any) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}")
            if m.type == "error" and "favicon" not in str(m.location) else None)
    log_in(page, live, logins["review"])
    page.goto(f"{live}/projects/{P}/sheets")
    shot(page, "sheet-register")
    page.click("tr:has-text('A-101') >> text=查看")
    # first visit: the pyramid job runs, the page shows its progress, then the viewer
    page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    page.wait_for_selector("#viewer-canvas canvas", timeout=30_000)
    page.wait_for_function("() => window.yitaotuViewer && "
                           "window.yitaotuViewer.viewer.world.getItemAt(0) && "
                           "window.yitaotuViewer.viewer.world.getItemAt(0).getFullyLoaded()",
                           timeout=30_000)
    shot(page, "viewer-whole-sheet")

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
    shot(page, "viewer-measure")
    assert not errors, errors


def test_viewer_in_english(live: str, browser: Any, logins: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.context.add_cookies([{"name": "yitaotu_lang", "value": "en", "url": live}])
    log_in(page, live, logins["inspector"])
    page.goto(f"{live}/projects/{P}/sheets")
    page.click("tr:has-text('S-201') >> text=View")
    page.wait_for_selector("#viewer-app[data-ready=true]", timeout=120_000)
    page.wait_for_selector("#viewer-canvas canvas", timeout=30_000)
    assert page.is_visible("text=Measure distance")
    shot(page, "viewer-en-inspector")
