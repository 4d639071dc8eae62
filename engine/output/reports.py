"""Score reports in JSON, Markdown and HTML; template problems become located InputErrors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

from engine.errors import InputError, Problem
from engine.output.render import render
from engine.results import ScoreResult

REPORT_FORMATS = ("json", "md", "html")
TEMPLATE_OF = {"md": "report.md.j2", "html": "report.html.j2"}


@contextmanager
def template_errors(template: str, template_dir: Path | None) -> Iterator[None]:
    """Turn Jinja2 errors (missing template, syntax, sandbox violations) into an InputError."""
    where = str(template_dir / template) if template_dir else template
    try:
        yield
    except TemplateNotFound as exc:
        raise InputError(Problem(where, f"找不到模板 {exc.name}", code="template")) from None
    except TemplateSyntaxError as exc:
        raise InputError(Problem(exc.filename or where, f"模板语法错误:{exc.message}", row=exc.lineno,
                                 code="template")) from None
    except (TemplateError, OverflowError, RecursionError, MemoryError, TypeError, ValueError, AttributeError,
            KeyError, IndexError, ZeroDivisionError) as exc:  # sandbox SecurityError, undefined, range too big ...
        if template_dir is None and not isinstance(exc, TemplateError):
            raise  # a built-in template failing is a defect, not a user error
        file, line = _template_frame(exc, where)
        text = "模板嵌套或递归过深" if isinstance(exc, RecursionError) else f"{exc}"[:300]
        raise InputError(Problem(file, f"模板渲染失败:{text}", row=line, code="template")) from None


def _template_frame(exc: BaseException, default: str) -> tuple[str, int | None]:
    """The innermost template file and line of a render error (Jinja maps its frames to template lines)."""
    file, line = default, None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2") or "/templates/" in name or name.endswith((".md", ".html")):
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    return file, line


def render_report(result: ScoreResult, fmt: str, template_dir: Path | None = None,
                  report_date: dt.date | None = None) -> str:
    if fmt == "json":
        return result.to_json()
    if fmt not in TEMPLATE_OF:
        raise ValueError(f"unknown report format {fmt}")
    template = TEMPLATE_OF[fmt]
    extra = {"report_date": report_date.isoformat()} if report_date else {}
    with template_errors(template, template_dir):
        return render(result, template, template_dir, **extra)
