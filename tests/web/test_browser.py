"""Browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``; the set-up runs
``apt-get install -y chromium fonts-wqy-microhei`` when it is missing — no browser download).

Each demo role logs in; the owner and the supervisor confirm the design change and the design
firm signs it, each through the confirmation dialog; the inspector reads the project on a
phone-sized screen.  Screenshots of every page go to ``tests/web/output/screenshots``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.web.conftest import ROLES, make_app

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "output" / "screenshots"
P = "2023-110105-04-01-123450"


def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        # CI runs every test: a browser that cannot be installed is a failure, not a skip
        pytest.fail("needs /usr/bin/chromium: run as root with apt-get, or "
                    "`apt-get install chromium fonts-wqy-microhei` first")
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium", "fonts-wqy-microhei"],
                   check=True, capture_output=True, env={**os.environ,
                                                          "DEBIAN_FRONTEND": "noninteractive"})


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def server(home: Any) -> Iterator[str]:
    """The app on a free loopback port, in a thread (the test's own demo home)."""
    app = make_app(home)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    app.extensions["yitaotu.store"].close()


class Session:
    """One browser context logged in as a demo user; collects console errors (a CSP
    violation is one) and saves screenshots."""

    def __init__(self, browser: Any, base: str, who: Any, **context: Any) -> None:
        self.ctx = browser.new_context(locale="zh-CN", **context)
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if m.type == "error" else None)
        self.base, self.who = base, who
        self.page.goto(f"{base}/login")
        self.page.fill("input[name=user]", who.user)
        self.page.fill("input[name=password]", who.password)
        self.page.click("button[type=submit].primary")
        self.page.wait_for_url(f"{base}/")

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign(self, event: str, record: str) -> str:
        """Click the event's button, check the dialog names the consequences, confirm."""
        self.page.click(f"button[data-event={event}][data-record='{record}']")
        dialog = self.page.locator("#confirm-dialog")
        dialog.wait_for(state="visible")
        text = dialog.inner_text()
        self.shot(f"dialog-{self.who.role}-{event}")
        dialog.locator("button[value=ok]").click()
        self.page.wait_for_load_state()
        return text

    def close(self) -> None:
        self.ctx.close()


def test_each_role_logs_in_and_sees_the_project(browser: Any, server: str, home: Any) -> None:
    for role in ROLES:
        s = Session(browser, server, home.logins[role])
        assert P in s.page.inner_text("main")
        s.shot(f"projects-{role}")
        s.page.click(f"a[href='/projects/{P}']")
        assert "示例住宅小区" in s.page.inner_text("h1")
        s.shot(f"project-{role}")
        assert s.errors == [], (role, s.errors)
        s.close()


def test_sign_off_through_the_dialog(browser: Any, server: str, home: Any) -> None:
    for role, event in (("owner", "confirm_change"), ("supervisor", "confirm_change"),
                        ("design", "sign_change")):
        s = Session(browser, server, home.logins[role])
        s.page.goto(f"{server}/projects/{P}")
        said = s.sign(event, "C-1")
        assert "确认" in said or "current" in said, said  # the consequences are named
        assert "审计" in s.page.inner_text(".flash.ok"), role  # the event line of the chain
        s.shot(f"signed-{role}-{event}")
        assert s.errors == [], s.errors
        s.close()
    s = Session(browser, server, home.logins["owner"])
    s.page.goto(f"{server}/projects/{P}")
    assert "已生效" in s.page.inner_text("main")
    s.close()


def test_cancel_in_the_dialog_does_nothing(browser: Any, server: str, home: Any) -> None:
    s = Session(browser, server, home.logins["owner"])
    s.page.goto(f"{server}/projects/{P}")
    s.page.click("button[data-event=reject_change][data-record='C-1']")
    s.page.locator("#confirm-dialog button[value=cancel]").click()
    s.page.reload()
    assert s.page.locator("button[data-event=reject_change]").count() == 1  # still proposed
    s.close()


def test_inspector_on_a_phone(browser: Any, server: str, home: Any) -> None:
    s = Session(browser, server, home.logins["inspector"],
                viewport={"width": 390, "height": 844}, is_mobile=True)
    s.page.goto(f"{server}/projects/{P}")
    assert "只读" in s.page.inner_text("main")
    width = s.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    s.shot("inspector-phone")
    s.close()


def test_english_switch(browser: Any, server: str, home: Any) -> None:
    s = Session(browser, server, home.logins["review"])
    s.page.click("text=English")
    s.page.goto(f"{server}/projects/{P}")
    assert "Construction" in s.page.inner_text("main")
    s.shot("project-review-en")
    s.close()


def map_drawn(s: Session, server: str) -> int:
    """Open the map page and wait until map.js has drawn the footprints; their number."""
    s.page.goto(f"{server}/map")
    s.page.wait_for_selector("#map[data-drawn]")
    return int(s.page.get_attribute("#map", "data-drawn") or "-1")


def test_map_draws_the_footprints_and_opens_the_project(browser: Any, server: str,
                                                        home: Any) -> None:
    s = Session(browser, server, home.logins["owner"], viewport={"width": 1280, "height": 900})
    assert map_drawn(s, server) == 3
    assert s.page.locator("path.map-unit.map-state-construction").count() == 2
    assert s.page.locator("path.map-site").count() == 1
    assert s.page.locator(".leaflet-control-scale-line").is_visible()  # no base map: a scale
    assert s.page.locator(".legend li").count() == 7
    fill = s.page.eval_on_selector("path.map-unit", "p => getComputedStyle(p).fill")
    swatch = s.page.eval_on_selector(".swatch.map-state-construction",
                                     "e => getComputedStyle(e).backgroundColor")
    assert fill == swatch == "rgb(217, 130, 43)"  # the legend's colour is the shape's
    s.page.locator("path.map-unit").first.hover()
    s.page.wait_for_selector(".leaflet-tooltip")
    assert "住宅楼" in s.page.inner_text(".leaflet-tooltip")
    s.shot("map-owner")
    s.page.locator("path.map-unit").first.click()
    s.page.wait_for_url(f"{server}/projects/{P}")
    assert "示例住宅小区" in s.page.inner_text("h1")
    assert s.errors == [], s.errors  # a CSP violation would be one
    s.close()


def test_inspector_map_on_a_phone(browser: Any, server: str, home: Any) -> None:
    s = Session(browser, server, home.logins["inspector"],
                viewport={"width": 390, "height": 844}, is_mobile=True)
    assert map_drawn(s, server) == 3
    box = s.page.locator("#map").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    width = s.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the map page scrolls sideways on a phone ({width}px)"
    s.shot("map-inspector-phone")
    s.page.click("text=English")
    assert map_drawn(s, server) == 3
    assert "Construction" in s.page.inner_text(".legend")
    s.shot("map-inspector-phone-en")
    assert s.errors == [], s.errors
    s.close()


@pytest.fixture
def tile_server() -> Iterator[tuple[str, list[str]]]:
    """A base map on loopback: one small PNG for every ``/{z}/{x}/{y}.png``; the paths asked."""
    import io
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 201)).save(buf, "PNG")
    png, asked = buf.getvalue(), []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", asked
    srv.shutdown()
    srv.server_close()


def test_map_on_a_base_map_of_another_origin(browser: Any, server: str, home: Any,
                                             tile_server: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    base, asked = tile_server
    monkeypatch.setenv("YITAOTU_MAP_TILES", f"{base}/{{z}}/{{x}}/{{y}}.png")
    monkeypatch.setenv("YITAOTU_MAP_ATTRIBUTION", "© 测试底图")
    s = Session(browser, server, home.logins["review"], viewport={"width": 1280, "height": 900})
    assert map_drawn(s, server) == 3
    s.page.wait_for_selector("img.leaflet-tile-loaded")
    assert asked and all(p.endswith(".png") for p in asked)
    assert "© 测试底图" in s.page.inner_text(".leaflet-control-attribution")
    s.shot("map-review-base-map")
    assert s.errors == [], s.errors  # the tiles pass the page's CSP
    s.close()
