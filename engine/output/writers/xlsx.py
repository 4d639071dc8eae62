"""整改清单 as a tracking workbook (xlsxwriter), and reading it back (openpyxl).

Sheet 「整改清单」 is a plain table a coordinator can sort and filter: the header is row 1 (frozen, with an
autofilter), one row per item and no merged cells; 状态 is a dropdown of ``STATES``; 整改时限 and 完成日期 are
real dates (date cells, date format and date validation on the whole column); 责任人/进展情况/完成日期/佐证材料
are left for the unit to fill. Row heights are set from the wrapped text (``evidence.sheetfit``) so LibreOffice
prints every line. Sheet 「清单信息」 holds the title, unit, period, list date and deadline rule.

Every text is written with ``write_string`` and formulas/URLs are switched off, so evidence text can never
become a formula or a link.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from engine.errors import InputError, Problem
from engine.output.rectify import COLUMNS, STATES, TRACK_COLUMNS, RectifyList
from engine.output.writers import clean
from evidence.sheetfit import row_height

SHEET = "整改清单"
INFO_SHEET = "清单信息"
HEADER = COLUMNS + TRACK_COLUMNS
WIDTHS = (6, 20, 8, 56, 36, 16, 12, 9, 10, 24, 12, 20)
DATE_COLS = (HEADER.index("整改时限"), HEADER.index("完成日期"))
STATE_COL = HEADER.index("状态")
CENTER_COLS = (0, 2, *DATE_COLS, STATE_COL)
RISKY_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 5000  # validation and formats reach this far, for rows the unit adds


def write_xlsx(rlist: RectifyList, output: Path) -> None:
    wb = xlsxwriter.Workbook(str(output), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    wb.set_properties({"title": clean(rlist.title), "subject": "整改清单", "author": "scorecard"})
    font = {"font_name": "宋体", "font_size": 10}
    head_f = wb.add_format({**font, "bold": True, "align": "center", "valign": "vcenter", "border": 1,
                            "bg_color": "#D9E1F2", "text_wrap": True})
    cell_f = wb.add_format({**font, "valign": "top", "border": 1, "text_wrap": True})
    risky_f = wb.add_format({**font, "valign": "top", "border": 1, "text_wrap": True, "quote_prefix": True})
    center_f = wb.add_format({**font, "valign": "top", "align": "center", "border": 1, "text_wrap": True})
    date_f = wb.add_format({**font, "valign": "top", "align": "center", "border": 1, "num_format": "yyyy-mm-dd"})
    input_f = wb.add_format({**font, "valign": "top", "border": 1, "text_wrap": True, "bg_color": "#FFF9E5"})
    input_date_f = wb.add_format({**font, "valign": "top", "align": "center", "border": 1,
                                  "num_format": "yyyy-mm-dd", "bg_color": "#FFF9E5"})
    ws = wb.add_worksheet(SHEET)
    track_from = len(COLUMNS)
    for col, (name, width) in enumerate(zip(HEADER, WIDTHS)):
        ws.write_string(0, col, name, head_f)
        if col in DATE_COLS:
            ws.set_column(col, col, width, input_date_f if col >= track_from else date_f)
        else:
            ws.set_column(col, col, width, input_f if col >= track_from else None)
    ws.set_row(0, 24)
    r = 0
    for row in rlist.rows:
        r += 1
        texts = [clean(t) for t in row.cells()]
        ws.write_number(r, 0, row.no, center_f)
        for col, text in enumerate(texts[1:], 1):
            if col == DATE_COLS[0]:
                ws.write_datetime(r, col, dt.datetime.combine(row.deadline, dt.time()), date_f)
                continue
            fmt = center_f if col in CENTER_COLS else (risky_f if text.startswith(RISKY_START) else cell_f)
            ws.write_string(r, col, text, fmt)
        tracked = row.tracking
        for col in range(track_from, len(HEADER)):
            value = getattr(tracked, ("owner", "progress", "done", "evidence")[col - track_from], None) if tracked else None
            if isinstance(value, dt.date):
                ws.write_datetime(r, col, dt.datetime.combine(value, dt.time()), input_date_f)
            elif value:
                ws.write_string(r, col, clean(value), input_f)
            else:
                ws.write_blank(r, col, None, input_date_f if col in DATE_COLS else input_f)
        ws.set_row(r, row_height(zip(texts, WIDTHS)))
    last = len(HEADER) - 1
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(r, 1), last)
    ws.data_validation(1, STATE_COL, MAX_ROWS, STATE_COL, {
        "validate": "list", "source": list(STATES), "error_type": "stop", "error_title": "状态",
        "error_message": "请从下拉列表选择:" + "、".join(STATES), "input_title": "状态", "input_message": "从下拉列表选择"})
    for col in DATE_COLS:
        ws.data_validation(1, col, MAX_ROWS, col, {
            "validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2100, 12, 31),
            "error_type": "stop", "error_title": HEADER[col], "error_message": "请填写日期,如 2026-03-31",
            "input_title": HEADER[col], "input_message": "日期,如 2026-03-31"})
    ws.repeat_rows(0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    ws.set_header("&C" + clean(rlist.title).replace("&", "&&"))
    ws.set_footer("&C第 &P 页,共 &N 页")
    ws.print_area(0, 0, max(r, 1), last)

    info = wb.add_worksheet(INFO_SHEET)
    info.set_column(0, 0, 12)
    info.set_column(1, 1, 70)
    pairs = [("标题", rlist.title), ("单位", f"{rlist.unit_name}({rlist.unit_type})"), ("创建周期", rlist.period),
             ("清单日期", rlist.issued.isoformat()), ("整改时限", rlist.deadline_rule), ("事项数", str(len(rlist.rows))),
             ("牵头单位", rlist.lead_unit or "全部"), ("规则版本", rlist.rules), ("证据包摘要", rlist.evidence_digest),
             ("状态说明", "待整改 → 整改中 → 已整改 → 已销号(评估组复核通过);超过整改时限未完成为「逾期」。")]
    for i, (k, v) in enumerate(pairs):
        info.write_string(i, 0, k, head_f)
        info.write_string(i, 1, clean(v), cell_f)
        info.set_row(i, row_height([(k, 12), (clean(v), 70)]))
    wb.close()


@dataclass(frozen=True)
class TrackedItem:
    """One row of a filled-in tracking workbook."""

    row: int
    no: int
    indicator_no: int
    indicator: str
    kind: str
    lead_unit: str
    deadline: dt.date
    state: str
    owner: str
    progress: str
    done: dt.date | None
    evidence: str


_INDICATOR_NO = re.compile(r"\s*(\d+)\s*[.、]")


def _date(value, problems: list[Problem], path: str, row: int, col: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    from evidence.values import parse_date

    try:
        return parse_date(str(value))
    except ValueError:
        problems.append(Problem(path, f"{col}不是日期", sheet=SHEET, row=row, column=col, value=str(value),
                                expected="日期,如 2026-03-31"))
        return None


def read_tracking(path: Path) -> list[TrackedItem]:
    """Read a tracking workbook back (as written by ``write_xlsx`` and filled in by the unit).

    Raises ``InputError`` naming sheet, row, column and value for a missing sheet or header, a state outside
    ``STATES`` or a date that is not a date.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True)
    file = str(path)
    if SHEET not in wb.sheetnames:
        raise InputError(Problem(file, f"缺少工作表「{SHEET}」", expected="由 scorecard rectify 生成的整改清单"))
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise InputError(Problem(file, "表头缺少列:" + "、".join(missing), sheet=SHEET, row=1,
                                 expected="、".join(HEADER)))
    at = {h: header.index(h) for h in HEADER}
    problems: list[Problem] = []
    items: list[TrackedItem] = []
    for r, values in enumerate(ws.iter_rows(min_row=2, values_only=True), 2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue

        def get(name: str) -> str:
            v = values[at[name]] if at[name] < len(values) else None
            return "" if v is None else str(v).strip()

        state = get("状态") or STATES[0]
        if state not in STATES:
            problems.append(Problem(file, "状态不在下拉列表中", sheet=SHEET, row=r, column="状态", value=state,
                                    expected="、".join(STATES)))
        m = _INDICATOR_NO.match(get("指标"))
        deadline = _date(values[at["整改时限"]], problems, file, r, "整改时限")
        done = _date(values[at["完成日期"]], problems, file, r, "完成日期")
        no = values[at["序号"]]
        items.append(TrackedItem(row=r, no=int(no) if isinstance(no, (int, float)) else 0,
                                 indicator_no=int(m.group(1)) if m else 0, indicator=get("指标"), kind=get("类别"),
                                 lead_unit=get("牵头单位"), deadline=deadline or dt.date.min, state=state,
                                 owner=get("责任人"), progress=get("进展情况"), done=done, evidence=get("佐证材料")))
    if problems:
        raise InputError(problems)
    return items
