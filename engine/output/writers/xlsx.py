"""整改清单 as XLSX (xlsxwriter). Every text is written with ``write_string`` and formulas/URLs
are switched off, so evidence text can never become a formula or a link."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from engine.output.rectify import COLUMNS, RectifyList
from engine.output.writers import clean

WIDTHS = (6, 22, 64, 40, 16, 12, 11)
RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def write_xlsx(rlist: RectifyList, output: Path) -> None:
    wb = xlsxwriter.Workbook(str(output), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    wb.set_properties({"title": clean(rlist.title), "subject": "整改清单", "author": "scorecard"})
    font = {"font_name": "宋体", "font_size": 10}
    title_f = wb.add_format({**font, "bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    info_f = wb.add_format({**font, "align": "left", "valign": "vcenter", "text_wrap": True})
    head_f = wb.add_format({**font, "bold": True, "align": "center", "valign": "vcenter", "border": 1,
                            "bg_color": "#D9E1F2", "text_wrap": True})
    cell_f = wb.add_format({**font, "valign": "top", "border": 1, "text_wrap": True})
    risky_f = wb.add_format({**font, "valign": "top", "border": 1, "text_wrap": True, "quote_prefix": True})
    center_f = wb.add_format({**font, "valign": "top", "align": "center", "border": 1, "text_wrap": True})
    group_f = wb.add_format({**font, "bold": True, "border": 1, "bg_color": "#F2F2F2"})
    ws = wb.add_worksheet("整改清单")
    last = len(COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, clean(rlist.title), title_f)
    ws.set_row(0, 30)
    info = (f"单位:{rlist.unit_name}({rlist.unit_type})  创建周期:{rlist.period}  "
            f"清单日期:{rlist.issued.isoformat()}  整改时限:{rlist.deadline_rule}  共 {len(rlist.rows)} 项")
    ws.merge_range(1, 0, 1, last, clean(info), info_f)
    ws.set_row(1, 30)
    for col, (name, width) in enumerate(zip(COLUMNS, WIDTHS)):
        ws.write_string(2, col, name, head_f)
        ws.set_column(col, col, width)
    r = 3
    for group in rlist.groups:
        if rlist.grouped:
            ws.merge_range(r, 0, r, last, clean(f"牵头单位:{group.name}(共 {len(group.rows)} 项)"), group_f)
            r += 1
        for row in group.rows:
            ws.write_number(r, 0, row.no, center_f)
            for col, text in enumerate(row.cells()[1:], 1):
                text = clean(text)
                fmt = center_f if col in (5, 6) else (risky_f if text.startswith(RISKY_START) else cell_f)
                ws.write_string(r, col, text, fmt)
            r += 1
    ws.freeze_panes(3, 0)
    ws.repeat_rows(2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页,共 &N 页")
    ws.print_area(0, 0, max(r - 1, 2), last)
    wb.close()
