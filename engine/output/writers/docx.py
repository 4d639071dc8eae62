"""整改清单 as a Word document (python-docx): title, unit and date, one table; A4 landscape."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from engine.output.rectify import COLUMNS, RectifyList
from engine.output.writers import clean

WIDTHS_CM = (1.0, 3.4, 1.4, 8.6, 5.6, 2.6, 2.0, 1.5)
FONT = "宋体"


def _font(run, size: float | None = None, bold: bool = False) -> None:
    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def _set(cell, text: str, size: float = 9, bold: bool = False, center: bool = False) -> None:
    lines = clean(text).split("\n")
    para = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            para = cell.add_paragraph()
        _font(para.add_run(line), size, bold)
        if center:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def write_docx(rlist: RectifyList, output: Path) -> None:
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(1.8))
    doc.core_properties.title = clean(rlist.title)
    doc.core_properties.author = "scorecard"
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(clean(rlist.title)), 16, True)
    info = doc.add_paragraph()
    _font(info.add_run(clean(f"单位:{rlist.unit_name}({rlist.unit_type})  创建周期:{rlist.period}")), 10.5)
    info2 = doc.add_paragraph()
    _font(info2.add_run(f"清单日期:{rlist.issued.isoformat()}  整改时限:{clean(rlist.deadline_rule)}  "
                        f"共 {len(rlist.rows)} 项"), 10.5)
    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.autofit = False
    for i, name in enumerate(COLUMNS):
        _set(table.rows[0].cells[i], name, bold=True, center=True)
    _repeat_header(table.rows[0])
    for group in rlist.groups:
        if rlist.grouped:
            cells = table.add_row().cells
            merged = cells[0].merge(cells[-1])
            _set(merged, f"牵头单位:{group.name}(共 {len(group.rows)} 项)", bold=True)
        for row in group.rows:
            cells = table.add_row().cells
            for i, text in enumerate(row.cells()):
                _set(cells[i], text, center=i in (0, 2, 6, 7))
    for row in table.rows:
        if len({id(c._tc) for c in row.cells}) == len(COLUMNS):  # skip merged group rows
            for i, width in enumerate(WIDTHS_CM):
                row.cells[i].width = Cm(width)
    doc.save(str(output))
