"""Writers for the 整改清单: XLSX, DOCX (binary) and Markdown/HTML (Jinja2 templates)."""

from __future__ import annotations

import re
from pathlib import Path

from engine.files import write_atomic
from engine.output.rectify import RectifyList

FORMATS = ("xlsx", "docx", "md", "html")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Drop characters that XML (XLSX/DOCX) cannot hold; keep tab, CR and LF."""
    return _XML_INVALID.sub("", text)


def write(rlist: RectifyList, fmt: str, output: Path, template_dir: Path | None = None) -> None:
    """Write atomically (temporary file, then rename); never into an input package or over an input file."""
    if fmt == "xlsx":
        from engine.output.writers.xlsx import write_xlsx

        write_atomic(output, writer=lambda tmp: write_xlsx(rlist, tmp))
    elif fmt == "docx":
        from engine.output.writers.docx import write_docx

        write_atomic(output, writer=lambda tmp: write_docx(rlist, tmp))
    elif fmt in ("md", "html"):
        write_atomic(output, render_text(rlist, fmt, template_dir))
    else:
        raise ValueError(f"unknown format {fmt}")


def render_text(rlist: RectifyList, fmt: str, template_dir: Path | None = None) -> str:
    from engine.output.render import render_template

    return render_template(f"rectify.{fmt}.j2", template_dir, l=rlist)
