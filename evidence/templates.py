"""Scaffold an empty evidence package (``scorecard init``): unit.yaml, one .xlsx template per ledger, README.md.

Templates are written with openpyxl: a Chinese header row (protected: the sheet is protected without a
password, every data cell below the header is unlocked), a cell comment per column (what to enter, unit,
allowed values, example), a dropdown (list validation) for every enum, 是/否 and code-list column (code lists
from the compiled rules, ``evidence.codes``, kept in a protected 「代码表」 sheet and shown as "label(code)"),
date format and date validation on the whole date columns, whole-number/number validation on numeric columns,
and a 「填表说明」 sheet with a realistic example row (``examples.yaml``); both extra sheets are ignored by the
reader. No cell ever starts a formula.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError, Problem
from engine.markdown import md_text
from engine.yamlio import read_yaml
from evidence.codes import CLOSED, code_lists, shown
from evidence.schema import FieldDef, LedgerCatalog, LedgerDef
from evidence.sheetfit import display_width, print_setup, row_height

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
    "percent": "百分比:填 95% 或 0.95(两者都表示 95%)",
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


EXAMPLES_FILE = Path(__file__).with_name("examples.yaml")
NUMBER_EXAMPLES = {"人": 12, "份": 300, "次": 4, "学时": 40, "年": None, "件": 3, "个": 5}


@functools.cache
def _given_examples() -> dict:
    data, _ = read_yaml(EXAMPLES_FILE)
    return data or {}


def example(fd: FieldDef, name: str, ld: LedgerDef, codes: list[str] | None = None,
            start: dt.date | None = None):
    """A realistic value for a column: ``examples.yaml``, else a real code, allowed value, in-period date …"""
    given = _given_examples().get(ld.name, {}).get(name)
    if given is not None:
        return given
    if codes:
        return shown(ld.name, name, codes[0])
    if name == ld.id_field:
        return "001"
    if fd.type == "enum":
        return fd.values[0]
    day = (start or dt.date(2021, 1, 1)) + dt.timedelta(days=77)
    if fd.type == "date":
        return day.isoformat()
    if fd.type == "datetime":
        return f"{day.isoformat()} 09:30"
    if fd.type == "int":
        if fd.unit == "年":
            return day.year
        return NUMBER_EXAMPLES.get(fd.unit or "", 2) or 2
    if fd.type == "float":
        return 40 if fd.unit == "学时" else 1.5
    return EXAMPLES[fd.type]


def column_note(name: str, fd: FieldDef, ld: LedgerDef, codes: list[str] | None = None,
                start: dt.date | None = None) -> str:
    lines = [f"{fd.title}({name})", ("必填" if fd.required else "选填") + ";" + TYPE_HELP[fd.type]]
    if fd.unit:
        lines.append(f"单位:{fd.unit}")
    if fd.values:
        lines.append("允许取值:" + "、".join(fd.values))
    if codes:
        lines.append(f"从下拉列表选择(共 {len(codes)} 项,见「代码表」工作表)")
    if fd.note:
        lines.append("说明:" + fd.note)
    if fd.blank_means:
        lines.append("请勿留空:空白" + ("按适用计入" if fd.blank_means == "in_scope" else "的记录不计入") + ",并作为不完整记录提示")
    if name == ld.id_field:
        lines.append("每行唯一的编号")
    lines.append(f"示例:{example(fd, name, ld, codes, start)}")
    return "\n".join(lines)


def safe_text(cell, value) -> None:
    """Write ``value``; a string that could start a formula is stored as literal text."""
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


CODE_SHEET = "代码表"
NOTE_SHEET = "填表说明"
LAST_ROW = 5000  # rows covered by validation


def _list_validation(values_ref: str, fd: FieldDef, strict: bool, choices: list[str]):
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="list", formula1=values_ref, allow_blank=not fd.required, showDropDown=False)
    dv.errorStyle = "stop" if strict else "warning"
    dv.errorTitle = "取值不在下拉列表中"
    dv.error = ("请从下拉列表选择:" + "、".join(choices))[:255]
    dv.promptTitle, dv.prompt = fd.title[:32], ("请从下拉列表选择" + ("" if strict else ";其他取值不计入评分"))[:255]
    dv.showErrorMessage = dv.showInputMessage = True
    return dv


def write_template(path: Path, ld: LedgerDef, uses: list[tuple[int, str]],
                   codes: dict[str, list[str]] | None = None, start: dt.date | None = None) -> None:
    """One ledger's template. ``codes``: field -> codes the rules use (a dropdown each)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    codes = codes or {}
    wb = Workbook()
    ws = wb.active
    ws.title = ld.title[:31]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    wrap = Alignment(wrap_text=True, vertical="top")
    unlocked = Protection(locked=False)
    last = LAST_ROW
    code_sheet = wb.create_sheet(CODE_SHEET) if codes else None
    code_col = 0
    for col, (name, fd) in enumerate(ld.fields.items(), start=1):
        cell = ws.cell(row=1, column=col)
        safe_text(cell, fd.title)
        cell.font = bold
        cell.fill = required_fill if fd.required else fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.protection = Protection(locked=True)
        comment = Comment(column_note(name, fd, ld, codes.get(name), start), "scorecard")
        comment.width, comment.height = 300, 180
        cell.comment = comment
        letter = get_column_letter(col)
        dim = ws.column_dimensions[letter]
        dim.width = max(12, min(40, len(fd.title) * 2 + 4))
        dim.protection = unlocked  # the whole column below the header stays editable
        dim.alignment = wrap
        ref = f"{letter}2:{letter}{last}"
        if name in codes and code_sheet is not None:
            code_col += 1
            cl = get_column_letter(code_col)
            shown_values = [shown(ld.name, name, c) for c in codes[name]]
            safe_text(code_sheet.cell(row=1, column=code_col), fd.title)
            code_sheet.cell(row=1, column=code_col).font = bold
            for r, value in enumerate(shown_values, start=2):
                safe_text(code_sheet.cell(row=r, column=code_col), value)
                code_sheet.cell(row=r, column=code_col).alignment = wrap
            code_sheet.column_dimensions[cl].width = min(60, max(12, max(display_width(v) for v in shown_values) + 2))
            dim.width = max(dim.width, 30)
            dv = _list_validation(f"'{CODE_SHEET}'!${cl}$2:${cl}${len(shown_values) + 1}", fd,
                                  (ld.name, name) in CLOSED, shown_values[:8] + (["…"] if len(shown_values) > 8 else []))
            ws.add_data_validation(dv)
            dv.add(ref)
        elif fd.type in ("enum", "bool"):
            values = fd.values if fd.type == "enum" else ["是", "否"]
            formula = '"' + ",".join(values) + '"'
            if len(formula) <= 255:
                dv = _list_validation(formula, fd, fd.type == "enum", values)
                dv.prompt = ("请选择:" + "、".join(values))[:255]
                if fd.type == "bool":
                    dv.errorStyle = "warning"  # √/×、Y/N are read too
                ws.add_data_validation(dv)
                dv.add(ref)
        elif fd.type in ("date", "datetime"):
            dim.number_format = "yyyy-mm-dd" if fd.type == "date" else "yyyy-mm-dd hh:mm"
            dv = DataValidation(type="date", operator="between", formula1="36526", formula2="73415", allow_blank=True)
            dv.errorStyle = "warning"  # 2021年8月18日 typed as text is read too
            dv.errorTitle, dv.error = "应为日期", "请填写日期,如 2021-08-18"
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(ref)
        elif fd.type in ("int", "float", "percent"):
            kind = "whole" if fd.type == "int" else "decimal"
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            if fd.type == "percent":
                dv.error = "请填写百分比,如 95% 或 0.95(两者都表示 95%)"
            else:
                dv.error = "请填写" + ("整数" if fd.type == "int" else "数字") + (f"(单位:{fd.unit})" if fd.unit else "")
            dv.showErrorMessage = True
            dv.errorStyle = "warning"  # people also type 40学时; the reader accepts the column's own unit
            ws.add_data_validation(dv)
            dv.add(ref)
    ws.freeze_panes = "A2"
    _protect(ws)
    notes = wb.create_sheet(NOTE_SHEET)
    head = ["列名", "字段名", "类型", "是否必填", "单位", "允许取值", "示例", "说明"]
    for col, text in enumerate(head, start=1):
        safe_text(notes.cell(row=1, column=col), text)
        notes.cell(row=1, column=col).font = bold
    for row, (name, fd) in enumerate(ld.fields.items(), start=2):
        allowed = "、".join(fd.values or (["是", "否"] if fd.type == "bool" else []))
        if name in codes:
            allowed = f"下拉列表,共 {len(codes[name])} 项(见「{CODE_SHEET}」)"
        values = [fd.title, name, TYPE_HELP[fd.type], "必填" if fd.required else "选填", fd.unit or "",
                  allowed, str(example(fd, name, ld, codes.get(name), start)), fd.note or ""]
        for col, text in enumerate(values, start=1):
            safe_text(notes.cell(row=row, column=col), text)
    row = len(ld.fields) + 3
    used = "、".join(f"{no}" for no, _ in uses) if uses else "(当前规则中没有指标读取本台账)"
    lines = [f"台账:{ld.title}({ld.name})。" + (ld.note or ""),
             "在第一个工作表的第 2 行起逐行填写,每行一条记录;表头已保护(不要改表头、不要合并单元格)。"
             "有下拉列表的列从列表选择,其他取值不计入评分。",
             f"服务的指标序号:{used}",
             "示例行(按第一个工作表的列顺序;仅供参考,不要复制本行到台账中):"]
    widths = (16, 26, 26, 8, 8, 30, 20, 36)
    for letter, width in zip("ABCDEFGH", widths):
        notes.column_dimensions[letter].width = width
    for r in range(1, len(ld.fields) + 2):
        for c in range(1, len(head) + 1):
            notes.cell(row=r, column=c).alignment = wrap
        notes.row_dimensions[r].height = row_height(
            (notes.cell(row=r, column=c).value, w) for c, w in enumerate(widths, start=1))
    for i, line in enumerate(lines):
        safe_text(notes.cell(row=row + i, column=1), line)
        notes.cell(row=row + i, column=1).alignment = wrap
        notes.merge_cells(start_row=row + i, start_column=1, end_row=row + i, end_column=len(head))
        notes.row_dimensions[row + i].height = row_height([(line, sum(widths) * 0.8)])
    sample = "  |  ".join(f"{fd.title}:{example(fd, name, ld, codes.get(name), start)}" for name, fd in ld.fields.items())
    r = row + len(lines)
    safe_text(notes.cell(row=r, column=1), sample)
    notes.cell(row=r, column=1).alignment = wrap
    notes.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(head))
    notes.row_dimensions[r].height = row_height([(sample, sum(widths) * 0.8)])
    sheets = [ws, notes]
    if code_sheet is not None:
        code_sheet.freeze_panes = "A2"
        for r in range(1, code_sheet.max_row + 1):
            code_sheet.row_dimensions[r].height = row_height(
                (code_sheet.cell(row=r, column=c).value, code_sheet.column_dimensions[get_column_letter(c)].width)
                for c in range(1, code_col + 1))
        _protect(code_sheet)
        sheets.append(code_sheet)
    for sheet in sheets:
        print_setup(sheet)
    ws.row_dimensions[1].height = row_height(
        (fd.title, ws.column_dimensions[get_column_letter(c)].width) for c, fd in enumerate(ld.fields.values(), 1))
    wb.save(path)


def _protect(ws) -> None:
    """Protect locked cells (the header; the whole 代码表) without a password; sorting, filtering, formatting,
    inserting and deleting rows stay allowed."""
    prot = ws.protection
    prot.sheet = True
    for name in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter"):
        setattr(prot, name, False)


def unit_yaml(name: str, unit_type: str, start: dt.date, end: dt.date, region: str = "") -> str:
    q = lambda s: json.dumps(s, ensure_ascii=False)
    return (
        "# 被评估单位信息(scorecard init 生成)。\n"
        f"name: {q(name)}\n"
        f"type: {q(unit_type)}  # 县、区、镇、街道、部门\n"
        f"region: {q(region)}\n"
        "period:  # 创建周期\n"
        f"  start: {start.isoformat()}\n"
        f"  end: {end.isoformat()}\n"
        "# inspection_date: 2023-03-01  # 评估(检查)日期,可选\n"
    )


def write_unit_sheet(path: Path, name: str, unit_type: str, start: dt.date, end: dt.date, region: str = "") -> None:
    """``单位信息.xlsx``: the unit information as a sheet (项目 | 内容 | 说明), the same content as unit.yaml.

    The reader uses it when unit.yaml is absent; with both present unit.yaml wins and a difference is a warning."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from evidence.models import UNIT_TYPES

    wb = Workbook()
    ws = wb.active
    ws.title = "单位信息"
    rows = [("项目", "内容", "说明"), ("单位名称", name, "必填"), ("单位类型", unit_type, "从下拉列表选择"),
            ("地区", region, "选填,如 示例省示例市"), ("创建周期开始", start, "日期"), ("创建周期截止", end, "日期"),
            ("检查日期", None, "选填:评估(检查)日期")]
    widths = (16, 36, 30)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions["ABC"[col - 1]].width = width
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if value is not None:
                safe_text(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if r == 1:
                cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
            if c == 2 and r > 1:
                cell.protection = Protection(locked=False)
                if isinstance(value, dt.date) or row[0] == "检查日期":
                    cell.number_format = "yyyy-mm-dd"
        ws.row_dimensions[r].height = row_height(
            (str(v) if v is not None else "", w) for v, w in zip(row, widths))
    dv = DataValidation(type="list", formula1='"' + ",".join(UNIT_TYPES) + '"', allow_blank=False)
    dv.error, dv.showErrorMessage = "请从下拉列表选择:" + "、".join(UNIT_TYPES), True
    ws.add_data_validation(dv)
    dv.add("B3")
    _protect(ws)
    print_setup(ws)
    wb.save(path)


def template_filename(ld: LedgerDef) -> str:
    return f"{ld.title}.xlsx"


def readme(name: str, unit_type: str, start: dt.date, end: dt.date, catalog: LedgerCatalog,
           uses: dict[str, list[tuple[int, str]]]) -> str:
    lines = [
        f"# {md_text(name)} 法治政府建设示范创建证据包",
        "",
        f"单位类型:{unit_type};创建周期:{start.isoformat()} 至 {end.isoformat()}。",
        "",
        "## 怎样填写",
        "",
        "1. `unit.yaml`(或同样内容的 `单位信息.xlsx`):核对单位名称、类型、地区和创建周期。"
        "两者都在时以 unit.yaml 为准(不一致时 validate 给出警告);只想用 Excel 填写的,删除 unit.yaml 即可。",
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
    path = target / "单位信息.xlsx"
    write_unit_sheet(path, name, unit_type, start, end, region)
    written.append(path)
    lists = code_lists(rules)
    for lname, ld in catalog.ledgers.items():
        path = target / "ledgers" / template_filename(ld)
        codes = {field: values for (ledger, field), values in lists.items() if ledger == lname}
        write_template(path, ld, uses.get(lname, []), codes, start)
        written.append(path)
    path = target / "README.md"
    path.write_text(readme(name, unit_type, start, end, catalog, uses), encoding="utf-8")
    written.append(path)
    return written
