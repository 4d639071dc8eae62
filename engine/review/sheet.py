"""Review worksheet (核查工作表): every item with a review share still pending, with its gathered evidence, as .xlsx.

That is every item whose review checks have no verdict yet, whatever its automatic checks concluded: an item whose
automatic checks fail still has qualitative clauses to judge (and their share of the points to earn).

The evaluator fills in the columns 核查结论 / 得分 / 理由 / 核查人 / 核查日期 / 查阅证据; the file is
then accepted by ``scorecard score PKG --review FILE.xlsx``. Rows without a 核查结论 are skipped.
Every cell written from evidence or rules is a string cell (never a formula), whatever its first character.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from engine.errors import InputError, Problem
from engine.results import STATUS_ZH, ScoreResult
from engine.review.verdicts import LocatedVerdict, Verdict
from evidence.sheetfit import print_setup, row_height

SHEET = "人工核查"
COLUMNS = [
    ("indicator", "指标序号", 10),
    ("check", "检查项", 14),
    ("title", "指标名称", 28),
    ("max_points", "分值", 8),
    ("automated", "自动评估结论", 14),
    ("prompt", "核查要点", 50),
    ("gathered", "已收集证据", 60),
    ("verdict", "核查结论(通过/未通过/部分通过/不适用)", 18),
    ("points", "得分", 8),
    ("reason", "理由", 30),
    ("reviewer", "核查人", 12),
    ("date", "核查日期(YYYY-MM-DD)", 16),
    ("evidence", "查阅证据(分号分隔)", 30),
]
GATHERED_SHOWN = 12
INPUT_KEYS = ("verdict", "points", "reason", "reviewer", "date", "evidence")
_HEADERS = {title: key for key, title, _ in COLUMNS} | {"核查结论(通过/未通过/部分通过)": "verdict"}  # sheets written before 不适用


def sheet_rows(result: ScoreResult) -> list[dict]:
    """One row per review check still waiting for a verdict (its share of the points in 分值)."""
    rows = []
    for item in result.indicators:
        if not item.pending_review:
            continue
        gathered = []
        for c in item.checks:
            for cit in c.evidence:
                where = f"{cit.file}" + (f" 第{cit.row}行" if cit.row else "")
                gathered.append(f"{cit.ledger}/{cit.id}({where})" + (f" {cit.note}" if cit.note else ""))
            if c.evidence_total > len(c.evidence):
                gathered.append(f"……另有 {c.evidence_total - len(c.evidence)} 条({c.id})")
        gathered = list(dict.fromkeys(gathered))
        if len(gathered) > GATHERED_SHOWN:  # a row must fit on one printed page; the report lists them all
            gathered = gathered[:GATHERED_SHOWN] + [f"……另有 {len(gathered) - GATHERED_SHOWN} 条,见评估报告"]
        automated = (f"{STATUS_ZH[item.status]}(已确认 {item.earned:g} 分,"
                     f"待核查 {item.pending_review_points:g} 分)")
        for c in item.checks:
            if c.kind != "review" or c.status != "needs_review":
                continue
            rows.append({"indicator": item.no, "check": c.id, "title": item.title,
                         "max_points": c.points if c.points is not None else item.points,
                         "automated": automated, "prompt": f"{c.title}:{c.message or c.required or ''}".rstrip(":"),
                         "gathered": "\n".join(gathered) or "(未收集到台账记录)"})
    return rows


def write_sheet(result: ScoreResult, path: Path) -> int:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for col, (_, title, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col)
        _text(cell, title)
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = width
    fill = PatternFill("solid", fgColor="FFF2CC")
    rows = sheet_rows(result)
    for r, row in enumerate(rows, start=2):
        for col, (key, _, _) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=r, column=col)
            value = row.get(key)
            if key in ("indicator", "max_points"):
                cell.value = value
            elif value is not None:
                _text(cell, str(value))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if key in INPUT_KEYS:
                cell.fill = fill
        ws.row_dimensions[r].height = row_height((row.get(key), width) for key, _, width in COLUMNS)
    if rows:
        dv = DataValidation(type="list", formula1='"通过,未通过,不适用"', allow_blank=True)
        ws.add_data_validation(dv)
        col = [k for k, _, _ in COLUMNS].index("verdict") + 1
        dv.add(f"{ws.cell(row=2, column=col).coordinate}:{ws.cell(row=len(rows) + 1, column=col).coordinate}")
    ws.freeze_panes = "C2"
    ws.row_dimensions[1].height = row_height((title, width) for _, title, width in COLUMNS)
    for col in range(1, len(COLUMNS) + 1):
        ws.cell(row=1, column=col).alignment = Alignment(wrap_text=True, vertical="center")
    print_setup(ws)
    info = wb.create_sheet("说明")
    info.column_dimensions["A"].width = 100
    print_setup(info)
    for r, line in enumerate([
        f"单位:{result.unit.name}",
        f"规则版本:{result.run.rules_edition};剪裁方案:{result.run.profile}({result.run.profile_digest or ''})",
        f"证据包摘要:{result.run.evidence_digest}",
        "每行是一个核查项,分值为该核查项在指标中所占的分数。填写黄色列:核查结论填 通过/未通过/不适用;核查人、核查日期必填。",
        "不适用:该核查项确实不适用于本单位(须填写理由,不填得分),不计入该指标的分值分配;缺少材料不是不适用,应判未通过。",
        "如需对整个指标作出结论(含部分通过并填得分),清空「检查项」列;改变自动检查结论须填写理由。",
        "未填核查结论的行不导入。填好后:scorecard score 证据包 --review 本文件.xlsx",
    ], start=1):
        _text(info.cell(row=r, column=1), line)
        info.cell(row=r, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        info.row_dimensions[r].height = row_height([(line, 100)])
    from engine.files import write_atomic

    write_atomic(path, writer=wb.save)
    return len(rows)


def _text(cell, value: str) -> None:
    """A string cell, never a formula: openpyxl would store '=…' as a formula, so force the type."""
    cell.value = value
    cell.data_type = "s"
    if value[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def read_sheet(path: Path, raw: bytes | None = None):
    import io

    from engine.files import check_workbook, read_bytes

    shown = str(path)
    raw = raw if raw is not None else read_bytes(None, path, shown)
    check_workbook(raw, shown)  # size and dimension caps before openpyxl inflates anything
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is an input problem
        raise InputError(Problem(shown, f"无法读取 Excel 文件({type(exc).__name__})", code="review")) from None
    if SHEET not in wb.sheetnames:
        raise InputError(Problem(shown, f"缺少工作表「{SHEET}」", expected=SHEET, code="review"))
    ws = wb[SHEET]
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    header = [_HEADERS.get(str(h).strip() if h is not None else "") for h in rows[0]]
    missing = [title for key, title, _ in COLUMNS if key in ("indicator", "verdict", "reviewer", "date")
               and key not in header]
    if missing:
        raise InputError(Problem(shown, f"缺少列:{'、'.join(missing)}", sheet=SHEET, row=1, code="review"))
    out, problems = [], []
    for r, values in enumerate(rows[1:], start=2):
        rec = {k: v for k, v in zip(header, values) if k}
        if rec.get("verdict") is None or not str(rec.get("verdict")).strip():
            continue
        data = {"indicator": rec.get("indicator"), "verdict": str(rec["verdict"]).strip(),
                "reviewer": _str(rec.get("reviewer")), "date": _date(rec.get("date")),
                "reason": _str(rec.get("reason")), "evidence": _str(rec.get("evidence")) or []}
        if rec.get("check") not in (None, ""):
            data["check"] = str(rec["check"]).strip()
        if rec.get("points") not in (None, ""):
            data["points"] = rec["points"]
        try:
            out.append(LocatedVerdict(Verdict.model_validate(data), shown, r, SHEET))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(x) for x in err.get("loc", ()))
                problems.append(Problem(shown, f"核查结论填写有误:{err.get('msg')}", row=r, column=field, sheet=SHEET,
                                        value=None if err.get("input") is None else str(err.get("input")),
                                        code="review"))
    wb.close()
    if problems:
        raise InputError(problems)
    return out


def _str(value) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    return value
