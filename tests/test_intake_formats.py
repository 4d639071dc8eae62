"""The same ledger content read from XLSX (per-ledger files and one workbook), UTF-8 CSV, UTF-8-BOM CSV,
GB18030 CSV and YAML gives identical records and identical scores; values as people type them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from engine.errors import InputError
from engine.evaluate import score
from engine.evaluate.backends import get_backend
from engine.synth import generate
from evidence.package import decode_text, load_package
from evidence.values import parse_bool, parse_date, parse_datetime, parse_float, parse_int, parse_percent

UNIT = {"name": "格式测试县人民政府", "type": "县", "region": "某省",
        "period": {"start": "2021-01-01", "end": "2022-12-31"}}

from conftest import strip_location


def _text(value, ftype: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"  # as typed in Chinese offices
    if ftype == "percent":
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_bytes(ld, records, encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    names = list(ld.fields)
    w.writerow([ld.fields[n].title for n in names])
    for r in records:
        w.writerow([_text(r.get(n), ld.fields[n].type) for n in names])
    w.writerow([""] * len(names))  # trailing blank rows, as Excel exports them
    w.writerow([])
    return buf.getvalue().encode(encoding)


def write_sheet(ws, ld, records) -> None:
    """Native cell types: real date cells, numbers, booleans as √/×."""
    names = list(ld.fields)
    ws.append([ld.fields[n].title for n in names])
    for r in records:
        row = []
        for n in names:
            v = r.get(n)
            if isinstance(v, bool):
                v = "√" if v else "×"
            row.append(v)
        ws.append(row)
    for cells in ws.iter_rows(min_row=2):
        for c in cells:
            if isinstance(c.value, dt.datetime):
                c.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(c.value, dt.date):
                c.number_format = "yyyy年m月d日"


def write_variant(src, out: Path, kind: str, catalog) -> Path:
    import openpyxl

    shutil.rmtree(out, ignore_errors=True)
    (out / "ledgers").mkdir(parents=True)
    shutil.copy(src.root / "unit.yaml", out / "unit.yaml")
    names = sorted(src.ledgers)
    book = openpyxl.Workbook() if kind in ("workbook", "mixed") else None
    if book is not None:
        book.remove(book.active)
        book.create_sheet("填表说明").append(["说明", "本工作表不是台账"])
    for i, name in enumerate(names):
        ld = catalog.ledgers[name]
        records = src.ledgers[name].records
        target = out / "ledgers"
        if kind in ("csv-utf8", "csv-bom", "csv-gb18030"):
            enc = {"csv-utf8": "utf-8", "csv-bom": "utf-8-sig", "csv-gb18030": "gb18030"}[kind]
            (target / f"{ld.title}.csv").write_bytes(csv_bytes(ld, records, enc))
        elif kind == "yaml":
            text = yaml.safe_dump([{ld.fields[k].title: v for k, v in r.items()} for r in records], allow_unicode=True,
                                  sort_keys=False)
            (target / f"{name}.yaml").write_text(text, encoding="utf-8")
        elif kind == "xlsx":
            wb = openpyxl.Workbook()
            wb.active.title = ld.title[:31]
            write_sheet(wb.active, ld, records)
            wb.create_sheet("填表说明").append(["列名"])
            wb.save(target / f"{name}.xlsx")
        elif kind == "workbook" or (kind == "mixed" and i % 2 == 0):
            write_sheet(book.create_sheet(ld.title[:31]), ld, records)
        else:  # mixed: the other half as GBK CSV
            (target / f"{name}.csv").write_bytes(csv_bytes(ld, records, "gb18030"))
    if book is not None:
        book.save(out / "ledgers" / "台账.xlsx")
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory, rules):
    root = generate(rules, tmp_path_factory.mktemp("src") / "pkg", unit=UNIT, seed=3, violation_share=0.2)
    return load_package(root, rules.ledgers)


def _score_json(pkg, rules) -> dict:
    data = json.loads(score(pkg, rules, get_backend("python")).to_json())
    data.pop("warnings", None)
    return strip_location(data)


@pytest.mark.parametrize("kind", ["csv-utf8", "csv-bom", "csv-gb18030", "yaml", "xlsx", "workbook", "mixed"])
def test_same_records_and_scores(kind, source, rules, tmp_path):
    assert sum(len(l.records) for l in source.ledgers.values()) > 50
    pkg_dir = write_variant(source, tmp_path / kind, kind, rules.ledgers)
    pkg = load_package(pkg_dir, rules.ledgers)
    assert not [p for p in pkg.problems if p.severity == "error"]
    assert sorted(pkg.ledgers) == sorted(source.ledgers)
    for name, ledger in source.ledgers.items():
        assert pkg.ledgers[name].records == ledger.records, name
        if kind in ("workbook", "xlsx") or (kind == "mixed" and pkg.ledgers[name].file.endswith(".xlsx")):
            assert pkg.ledgers[name].sheet == rules.ledgers.ledgers[name].title[:31]
    assert _score_json(pkg, rules) == _score_json(source, rules)


def test_rows_reported_as_excel_rows_with_sheet(tmp_path, rules):
    import openpyxl

    (tmp_path / "ledgers").mkdir()
    (tmp_path / "unit.yaml").write_text(yaml.safe_dump(UNIT, allow_unicode=True), encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "培训学时台账"
    ws.append([])  # a blank first row: the header is on row 2
    ws.append(["记录编号", "人员编号", "培训日期", "学时"])
    ws.append(["T1", "P1", dt.date(2021, 3, 1), 40])
    ws.append(["T2", "P1", "2023年2月30日", "四十"])
    wb.save(tmp_path / "ledgers" / "台账.xlsx")
    pkg = load_package(tmp_path, rules.ledgers, strict=False)
    errors = [p for p in pkg.problems if p.severity == "error"]
    assert {(p.sheet, p.row, p.column) for p in errors} == {("培训学时台账", 4, "培训日期"), ("培训学时台账", 4, "学时")}
    assert any("2023年2月30日" in (p.value or "") and "日期不存在" in p.message for p in errors)


@pytest.mark.parametrize("raw, expected", [
    ("2021年8月18日", dt.date(2021, 8, 18)), ("2021/8/18", dt.date(2021, 8, 18)), ("2021.8.18", dt.date(2021, 8, 18)),
    ("2021-08-18", dt.date(2021, 8, 18)), ("２０２１年８月１８日", dt.date(2021, 8, 18)), (44426, dt.date(2021, 8, 18)),
    ("44426", dt.date(2021, 8, 18)), (dt.datetime(2021, 8, 18, 9, 0), dt.date(2021, 8, 18)), ("2021年8月18号", dt.date(2021, 8, 18)),
    (" 2021-08-18 ", dt.date(2021, 8, 18)), ("2021-08-18\u3000", dt.date(2021, 8, 18)),
])
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("2021-08-18 14:30", dt.datetime(2021, 8, 18, 14, 30)), ("2021年8月18日 14时30分", dt.datetime(2021, 8, 18, 14, 30)),
    ("2021年8月18日下午2:30", dt.datetime(2021, 8, 18, 14, 30)), ("2021/8/18 下午2:30", dt.datetime(2021, 8, 18, 14, 30)),
    ("2021.8.18 上午9:05", dt.datetime(2021, 8, 18, 9, 5)), (44426.5, dt.datetime(2021, 8, 18, 12, 0)),
    ("2021-08-18", dt.datetime(2021, 8, 18)), (dt.date(2021, 8, 18), dt.datetime(2021, 8, 18)),
])
def test_datetimes(raw, expected):
    assert parse_datetime(raw) == expected


@pytest.mark.parametrize("raw", ["2023年2月30日", "2021-13-01", "昨天", "2021/2/29"])
def test_bad_dates(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("是", True), ("否", False), ("√", True), ("×", False), ("Y", True), ("N", False), ("true", True), ("false", False),
    ("TRUE", True), (True, True), (1, True), (0.0, False), (" 是 ", True),
])
def test_bools(raw, expected):
    assert parse_bool(raw) is expected


@pytest.mark.parametrize("raw, expected", [("95%", 0.95), ("0.95", 0.95), (0.95, 0.95), ("９５％", 0.95), ("95 %", 0.95), (95, 0.95),
                                           ("100%", 1.0), ("1", 1.0)])
def test_percent(raw, expected):
    assert parse_percent(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw, expected", [("４０", 40), ("1,200", 1200), ("40学时", 40), ("　40　", 40), (40.0, 40)])
def test_full_width_numbers(raw, expected):
    assert parse_int(raw) == expected
    assert parse_float(raw) == float(expected)


def test_gbk_decoding_and_binary_detection():
    text = "文号,文件名称\nA-1,关于印发《行政执法公示制度》的通知\n"
    for enc in ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"):
        assert decode_text(text.encode(enc), "x.csv") == text
    with pytest.raises(InputError) as exc:
        decode_text(b"PK\x03\x04" + b"\x00" * 50, "x.csv")
    assert "Excel" in exc.value.problems[0].message
    with pytest.raises(InputError) as exc:
        decode_text(bytes(range(256)) * 4, "x.csv")
    assert exc.value.problems[0].file == "x.csv" and exc.value.problems[0].code == "encoding"
    with pytest.raises(InputError) as exc:
        decode_text("文号\n".encode() + b"\x81\x30\xff\xff\n", "y.csv")
    assert exc.value.problems[0].row == 2


def _training_csv(tmp_path, body: str, header: str = "记录编号,人员编号,培训日期,学时\n") -> Path:
    (tmp_path / "ledgers").mkdir()
    (tmp_path / "unit.yaml").write_text(yaml.safe_dump(UNIT, allow_unicode=True), encoding="utf-8")
    (tmp_path / "ledgers" / "training_records.csv").write_bytes((header + body).encode("utf-8"))
    return tmp_path


def test_repeated_values_parse_alike_and_repeated_bad_values_are_each_reported(tmp_path, rules):
    pkg = _training_csv(tmp_path, "T1,P1,2021年3月1日,40\nT2,P1,2021/3/1,四十\nT3,P2,2021年3月1日,40\nT4,P2,2021-13-01,四十\n")
    pkg = load_package(pkg, rules.ledgers, strict=False)
    errors = sorted((p.row, p.column) for p in pkg.problems if p.severity == "error")
    assert errors == [(3, "学时"), (5, "培训日期"), (5, "学时")]
    records = pkg.ledgers["training_records"].records
    assert [r["date"] for r in records] == [dt.date(2021, 3, 1)] * 2 and [r["hours"] for r in records] == [40.0, 40.0]


def test_malformed_csv_line_is_a_located_problem(tmp_path, rules):
    pkg = _training_csv(tmp_path, "T1,P1,2021-03-01,40\n" + "T2,P1,2021-03-01," + "x" * (csv.field_size_limit() + 10) + "\n")
    pkg = load_package(pkg, rules.ledgers, strict=False)
    [problem] = [p for p in pkg.problems if p.code == "csv"]
    assert problem.file.endswith("training_records.csv") and problem.row == 3 and "CSV" in problem.message


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
def test_line_endings_and_quoted_multi_line_cells(tmp_path, rules, ending):
    body = ending.join(["T1,P1,2021-03-01,40,\"第一行" + ending + "第二行\"", "", "T2,P1,2021-03-02,8,法治"]) + ending
    pkg = load_package(_training_csv(tmp_path, body, header="记录编号,人员编号,培训日期,学时,培训内容" + ending), rules.ledgers,
                       strict=False)
    ledger = pkg.ledgers["training_records"]
    assert [r["record_id"] for r in ledger.records] == ["T1", "T2"]
    assert ledger.records[0]["topic"] == "第一行" + ending + "第二行"
    assert ledger.rows == [2, 4]
