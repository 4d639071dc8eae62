"""Rendering results with Jinja2 templates from ``templates/`` (autoescaping on for HTML)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from engine.evaluate.checks import num
from engine.results import STATUS_ZH, ScoreResult
from engine.rules.catalog import ROOT

TEMPLATES = ROOT / "templates"


def md_cell(value) -> str:
    """Text safe inside a Markdown table cell: no pipes, no line breaks, no HTML."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> Environment:
    """One environment per template directory (templates compile once per process, e.g. in batch runs)."""
    kwargs = dict(
        loader=FileSystemLoader([str(template_dir), str(TEMPLATES)] if template_dir else [str(TEMPLATES)]),
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env = SandboxedEnvironment(**kwargs) if template_dir else Environment(**kwargs)
    env.filters["md"] = md_cell
    env.filters["md_lines"] = lambda v: "<br>".join(md_cell(line) for line in str(v).split("\n"))
    env.filters["zh_status"] = lambda s: STATUS_ZH.get(s, s)
    env.filters["num"] = num
    return env


def render(result: ScoreResult, template: str, template_dir: Path | None = None, **extra) -> str:
    env = environment(template_dir)
    return env.get_template(template).render(r=result, status_zh=STATUS_ZH, **extra)
