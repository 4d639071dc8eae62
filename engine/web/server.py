"""The Starlette application: routes of ``pages``, static assets, sessions signed with the store's key,
security headers, error pages."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.errors import InputError
from engine.store import accounts
from engine.store.db import Store
from engine.web import pages
from engine.web.app import (
    SESSION_AGE,
    SESSION_COOKIE,
    TEMPLATES,
    Web,
    environment,
    http_error,
    input_error,
    server_error,
)
from engine.web.security import LoginLimiter, SecurityHeaders
from engine.web.upload import Jobs


def static_file(name: str, media: str):
    async def endpoint(request: Request) -> Response:
        web: Web = request.app.state.web
        text = web.settings.setdefault(f"static:{name}", _static_text(web, name))
        return Response(text, media_type=media, headers={"cache-control": "public, max-age=3600"})

    return endpoint


def _static_text(web: Web, name: str) -> str:
    if name == "app.css":
        return (TEMPLATES / "_style.css.j2").read_text(encoding="utf-8") + "\n" + \
            (TEMPLATES / "web" / "web.css").read_text(encoding="utf-8")
    return (TEMPLATES / "web" / name).read_text(encoding="utf-8")


def create_app(store: Store, *, https_only: bool = False, login_limit: int = 5, login_window: float = 300.0,
               workers: int = 1, today=None) -> Starlette:
    """The web workspace over an opened store. ``https_only``: session cookie sent over HTTPS only."""
    with store.transaction() as session:
        secret = accounts.secret(session)
    web = Web(store=store, env=environment(), jobs=Jobs(workers, store),
              limiter=LoginLimiter(login_limit, login_window), settings={"today": today})
    routes = [
        Route("/static/app.css", static_file("app.css", "text/css; charset=utf-8")),
        Route("/static/app.js", static_file("app.js", "text/javascript; charset=utf-8")),
        *pages.ROUTES,
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE, max_age=SESSION_AGE,
                   same_site="strict", https_only=https_only),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: http_error, InputError: input_error, 500: server_error})
    app.state.web = web
    return app
