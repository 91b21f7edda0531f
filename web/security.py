"""Security headers on every response, CSRF on every form, login throttling.

The CSP allows no inline script and nothing from another origin: every script and style is a
file under ``web/static`` (vendored libraries included).
"""

from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

csrf = CSRFProtect()


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class LoginThrottle:
    """At most ``YITAOTU_LOGIN_LIMIT`` failed logins per user name and per client address
    (a moving window; in Redis when ``YITAOTU_REDIS_URL`` is set, so gunicorn's workers share
    it, else in this process)."""

    def __init__(self, app: Flask) -> None:
        url = app.config.get("YITAOTU_REDIS_URL")
        storage = storage_from_string(url) if url else MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)
        self.item: RateLimitItem = parse(app.config["YITAOTU_LOGIN_LIMIT"])

    def _keys(self, user: str, addr: str) -> list[tuple[str, str]]:
        return [("login-user", user.strip().lower()[:200]), ("login-addr", addr or "-")]

    def blocked(self, user: str, addr: str) -> bool:
        return any(not self.limiter.test(self.item, *k) for k in self._keys(user, addr))

    def failed(self, user: str, addr: str) -> None:
        for k in self._keys(user, addr):
            self.limiter.hit(self.item, *k)

    def retry_after(self, user: str, addr: str) -> int:
        resets = [self.limiter.get_window_stats(self.item, *k).reset_time
                  for k in self._keys(user, addr)]
        import time

        return max(1, int(max(resets) - time.time()))


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_headers)
    app.extensions["yitaotu.throttle"] = LoginThrottle(app)
