"""Read an evidence package directory into typed ledgers.

Layout::

    unit.yaml                 unit, type, region, creation period (创建周期)
    ledgers/<name>.csv|.yaml|.yml|.json   one file per ledger; <name> is the English name,
                              the Chinese title or an alias from ``evidence/ledgers.yaml``
    calendar/<year>.yaml      optional official holiday schedule for years the calendar library lacks
    files/...                 optional attachments referred to by the documents catalog

Problems are collected, never silently dropped: ``load_package`` raises ``InputError`` with every
error found; warnings are returned on the package.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.errors import InputError, Problem
from engine.yamlio import read_yaml, validation_problems

from .models import Ledger, UnitInfo
from .schema import LedgerCatalog, LedgerDef, load_ledger_catalog
from .values import EXPECTED, PARSERS

LEDGER_DIR = "ledgers"
TABLE_SUFFIXES = (".csv", ".yaml", ".yml", ".json")


@dataclass
class EvidencePackage:
    root: Path
    unit: UnitInfo
    ledgers: dict[str, Ledger]
    warnings: list[Problem] = field(default_factory=list)
    digest: str = ""
    problems: list[Problem] = field(default_factory=list)  # errors and warnings, for `scorecard validate`

    def ledger(self, name: str) -> Ledger | None:
        return self.ledgers.get(name)


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), then GB18030 (which covers GBK and GB2312)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(Problem(file, "无法识别文件编码", expected="UTF-8、带 BOM 的 UTF-8 或 GB18030/GBK", code="encoding"))


def _read_csv(path: Path, rel: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    text = decode_text(path.read_bytes(), rel)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for line_no, cells in enumerate(reader, start=1):
        if header is None:
            if not any(c.strip() for c in cells):
                continue
            header = cells
            continue
        if not any(c.strip() for c in cells):
            continue  # blank line (e.g. trailing rows from Excel)
        rows.append((line_no, cells))
    if header is None:
        raise InputError(Problem(rel, "文件为空,没有表头行", expected="第一行为表头(列名)", code="empty"))
    return header, rows


def _read_structured(path: Path, rel: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    if path.suffix == ".json":
        try:
            data = json.loads(decode_text(path.read_bytes(), rel))
        except json.JSONDecodeError as exc:
            raise InputError(Problem(rel, f"JSON 语法错误:{exc.msg}", row=exc.lineno, code="json")) from None
        node = None
    else:
        data, node = read_yaml(path, rel)
    if isinstance(data, dict) and "records" in data:
        data = data["records"]
    if data is None:
        raise InputError(Problem(rel, "文件为空", expected="记录列表(每条记录为 字段: 值)", code="empty"))
    if not isinstance(data, list):
        raise InputError(Problem(rel, "内容应为记录列表", expected="列表,或含 records: 列表的映射", code="shape"))
    headers: list[str] = []
    for item in data:
        if isinstance(item, dict):
            for key in item:
                if str(key) not in headers:
                    headers.append(str(key))
    rows = []
    for index, item in enumerate(data):
        line = node.value[index].start_mark.line + 1 if node is not None and hasattr(node, "value") else index + 1
        if not isinstance(item, dict):
            raise InputError(Problem(rel, "记录应为 字段: 值 的映射", row=line, code="shape"))
        rows.append((line, [item.get(h, item.get(_orig_key(item, h))) for h in headers]))
    return headers, rows


def _orig_key(item: dict, header: str):
    for key in item:
        if str(key) == header:
            return key
    return header


READERS = {".csv": _read_csv, ".yaml": _read_structured, ".yml": _read_structured, ".json": _read_structured}


def parse_table(
    ledger_def: LedgerDef, rel: str, header: list[str], rows: list[tuple[int, list[Any]]], sheet: str | None = None
) -> tuple[Ledger, list[Problem]]:
    """Map headers to fields, parse every cell, collect every problem."""
    problems: list[Problem] = []
    columns: list[tuple[int, str]] = []
    seen: dict[str, str] = {}
    for index, label in enumerate(header):
        if label is None or not str(label).strip():
            continue
        name = ledger_def.field_for_header(str(label))
        if name is None:
            problems.append(
                Problem(rel, "不认识的列,已忽略", sheet=sheet, column=str(label), severity="warning", code="unknown_column",
                        expected="、".join(f.title for f in ledger_def.fields.values()))
            )
            continue
        if name in seen:
            problems.append(Problem(rel, f"列重复:与「{seen[name]}」指同一字段", sheet=sheet, column=str(label), code="duplicate_column"))
            continue
        seen[name] = str(label)
        columns.append((index, name))
    for name, fd in ledger_def.fields.items():
        if fd.required and name not in seen:
            problems.append(
                Problem(rel, "缺少必填列", sheet=sheet, column=fd.title, expected=f"表头含「{fd.title}」(或 {name})", code="missing_column")
            )
    ledger = Ledger(name=ledger_def.name, title=ledger_def.title, file=rel, id_field=ledger_def.id_field, sheet=sheet)
    if any(p.severity == "error" for p in problems):
        return ledger, problems
    converters = [(i, name, ledger_def.fields[name], PARSERS[ledger_def.fields[name].type]) for i, name in columns]
    ids: dict[str, int] = {}
    for line, cells in rows:
        record: dict[str, Any] = {}
        ok = True
        for index, name, fd, parse in converters:
            raw = cells[index] if index < len(cells) else None
            try:
                value = parse(raw)
            except ValueError as exc:
                problems.append(Problem(rel, str(exc), row=line, column=fd.title, value=str(raw), sheet=sheet,
                                        expected=_expected(fd), code="bad_value"))
                ok = False
                continue
            if value is None:
                if fd.required:
                    problems.append(Problem(rel, "必填字段为空", row=line, column=fd.title, sheet=sheet, expected=_expected(fd),
                                            code="required"))
                    ok = False
                continue
            if fd.type == "enum" and value not in fd.values:
                problems.append(Problem(rel, "取值不在允许范围内", row=line, column=fd.title, value=str(raw), sheet=sheet,
                                        expected="、".join(fd.values), code="bad_enum"))
                ok = False
                continue
            record[name] = value
        if not ok:
            continue
        rid = str(record.get(ledger_def.id_field))
        if rid in ids:
            problems.append(Problem(rel, f"编号重复(与第{ids[rid]}行相同)", row=line, column=ledger_def.fields[ledger_def.id_field].title,
                                    value=rid, sheet=sheet, severity="warning", code="duplicate_id"))
        else:
            ids[rid] = line
        ledger.records.append(record)
        ledger.rows.append(line)
    return ledger, problems


def _expected(fd) -> str:
    text = EXPECTED[fd.type]
    if fd.type == "enum":
        text += ":" + "、".join(fd.values)
    if fd.unit:
        text += f"(单位:{fd.unit})"
    return text


def inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def load_package(root: Path | str, catalog: LedgerCatalog | None = None, *, strict: bool = True) -> EvidencePackage:
    """Load and validate a package. With ``strict`` any error raises ``InputError`` (all problems at once)."""
    root = Path(root)
    catalog = catalog or load_ledger_catalog()
    if not root.is_dir():
        raise InputError(Problem(str(root), "证据包目录不存在", expected="包含 unit.yaml 和 ledgers/ 的目录", code="no_package"))
    problems: list[Problem] = []
    unit_path = root / "unit.yaml"
    unit = None
    if not unit_path.is_file():
        problems.append(Problem("unit.yaml", "缺少 unit.yaml", expected="单位名称、类型、地区、创建周期", code="no_unit"))
    else:
        try:
            data, node = read_yaml(unit_path, "unit.yaml")
            unit = UnitInfo.model_validate(data if data is not None else {})
        except ValidationError as exc:
            problems.extend(validation_problems(exc, "unit.yaml", node))
        except InputError as exc:
            problems.extend(exc.problems)
    ledgers: dict[str, Ledger] = {}
    digest = hashlib.sha256()
    ledger_dir = root / LEDGER_DIR
    files = sorted(ledger_dir.iterdir()) if ledger_dir.is_dir() else []
    if not ledger_dir.is_dir():
        problems.append(Problem(LEDGER_DIR + "/", "缺少台账目录 ledgers/", severity="warning", code="no_ledgers"))
    for path in files:
        rel = path.relative_to(root).as_posix()
        if path.name.startswith((".", "~$")) or path.is_dir():
            continue
        if not inside(root, path):
            problems.append(Problem(rel, "文件链接指向证据包之外,拒绝读取", code="outside"))
            continue
        if path.suffix.lower() not in READERS:
            problems.append(Problem(rel, "不支持的台账文件类型,已忽略", severity="warning", expected="、".join(READERS), code="unknown_file"))
            continue
        name = catalog.ledger_for_name(path.stem)
        if name is None:
            problems.append(Problem(rel, f"不认识的台账名称「{path.stem}」", expected="、".join(
                f"{n}({d.title})" for n, d in catalog.ledgers.items()), code="unknown_ledger"))
            continue
        if name in ledgers:
            problems.append(Problem(rel, f"与 {ledgers[name].file} 是同一台账,重复提供", code="duplicate_ledger"))
            continue
        data = path.read_bytes()
        try:
            header, rows = READERS[path.suffix.lower()](path, rel)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        ledger, found = parse_table(catalog.ledgers[name], rel, [str(h) if h is not None else "" for h in header], rows)
        ledger.sha256 = hashlib.sha256(data).hexdigest()
        problems.extend(found)
        ledgers[name] = ledger
    for path in [unit_path, root / "references.yaml"]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in sorted(ledgers):
        digest.update(ledgers[name].file.encode() + b"\0" + ledgers[name].sha256.encode())
    errors = [p for p in problems if p.severity == "error"]
    if errors and strict:
        raise InputError(problems)
    if unit is None:
        raise InputError(problems)
    problems.sort(key=lambda p: (p.severity != "error", p.file, p.row or 0, p.column or ""))
    return EvidencePackage(root=root, unit=unit, ledgers=ledgers, warnings=[p for p in problems if p.severity != "error"],
                           digest=digest.hexdigest(), problems=problems)
