"""Rendering results with Jinja2 templates from ``templates/`` (autoescaping on for HTML).

A custom ``--template`` directory is untrusted: its templates run in an ``ImmutableSandboxedEnvironment`` that is
handed plain data only (``model_dump(mode="json")``: dicts, lists, strings, numbers — no pydantic object whose
methods could open files or unpickle), read through the safe reader (regular files inside the template directory,
no symlink leaving it, size-capped), with limits on repetition (``*``, ``**``, large numeric filter arguments),
output size and render time (a deadline checked from a per-thread trace function and the sandbox's call hook, so it
holds in the web workspace's worker threads too, not only in the main thread). Built-in templates fill in for the
ones the directory lacks.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from jinja2.bccache import Bucket, FileSystemBytecodeCache
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.evaluate.checks import num
from engine.files import TEMPLATE_DIR, read_bytes
from engine.markdown import md_lines, md_text
from engine.results import STATUS_ZH, ScoreResult
from engine.rules.catalog import ROOT
from evidence.codes import replace_codes

TEMPLATES = ROOT / "templates"
TEMPLATE_FILE_LIMIT = 1 << 20  # 1 MB per custom template file
OUTPUT_LIMIT = 50 * (1 << 20)  # characters a custom template may produce
RENDER_SECONDS = 5  # wall-clock limit of one custom-template render
ARG_LIMIT = 100_000  # largest number a custom template may pass to a filter or repeat a sequence by


class SafeDirLoader(BaseLoader):
    """Templates of a user folder, read through ``engine.files`` (inside the folder, regular files, size cap)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def get_source(self, environment, template):
        parts = split_template_path(template)  # refuses ".." segments
        path = self.directory.joinpath(*parts)
        if not os.path.lexists(path):
            raise TemplateNotFound(template)
        data = read_bytes(self.directory, path, str(path), limit=TEMPLATE_FILE_LIMIT, scope=TEMPLATE_DIR)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SecurityError(f"模板 {path} 不是 UTF-8 文本") from None
        stamp = _stamp(path)
        # compiled once while the file is unchanged: a self-include loop must not re-read and recompile at every level
        return text, str(path), lambda: stamp is not None and _stamp(path) == stamp


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_mtime_ns, st.st_size


def _check_number(value) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > ARG_LIMIT:
        raise SecurityError(f"模板中的数值 {value} 超出沙箱限制({ARG_LIMIT})")


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus limits on repetition: ``"x" * 10**9`` and ``2 ** 10**9`` are refused."""

    intercepted_binops = frozenset(["*", "**"])

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        limit = getattr(_DEADLINE, "value", None)
        if limit is not None and time.monotonic() > limit[0]:
            raise SecurityError(f"模板渲染超过 {limit[1]:g} 秒时限")
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            _check_number(right)
            if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(right) > 64:
                raise SecurityError("模板中的乘方过大")
        if operator == "*":
            for a, b in ((left, right), (right, left)):
                if isinstance(a, (str, list, tuple)) and isinstance(b, int) and len(a) * max(b, 0) > OUTPUT_LIMIT:
                    raise SecurityError("模板中的重复次数过大")
        return super().call_binop(context, operator, left, right)


def _guard(fn):
    skip = 2 if hasattr(fn, "jinja_pass_arg") else 1  # the filtered value (after a context/environment argument)

    def guarded(*args, **kwargs):
        for value in (*args[skip:], *kwargs.values()):
            _check_number(value)
        return fn(*args, **kwargs)

    guarded.__name__ = getattr(fn, "__name__", "filter")
    for marker in ("jinja_pass_arg",):
        if hasattr(fn, marker):
            setattr(guarded, marker, getattr(fn, marker))
    return guarded


def _add_filters(env: Environment) -> None:
    env.filters["md"] = md_text
    env.filters["md_lines"] = md_lines
    env.filters["zh_status"] = lambda s: STATUS_ZH.get(s, s)
    env.filters["num"] = num
    env.filters["zh_codes"] = replace_codes


class OwnedBytecodeCache(FileSystemBytecodeCache):
    """Compiled built-in templates kept in the per-user cache directory (``templates/``, 0700, see
    engine/rules/cache.py), read only from files owned by the user; a foreign, stale or corrupt file is recompiled."""

    def load_bytecode(self, bucket: Bucket) -> None:
        from engine.rules.cache import open_owned

        try:
            with open_owned(Path(self._get_cache_filename(bucket))) as fh:
                bucket.load_bytecode(fh)
        except Exception:  # noqa: BLE001 - missing or unusable: the template is compiled from its source
            bucket.reset()


def bytecode_cache() -> OwnedBytecodeCache | None:
    from engine.rules.cache import private_dir

    directory = private_dir("templates", create=True)
    return OwnedBytecodeCache(str(directory)) if directory is not None else None


@lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> Environment:
    """One environment per template directory (templates compile once per process, e.g. in batch runs)."""
    builtin = FileSystemLoader([str(TEMPLATES)])
    kwargs = dict(
        loader=ChoiceLoader([SafeDirLoader(template_dir), builtin]) if template_dir else builtin,
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    if template_dir is None:
        env = Environment(**kwargs, bytecode_cache=bytecode_cache())
        _add_filters(env)
        return env
    env = TemplateSandbox(**kwargs)
    _add_filters(env)
    env.filters = {name: _guard(fn) for name, fn in env.filters.items()}
    env.globals.pop("lipsum", None)  # lipsum(n) has no size limit
    return env


def plain(value):
    """Plain JSON data (dicts, lists, strings, numbers) for an untrusted template; dataclass properties the
    templates read (``RectifyList.columns``, ``Row.units``) are included as values."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in dir(type(value)):
            if isinstance(getattr(type(value), name, None), property):
                data[name] = plain(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # dates and other scalars as their text (a date prints as YYYY-MM-DD)


@contextmanager
def _time_limit(env: Environment, seconds: float):
    """A wall-clock limit on a custom-template render that works in any thread (the web workspace renders in worker
    threads, where SIGALRM cannot be used): a trace function, set for the current thread only, follows the
    template's own compiled code (frames whose globals belong to ``env``) and raises ``SecurityError`` at the first
    line executed after the deadline, so a loop that prints nothing is stopped too. The sandbox's ``call`` hook
    checks the same deadline (see ``TemplateSandbox``). Any earlier trace function (a debugger, coverage) is
    restored afterwards."""
    deadline = time.monotonic() + seconds
    ticks = 0

    def check() -> None:
        if time.monotonic() > deadline:
            raise SecurityError(f"模板渲染超过 {seconds:g} 秒时限")

    def in_template(frame, event, arg):
        nonlocal ticks
        ticks += 1
        if not ticks & 63:
            check()
        return in_template

    def on_call(frame, event, arg):
        if frame.f_globals.get("environment") is env:
            check()
            return in_template
        return None

    previous_deadline = getattr(_DEADLINE, "value", None)
    _DEADLINE.value = (deadline, seconds)
    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield
    finally:
        sys.settrace(previous)
        _DEADLINE.value = previous_deadline


_DEADLINE = threading.local()  # the deadline of the custom-template render running in this thread, if any


def render_template(template: str, template_dir: Path | None, **context) -> str:
    """Render a built-in template, or a custom one in the sandbox with plain data and limits."""
    env = environment(template_dir)
    if template_dir is None:
        return env.get_template(template).render(**context)
    context = {k: plain(v) for k, v in context.items()}
    out: list[str] = []
    size = 0
    with _time_limit(env, RENDER_SECONDS):
        for chunk in env.get_template(template).generate(**context):
            size += len(chunk)
            if size > OUTPUT_LIMIT:
                raise SecurityError(f"模板输出超过 {OUTPUT_LIMIT // (1 << 20)} MB 上限")
            out.append(chunk)
    return "".join(out)


def render(result: ScoreResult, template: str, template_dir: Path | None = None, **extra) -> str:
    return render_template(template, template_dir, r=result, status_zh=STATUS_ZH, **extra)
