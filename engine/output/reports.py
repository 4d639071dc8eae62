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
    except TemplateError as exc:  # includes sandbox SecurityError and undefined variables
        raise InputError(Problem(where, f"模板渲染失败:{exc}", code="template")) from None


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
