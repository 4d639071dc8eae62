"""Web security pieces: response headers (CSP without inline script), CSRF tokens, the login rate limiter."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from starlette.exceptions import HTTPException

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """ASGI middleware: every response carries the security headers; pages are not cached."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(HEADERS)]
                headers += HEADERS
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ------------------------------------------------------------------ CSRF

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def csrf_token(session: dict) -> str:
    """The session's CSRF token (made when the session first needs one)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(session: dict, sent: str | None) -> None:
    """403 unless ``sent`` equals the session's token (compared in constant time)."""
    expected = session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise HTTPException(403, "表单已失效或来源不明(CSRF 校验失败),请刷新页面后重试。")


# ------------------------------------------------------------------ login attempts


class LoginLimiter:
    """At most ``limit`` failed logins per ``window`` seconds, counted per client address and per account name."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before another attempt (0 when allowed)."""
        now = self.clock()
        with self._lock:
            wait = 0.0
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.limit:
                    wait = max(wait, self.window - (now - q[0]))
            return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > 10000:  # forget idle keys
                for k in [k for k, q in self._failures.items() if not q or now - q[-1] > self.window]:
                    del self._failures[k]

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
