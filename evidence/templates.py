"""Scaffold an empty evidence package (``scorecard init``): unit.yaml, one .xlsx template per ledger, README.md.

Templates are written with openpyxl: a Chinese header row, a cell comment per column (what to enter, unit,
allowed values, example), list data validation for enum and 是/否 columns, date formats for date columns,
and a 「填表说明」 sheet (ignored by the reader). No cell ever starts a formula.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError, Problem
from evidence.schema import FieldDef, LedgerCatalog, LedgerDef
from evidence.sheetfit import row_height

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EXAMPLES = {
    "str": "示例",
    "int": 1,
    "float": 1.5,
    "percent": "95%",
    "bool": "是",
    "date": "2021-08-18",
    "datetime": "2021-08-18 14:30",
}
TYPE_HELP = {
    "str": "文本",
    "enum": "从下拉列表选择",
    "int": "整数",
    "float": "数字",
    "percent": "百分比,填 95% 或 0.95",
    "bool": "是/否(也可填 √/×、Y/N)",
    "date": "日期,如 2021-08-18、2021年8月18日、2021/8/18",
    "datetime": "日期时间,如 2021-08-18 14:30、2021年8月18日 下午2:30",
}


@dataclass
class LedgerUse:
    """Which indicators read a ledger (derived from the compiled rules)."""

    ledger: str
    indicators: list[tuple[int, str]]


def ledger_uses(rules) -> dict[str, list[tuple[int, str]]]:
    """ledger name -> [(indicator no, title)], from predicates and check ledgers of the compiled rules."""
    out: dict[str, dict[int, str]] = {}
    titles = {i.no: i.title for i in rules.catalog.indicators}
    for (no, _check_id), cc in rules.checks.items():
        names: set[str] = set()
        if cc.ledger:
            names.add(cc.ledger)
        for index in (cc.population, cc.match, cc.numerator, cc.denominator, cc.attest, *cc.gather):
            if index is not None:
                names.add(rules.predicates[index].ledger)
        if cc.derived is not None:
            names.add(cc.derived.ledger)
        for name in names:
            out.setdefault(name, {})[no] = titles.get(no, "")
    for ind in rules.catalog.indicators:
        if ind.applicability.not_applicable_if_attested:
            out.setdefault("attestations", {})[ind.no] = ind.title
    return {name: sorted(d.items()) for name, d in out.items()}


def example(fd: FieldDef, name: str, ld: LedgerDef):
    if name == ld.id_field:
        return "001"
    if fd.type == "enum":
        return fd.values[0]
    return EXAMPLES[fd.type]


def column_note(name: str, fd: FieldDef, ld: LedgerDef) -> str:
    lines = [f"{fd.title}({name})", ("必填" if fd.required else "选填") + ";" + TYPE_HELP[fd.type]]
    if fd.unit:
        lines.append(f"单位:{fd.unit}")
    if fd.values:
        lines.append("允许取值:" + "、".join(fd.values))
    if fd.note:
        lines.append("说明:" + fd.note)
    if name == ld.id_field:
        lines.append("每行唯一的编号")
    lines.append(f"示例:{example(fd, name, ld)}")
    return "\n".join(lines)


def safe_text(cell, value) -> None:
    """Write ``value``; a string that could start a formula is stored as literal text."""
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def write_template(path: Path, ld: LedgerDef, uses: list[tuple[int, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = ld.title[:31]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    last = 5000  # rows covered by data validation and formats
    for col, (name, fd) in enumerate(ld.fields.items(), start=1):
        cell = ws.cell(row=1, column=col)
        safe_text(cell, fd.title)
        cell.font = bold
        cell.fill = required_fill if fd.required else fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        comment = Comment(column_note(name, fd, ld), "scorecard")
        comment.width, comment.height = 260, 160
        cell.comment = comment
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(12, min(40, len(fd.title) * 2 + 4))
        ref = f"{letter}2:{letter}{last}"
        if fd.type in ("enum", "bool"):
            values = fd.values if fd.type == "enum" else ["是", "否"]
            formula = '"' + ",".join(values) + '"'
            if len(formula) <= 255:
                dv = DataValidation(type="list", formula1=formula, allow_blank=not fd.required, showDropDown=False)
                dv.errorTitle, dv.error = "取值不在允许范围内", "请从下拉列表选择:" + "、".join(values)
                dv.promptTitle, dv.prompt = fd.title[:32], ("请选择:" + "、".join(values))[:255]
                dv.showErrorMessage = dv.showInputMessage = True
                ws.add_data_validation(dv)
                dv.add(ref)
        elif fd.type in ("date", "datetime"):
            fmt = "yyyy-mm-dd" if fd.type == "date" else "yyyy-mm-dd hh:mm"
            for row in range(2, 202):
                ws.cell(row=row, column=col).number_format = fmt
        elif fd.type in ("int", "float", "percent"):
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            if fd.type == "percent":
                dv.error = "请填写百分比,如 95% 或 0.95"
            else:
                dv.error = "请填写" + ("整数" if fd.type == "int" else "数字")
            dv.showErrorMessage = True
            dv.errorStyle = "warning"  # people also type 40学时; the reader accepts it
            ws.add_data_validation(dv)
            dv.add(ref)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填表说明")
    head = ["列名", "字段名", "类型", "是否必填", "单位", "允许取值", "示例", "说明"]
    for col, text in enumerate(head, start=1):
        safe_text(notes.cell(row=1, column=col), text)
        notes.cell(row=1, column=col).font = bold
    for row, (name, fd) in enumerate(ld.fields.items(), start=2):
        values = [fd.title, name, TYPE_HELP[fd.type], "必填" if fd.required else "选填", fd.unit or "",
                  "、".join(fd.values or (["是", "否"] if fd.type == "bool" else [])), str(example(fd, name, ld)), fd.note or ""]
        for col, text in enumerate(values, start=1):
            safe_text(notes.cell(row=row, column=col), text)
    row = len(ld.fields) + 3
    used = "、".join(f"{no}" for no, _ in uses) if uses else "(当前规则中没有指标读取本台账)"
    lines = [f"台账:{ld.title}({ld.name})。" + (ld.note or ""),
             "在第一个工作表的第 2 行起逐行填写,每行一条记录;不要合并单元格,不要修改表头。",
             f"服务的指标序号:{used}"]
    widths = (16, 26, 26, 8, 8, 30, 20, 36)
    for letter, width in zip("ABCDEFGH", widths):
        notes.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for r in range(1, len(ld.fields) + 2):
        for c in range(1, len(head) + 1):
            notes.cell(row=r, column=c).alignment = wrap
        notes.row_dimensions[r].height = row_height(
            (notes.cell(row=r, column=c).value, w) for c, w in enumerate(widths, start=1))
    for i, line in enumerate(lines):
        safe_text(notes.cell(row=row + i, column=1), line)
        notes.cell(row=row + i, column=1).alignment = wrap
        notes.merge_cells(start_row=row + i, start_column=1, end_row=row + i, end_column=len(head))
        notes.row_dimensions[row + i].height = row_height([(line, sum(widths))])
    for sheet in (ws, notes):
        print_setup(sheet)
    ws.row_dimensions[1].height = row_height(
        (fd.title, ws.column_dimensions[get_column_letter(c)].width) for c, fd in enumerate(ld.fields.values(), 1))
    wb.save(path)


def print_setup(ws) -> None:
    """A4 landscape, one page wide, header row repeated, page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddFooter.center.text = "第 &P 页,共 &N 页"


def unit_yaml(name: str, unit_type: str, start: dt.date, end: dt.date, region: str = "") -> str:
    q = lambda s: json.dumps(s, ensure_ascii=False)
    return (
        "# 被评估单位信息(scorecard init 生成)。\n"
        f"name: {q(name)}\n"
        f"type: {q(unit_type)}  # 县、区、镇、部门\n"
        f"region: {q(region)}\n"
        "period:  # 创建周期\n"
        f"  start: {start.isoformat()}\n"
        f"  end: {end.isoformat()}\n"
        "# inspection_date: 2023-03-01  # 评估(检查)日期,可选\n"
    )


def template_filename(ld: LedgerDef) -> str:
    return f"{ld.title}.xlsx"


def readme(name: str, unit_type: str, start: dt.date, end: dt.date, catalog: LedgerCatalog,
           uses: dict[str, list[tuple[int, str]]]) -> str:
    lines = [
        f"# {name} 法治政府建设示范创建证据包",
        "",
        f"单位类型:{unit_type};创建周期:{start.isoformat()} 至 {end.isoformat()}。",
        "",
        "## 怎样填写",
        "",
        "1. `unit.yaml`:核对单位名称、类型、地区和创建周期。",
        "2. `ledgers/` 下每个 Excel 文件是一本台账:在第一个工作表第 2 行起逐行填写,每行一条记录。"
        "表头单元格的批注和「填表说明」工作表写明了每列填什么、单位、允许取值和示例;是/否 和取值固定的列有下拉列表。",
        "   不要合并单元格、不要改表头;没有内容的台账保持空表即可。也可以改用 CSV(UTF-8 或 GBK)、YAML,"
        "或把多本台账放进一个工作簿(每个工作表以台账名称命名)。",
        "3. 文件资料目录中的「附件路径」填证据包内的相对路径(建议放在 `files/` 下),评估结果会记录其 SHA-256。",
        "4. 法定节假日日历未覆盖的年份,在 `calendar/<年份>.yaml` 中填写国务院办公厅公布的放假和调休安排。",
        "5. 填好后运行 `scorecard validate 本目录` 检查格式,再运行 `scorecard score 本目录` 评分。",
        "",
        "## 台账与指标",
        "",
        "| 台账文件 | 台账 | 服务的指标 |",
        "|---|---|---|",
    ]
    for lname, ld in catalog.ledgers.items():
        served = uses.get(lname, [])
        text = ";".join(f"{no}. {title}" for no, title in served) if served else "(当前规则中没有指标读取)"
        lines.append(f"| `ledgers/{template_filename(ld)}` | {ld.title}({lname}) | {text} |")
    lines += ["", "## 各台账的列", ""]
    for lname, ld in catalog.ledgers.items():
        lines.append(f"### {ld.title}({lname})")
        if ld.note:
            lines.append("")
            lines.append(ld.note)
        lines.append("")
        for fname, fd in ld.fields.items():
            extra = []
            if fd.required:
                extra.append("必填")
            if fd.unit:
                extra.append(f"单位:{fd.unit}")
            if fd.values:
                extra.append("取值:" + "、".join(fd.values))
            lines.append(f"- {fd.title}(`{fname}`,{TYPE_HELP[fd.type]}" + ("," + ",".join(extra) if extra else "") + ")")
        lines.append("")
    return "\n".join(lines)


def scaffold(target: Path, name: str, unit_type: str, start: dt.date, end: dt.date, catalog: LedgerCatalog, rules,
             region: str = "") -> list[Path]:
    """Create the package; refuses to write into a non-empty directory (evidence is never overwritten)."""
    if end < start:
        raise InputError(Problem("--period-end", "创建周期的截止日期早于开始日期", value=end.isoformat(),
                                 expected=f"不早于 {start.isoformat()}", code="period"))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(Problem(str(target), "目标目录已存在且不为空,为避免覆盖证据不予写入", expected="新的或空的目录", code="exists"))
    uses = ledger_uses(rules)
    (target / "ledgers").mkdir(parents=True, exist_ok=True)
    (target / "files").mkdir(exist_ok=True)
    (target / "calendar").mkdir(exist_ok=True)
    written = []
    path = target / "unit.yaml"
    path.write_text(unit_yaml(name, unit_type, start, end, region), encoding="utf-8")
    written.append(path)
    for lname, ld in catalog.ledgers.items():
        path = target / "ledgers" / template_filename(ld)
        write_template(path, ld, uses.get(lname, []))
        written.append(path)
    path = target / "README.md"
    path.write_text(readme(name, unit_type, start, end, catalog, uses), encoding="utf-8")
    written.append(path)
    return written
