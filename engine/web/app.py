"""What every page shares: the viewer, the page decorator (sign-in, role, CSRF), rendering, error pages.

Every page goes through ``page(*roles)``: a POST is refused with 403 unless it carries the session's CSRF token;
a visitor who is not signed in is sent to the sign-in page; a role not listed gets 403; a unit outside the
viewer's scope gets 404 (``Ctx.unit_or_404``), so a unit user cannot even learn that another unit's round exists.
Database work runs in the thread pool through the store's functions (``engine.store``).
"""

from __future__ import annotations

import functools
import threading
import urllib.parse
from collections import OrderedDict
from dataclasses import dataclass, field

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from engine.errors import InputError
from engine.evaluate.checks import num
from engine.results import STATUS_ZH
from engine.rules.catalog import ROOT
from engine.store import accounts
from engine.store.db import Store
from engine.web.security import CSRF_FIELD, CSRF_HEADER, LoginLimiter, check_csrf, csrf_token
from engine.web.upload import MAX_UPLOAD, Jobs

TEMPLATES = ROOT / "templates"
SESSION_COOKIE = "scorecard_session"
SESSION_AGE = 8 * 3600
ERROR_TEXT = {400: "请求有误", 401: "请先登录", 403: "没有权限", 404: "页面不存在", 405: "不支持该操作",
              413: "上传的文件太大", 429: "操作过于频繁", 500: "服务器内部错误"}


@dataclass(frozen=True)
class Viewer:
    """The signed-in account, copied out of the database session."""

    id: int
    username: str
    display_name: str
    role: str
    unit_uid: str | None
    scopes: tuple[str, ...]
    active: bool = True

    @property
    def role_zh(self) -> str:
        return accounts.ROLE_ZH[self.role]

    @classmethod
    def of(cls, user) -> Viewer:
        return cls(user.id, user.username, user.display_name, user.role, user.unit_uid, tuple(user.scopes or ()))


class Memo:
    """A small thread-safe LRU map. Keys carry the round's version, so an entry is never stale, only unused."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


@dataclass
class Web:
    """What the pages share: the store, templates, upload jobs, the login limiter, settings, and two memos keyed
    by (round, version): parsed results and the rendered body of the assessment page."""

    store: Store
    env: Environment
    jobs: Jobs
    limiter: LoginLimiter
    settings: dict = field(default_factory=dict)
    results: Memo = field(default_factory=lambda: Memo(16))
    fragments: Memo = field(default_factory=lambda: Memo(64))


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader([str(TEMPLATES / "web"), str(TEMPLATES)]), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda x: "" if x is None else num(x)
    env.filters["zh_status"] = lambda s: STATUS_ZH.get(s, s)
    env.globals["status_zh"] = STATUS_ZH
    return env


@dataclass
class Ctx:
    request: Request
    viewer: Viewer
    form: FormData | None
    web: Web

    @property
    def store(self) -> Store:
        return self.web.store

    def render(self, template: str, status_code: int = 200, **values) -> HTMLResponse:
        return render(self.web, self.request, template, self.viewer, status_code, **values)

    def in_scope(self, unit) -> bool:
        return accounts.unit_in_scope(self.viewer, unit)

    def unit_or_404(self, unit):
        if unit is None or not self.in_scope(unit):
            raise HTTPException(404, "没有找到该单位或评估(或您无权查看)。")
        return unit

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default


def render(web: Web, request: Request, template: str, viewer: Viewer | None, status_code: int = 200,
           **values) -> HTMLResponse:
    html = web.env.get_template(template).render(viewer=viewer, csrf=csrf_token(request.session),
                                                 path=request.url.path, **values)
    return HTMLResponse(html, status_code=status_code)


def current_viewer(web: Web, request: Request) -> Viewer | None:
    uid, version = request.session.get("user"), request.session.get("ver")
    if uid is None:
        return None
    with web.store.session() as session:
        from engine.store.models import User

        user = session.get(User, uid)
        if user is None or not user.active or user.session_version != version:
            request.session.pop("user", None)
            return None
        return Viewer.of(user)


def page(*roles: str):
    """Decorator for a page: CSRF on POST, sign-in, role check; the handler runs in the thread pool."""

    def deco(fn):
        @functools.wraps(fn)
        async def endpoint(request: Request):
            web: Web = request.app.state.web
            form = None
            if request.method == "POST":
                form = await read_form(request)
                check_csrf(request.session, form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
            return await run_in_threadpool(_call, fn, web, request, form, roles)

        return endpoint

    return deco


def _call(fn, web: Web, request: Request, form, roles):
    viewer = current_viewer(web, request)
    if viewer is None:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + urllib.parse.quote(target), 303)
        raise HTTPException(401, "登录已失效,请重新登录。")
    if roles and viewer.role not in roles:
        raise HTTPException(403, "您的账号没有权限访问该页面。")
    return fn(Ctx(request, viewer, form, web))


async def read_form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD + 1024 * 1024:
        raise HTTPException(413, f"上传的文件超过 {MAX_UPLOAD // (1024 * 1024)} MB。")
    try:
        return await request.form(max_files=2, max_fields=50)
    except HTTPException:
        raise
    except Exception:
        raise HTTPException(400, "表单格式不正确。") from None


# ------------------------------------------------------------------ errors


async def http_error(request: Request, exc: HTTPException) -> Response:
    web: Web = request.app.state.web
    detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else ""
    headers = dict(exc.headers or {})
    if request.headers.get("accept", "").startswith("application/json"):
        from starlette.responses import JSONResponse

        return JSONResponse({"error": ERROR_TEXT.get(exc.status_code, "出错了"), "detail": detail},
                            status_code=exc.status_code, headers=headers)
    response = render(web, request, "error.html.j2", _viewer_quiet(web, request), exc.status_code,
                      title=ERROR_TEXT.get(exc.status_code, "出错了"), detail=detail, problems=[])
    response.headers.update(headers)
    return response


async def input_error(request: Request, exc: InputError) -> Response:
    web: Web = request.app.state.web
    return render(web, request, "error.html.j2", _viewer_quiet(web, request), 400, title="输入有误",
                  detail="", problems=exc.problems)


async def server_error(request: Request, exc: Exception) -> Response:
    return HTMLResponse("<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>服务器内部错误</title>"
                        "<p>服务器内部错误,请稍后重试或联系管理员。</p></html>", status_code=500)


def _viewer_quiet(web: Web, request: Request) -> Viewer | None:
    try:
        return current_viewer(web, request) if "session" in request.scope else None
    except Exception:
        return None
