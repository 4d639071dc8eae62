"""Row heights that fit wrapped text, for every workbook the project writes.

Excel grows a row to fit wrapped text when it opens a file; LibreOffice (and its headless PDF export) prints
every row at the default height unless the file states one, so wrapped 问题描述 would overlap the next row
and be cut off. Writers therefore set an explicit height computed from each cell's text and its column width.

Widths are in Excel's column units (the width of a ``0`` in the default font). A CJK character is counted as
two units and other characters as 1.1, so the estimate errs on the tall side: a row a little too tall
prints fine, a row too short hides text.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

WIDE = ("W", "F")
LINE_FACTOR = 1.5  # line height / font size, with room for CJK fallback fonts (WenQuanYi) in LibreOffice
PAD_PT = 4.0


def display_width(text: str) -> float:
    """Width of ``text`` in column units (CJK and full-width characters count as two)."""
    return sum(2.0 if unicodedata.east_asian_width(ch) in WIDE else 1.1 for ch in text)


def lines_needed(text: str, width: float) -> int:
    """How many printed lines ``text`` takes in a wrapped cell ``width`` units wide."""
    usable = max(width - 1.5, 1.0)
    total = 0
    for line in str(text).split("\n"):
        total += max(1, math.ceil(display_width(line) / usable))
    return total


def row_height(cells: Iterable[tuple[object, float]], font_pt: float = 10.0, minimum: float = 15.0) -> float:
    """Height in points for a row of (value, column width) pairs; ``None`` values take one line."""
    lines = max((lines_needed("" if value is None else str(value), width) for value, width in cells), default=1)
    return max(minimum, round(lines * font_pt * LINE_FACTOR + PAD_PT, 1))


def print_setup(ws) -> None:
    """A4 landscape, one page wide, header row repeated, page numbers (LibreOffice and Excel both honour these)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddFooter.center.text = "第 &P 页,共 &N 页"
