"""A corpus of deliberately broken packages, generated from one valid template: each gives exit 2 from
``scorecard validate`` with the exact location (file, sheet, row, column) and no traceback."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

UNIT = "name: 模板县人民政府\ntype: 县\nregion: 某省\nperiod: {start: 2021-01-01, end: 2022-12-31}\n"
NORMATIVE = "文号,文件名称,印发日期,是否经合法性审核,合法性审核结论\nA-1,文件一,2021年3月1日,是,合法\nA-2,文件二,2021/5/1,否,\nA-3,文件三,2022-01-05,√,修改后合法\n"
DOCUMENTS = ("材料编号,材料类型,材料名称,印发日期,是否向社会公开,附件路径\n"
             "D1,法治政府建设年度报告,2021年度报告,2022-01-20,是,files/report2021.pdf\n"
             "D2,法治政府建设年度报告,2022年度报告,2022-12-20,是,files/sub/report2022.pdf\n")
ATTEST = "- {attestation_id: AT1, subject: no_leadership_crime, statement: 未发生, signed_by: 县政府办, date: 2022-12-05}\n"


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


TRAINING = [["记录编号", "人员编号", "培训日期", "学时"], ["T1", "P1", dt.date(2021, 3, 1), 40], ["T2", "P2", "2022年3月1日", "60"]]
STAFF = [["人员编号", "姓名", "岗位类别", "是否持证上岗"], ["P1", "张三", "执法人员", "是"], ["P2", "李四", "执法人员", "√"]]


def make_template(root: Path) -> Path:
    (root / "ledgers").mkdir(parents=True)
    (root / "files" / "sub").mkdir(parents=True)
    (root / "unit.yaml").write_text(UNIT, encoding="utf-8")
    (root / "ledgers" / "normative_documents.csv").write_bytes(NORMATIVE.encode("gb18030"))
    (root / "ledgers" / "文件资料目录.csv").write_text(DOCUMENTS, encoding="utf-8-sig")
    (root / "ledgers" / "attestations.yaml").write_text(ATTEST, encoding="utf-8")
    (root / "files" / "report2021.pdf").write_bytes(b"%PDF-1.4 report 2021")
    (root / "files" / "sub" / "report2022.pdf").write_bytes(b"%PDF-1.4 report 2022")
    write_workbook(root / "ledgers" / "台账.xlsx", {"培训学时台账": TRAINING, "人员台账": STAFF})
    return root


def run_validate(pkg: Path, *extra: str):
    result = CliRunner().invoke(main, ["validate", str(pkg), *extra])
    return result


def replace_in(rel: str, old: str, new: str, encoding: str = "utf-8"):
    def mutate(root: Path):
        path = root / rel
        text = path.read_bytes().decode(encoding)
        assert old in text, (rel, old)
        path.write_bytes(text.replace(old, new, 1).encode(encoding))
    return mutate


def write(rel: str, data: bytes | str):
    def mutate(root: Path):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return mutate


def remove(rel: str):
    def mutate(root: Path):
        path = root / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return mutate


def sheet_cell(sheet: str, row: int, col: int, value):
    def mutate(root: Path):
        import openpyxl

        path = root / "ledgers" / "台账.xlsx"
        wb = openpyxl.load_workbook(path)
        wb[sheet].cell(row=row, column=col, value=value)
        wb.save(path)
    return mutate


def workbook_op(fn):
    def mutate(root: Path):
        import openpyxl

        path = root / "ledgers" / "台账.xlsx"
        wb = openpyxl.load_workbook(path)
        fn(wb)
        wb.save(path)
    return mutate


def symlink(rel: str, target: str):
    def mutate(root: Path):
        (root / rel).symlink_to(target)
    return mutate


def both(*mutations):
    def mutate(root: Path):
        for m in mutations:
            m(root)
    return mutate


NORM = "ledgers/normative_documents.csv"
DOCS = "ledgers/文件资料目录.csv"
XL = "ledgers/台账.xlsx"

# (id, mutation, expected problem: keys that must match one error in the JSON list; "message" is a substring)
CASES = [
    ("date_feb30", replace_in(NORM, "2021年3月1日", "2023年2月30日", "gb18030"),
     dict(file=NORM, row=2, column="印发日期", value="2023年2月30日", message="日期不存在")),
    ("date_month13", replace_in(NORM, "2021/5/1", "2021/13/1", "gb18030"), dict(file=NORM, row=3, column="印发日期", value="2021/13/1")),
    ("date_words", replace_in(NORM, "2022-01-05", "去年年底", "gb18030"), dict(file=NORM, row=4, column="印发日期", message="无法识别")),
    ("bool_bad", replace_in(NORM, "是,合法", "大概,合法", "gb18030"), dict(file=NORM, row=2, column="是否经合法性审核", value="大概")),
    ("enum_bad", replace_in(NORM, "修改后合法", "基本合法", "gb18030"), dict(file=NORM, row=4, column="合法性审核结论", value="基本合法",
                                                                  message="不在允许范围")),
    ("required_empty", replace_in(NORM, "A-2,文件二", "A-2,", "gb18030"), dict(file=NORM, row=3, column="文件名称", message="必填")),
    ("missing_required_column", replace_in(NORM, "文号,文件名称,印发日期", "文号,文件名称,其他", "gb18030"),
     dict(file=NORM, column="印发日期", message="缺少必填列")),
    ("duplicate_column", replace_in(NORM, "文号,文件名称,印发日期,是否经合法性审核,合法性审核结论", "文号,文件名称,印发日期,是否经合法性审核,合法性审核",
                                    "gb18030"), dict(file=NORM, column="合法性审核", message="列重复")),
    ("unknown_ledger_csv", write("ledgers/台帐汇总.csv", "a,b\n1,2\n"), dict(file="ledgers/台帐汇总.csv", message="不认识的台账名称")),
    ("unknown_ledger_sheet", workbook_op(lambda wb: wb.create_sheet("会议记录").append(["编号"])),
     dict(file=XL, sheet="会议记录", message="不认识的台账名称")),
    ("duplicate_ledger", write("ledgers/training_records.csv", "记录编号,人员编号,培训日期,学时\nT9,P1,2021-01-01,1\n"),
     dict(file=XL, sheet="培训学时台账", message="同一台账")),
    ("empty_csv", write("ledgers/staff.csv", b""), dict(file="ledgers/staff.csv", message="为空")),
    ("blank_csv", write("ledgers/activities.csv", "\n\n  \n"), dict(file="ledgers/activities.csv", message="为空")),
    ("empty_yaml", write("ledgers/attestations.yaml", ""), dict(file="ledgers/attestations.yaml", message="为空")),
    ("empty_xlsx", both(remove(XL), write(XL, b"")), dict(file=XL, message="为空")),
    ("binary_csv", write("ledgers/activities.csv", bytes(range(256)) * 8), dict(file="ledgers/activities.csv", message="不是文本")),
    ("xlsx_named_csv", write("ledgers/staff.csv", b"PK\x03\x04" + b"\x01" * 40),
     dict(file="ledgers/staff.csv", message="Excel")),
    ("undecodable_csv", write("ledgers/activities.csv", "活动编号,活动类型\n".encode() + b"S1,\x81\x30\xff\xfe\n"),
     dict(file="ledgers/activities.csv", row=2, message="编码")),
    ("corrupt_xlsx", both(remove(XL), write(XL, b"PK\x03\x04 this is not really a zip file")), dict(file=XL, message="无法读取 Excel")),
    ("yaml_syntax", write("ledgers/attestations.yaml", "- {attestation_id: AT1, subject: [unclosed\n"),
     dict(file="ledgers/attestations.yaml", message="YAML")),
    ("yaml_not_list", write("ledgers/attestations.yaml", "just a string\n"), dict(file="ledgers/attestations.yaml", message="记录列表")),
    ("json_syntax", write("ledgers/activities.json", '[{"活动编号": "S1",}]'), dict(file="ledgers/activities.json", message="JSON")),
    ("xlsx_bad_date", sheet_cell("培训学时台账", 3, 3, "2022年2月29日"), dict(file=XL, sheet="培训学时台账", row=3, column="培训日期")),
    ("xlsx_bad_int", sheet_cell("培训学时台账", 2, 4, "四十"), dict(file=XL, sheet="培训学时台账", row=2, column="学时", value="四十")),
    ("xlsx_bool_number", sheet_cell("人员台账", 2, 4, 2), dict(file=XL, sheet="人员台账", row=2, column="是否持证上岗", value="2")),
    ("xlsx_bool_bad", sheet_cell("人员台账", 3, 4, "待定"), dict(file=XL, sheet="人员台账", row=3, column="是否持证上岗", value="待定")),
    ("xlsx_required_empty", sheet_cell("人员台账", 2, 2, "  "), dict(file=XL, sheet="人员台账", row=2, column="姓名", message="必填")),
    ("xlsx_missing_column", sheet_cell("培训学时台账", 1, 3, "备注"), dict(file=XL, sheet="培训学时台账", column="培训日期", message="缺少必填列")),
    ("xlsx_merged_header", workbook_op(lambda wb: wb["人员台账"].merge_cells("B1:C1")),
     dict(file=XL, sheet="人员台账", row=1, message="合并单元格 B1:C1")),
    ("xlsx_empty_sheet_named", workbook_op(lambda wb: wb.create_sheet("情况说明")), dict(file=XL, sheet="情况说明", message="为空")),
    ("xlsx_serial_out_of_range", sheet_cell("培训学时台账", 2, 3, 99999999), dict(file=XL, sheet="培训学时台账", row=2, column="培训日期")),
    ("attachment_missing", replace_in(DOCS, "files/report2021.pdf", "files/missing.pdf", "utf-8-sig"),
     dict(file=DOCS, row=2, column="附件路径", value="files/missing.pdf", message="不存在")),
    ("attachment_parent", replace_in(DOCS, "files/report2021.pdf", "../outside.pdf", "utf-8-sig"),
     dict(file=DOCS, row=2, column="附件路径", message="证据包之外")),
    ("attachment_absolute", replace_in(DOCS, "files/report2021.pdf", "/etc/passwd", "utf-8-sig"),
     dict(file=DOCS, row=2, column="附件路径", message="证据包之外")),
    ("attachment_windows", replace_in(DOCS, "files/report2021.pdf", "C:\\\\文件\\\\a.pdf", "utf-8-sig"),
     dict(file=DOCS, row=2, column="附件路径", message="证据包之外")),
    ("attachment_symlink_out", both(remove("files/report2021.pdf"), symlink("files/report2021.pdf", "/etc/hostname")),
     dict(file=DOCS, row=2, column="附件路径", message="链接")),
    ("attachment_dir", replace_in(DOCS, "files/sub/report2022.pdf", "files/sub", "utf-8-sig"),
     dict(file=DOCS, row=3, column="附件路径", message="不是文件")),
    ("attachment_url", replace_in(DOCS, "files/report2021.pdf", "http://example.gov.cn/a.pdf", "utf-8-sig"),
     dict(file=DOCS, row=2, column="附件路径", message="网址")),
    ("ledger_symlink_out", symlink("ledgers/activities.csv", "/etc/hostname"), dict(file="ledgers/activities.csv", message="证据包之外")),
    ("unit_missing", remove("unit.yaml"), dict(file="unit.yaml", message="缺少 unit.yaml")),
    ("unit_bad_type", replace_in("unit.yaml", "type: 县", "type: 市"), dict(file="unit.yaml", row=2)),
    ("unit_bad_date", replace_in("unit.yaml", "end: 2022-12-31", "end: 2022-02-30"), dict(file="unit.yaml", row=4, value="2022-02-30")),
    ("yaml_ledger_bad_date", replace_in("ledgers/attestations.yaml", "2022-12-05", "2023-02-30"),
     dict(file="ledgers/attestations.yaml", row=1, value="2023-02-30")),
    ("unit_reversed_period", replace_in("unit.yaml", "end: 2022-12-31", "end: 2020-12-31"), dict(file="unit.yaml", message="早于")),
    ("unit_syntax", write("unit.yaml", "name: [x\n"), dict(file="unit.yaml", message="YAML")),
    ("unit_empty", write("unit.yaml", ""), dict(file="unit.yaml")),
    ("unit_unknown_key", replace_in("unit.yaml", "region: 某省", "regoin: 某省"), dict(file="unit.yaml")),
    ("calendar_bad", write("calendar/2027.yaml", "year: 2027\nholidays: [2026-10-01]\n"), dict(file="calendar/2027.yaml", message="2027")),
    ("calendar_garbage", write("calendar/2028.yaml", "holidays: nope\n"), dict(file="calendar/2028.yaml", message="节假日安排")),
]


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_template(tmp_path_factory.mktemp("template") / "pkg")


def test_template_is_valid(template):
    result = run_validate(template)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def _matches(problem: dict, expected: dict) -> bool:
    for key, value in expected.items():
        if key == "message":
            if value not in (problem["message"] or "") + (problem["expected"] or ""):
                return False
        elif problem.get(key) != value:
            return False
    return True


@pytest.mark.parametrize("case_id, mutate, expected", CASES, ids=[c[0] for c in CASES])
def test_broken_package(case_id, mutate, expected, template, tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(template, pkg, symlinks=True)
    mutate(pkg)
    text = run_validate(pkg)
    assert text.exit_code == 2, text.output
    assert text.exception is None or isinstance(text.exception, SystemExit), repr(text.exception)
    assert "Traceback" not in text.output
    assert "[错误]" in text.output and expected["file"] in text.output
    result = run_validate(pkg, "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["ok"] is False and data["errors"] >= 1
    errors = [p for p in data["problems"] if p["severity"] == "error"]
    assert any(_matches(p, expected) for p in errors), json.dumps(errors, ensure_ascii=False, indent=1)
    # the text line for that problem names the same location
    hit = next(p for p in errors if _matches(p, expected))
    line = next(ln for ln in text.output.splitlines() if ln.startswith("[错误] " + hit["file"]) and hit["message"] in ln)
    if hit["row"] is not None:
        assert f"第{hit['row']}行" in line
    if hit["sheet"]:
        assert f"工作表「{hit['sheet']}」" in line
    if hit["column"]:
        assert f"字段「{hit['column']}」" in line


def test_all_problems_at_once(template, tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(template, pkg)
    for case in ("date_feb30", "xlsx_bad_int", "attachment_missing", "unknown_ledger_csv", "unit_bad_type"):
        {c[0]: c[1] for c in CASES}[case](pkg)
    data = json.loads(run_validate(pkg, "--format", "json").output)
    codes = {p["code"] for p in data["problems"] if p["severity"] == "error"}
    # unit.yaml invalid: ledgers are still all checked
    assert {"bad_value", "attachment_missing", "unknown_ledger"} <= codes, codes
    assert data["errors"] >= 5


def test_warnings_do_not_fail(template, tmp_path):
    pkg = tmp_path / "pkg"
    shutil.copytree(template, pkg)
    replace_in(NORM, "A-3,", "A-1,", "gb18030")(pkg)  # duplicate id
    replace_in(NORM, "2021/5/1", "2019/5/1", "gb18030")(pkg)  # outside the creation period
    write("ledgers/notes.txt", "随手记")(pkg)  # not a ledger file
    result = run_validate(pkg, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    warn = {(p["code"], p["row"]) for p in data["problems"] if p["severity"] == "warning"}
    assert ("duplicate_id", 4) in warn and ("outside_period", 3) in warn and ("unknown_file", None) in warn
    text = run_validate(pkg).output
    assert "[警告] ledgers/normative_documents.csv 第4行 字段「文号」: 编号重复" in text


def test_unused_ledger_warning(template, tmp_path, rules, monkeypatch):
    from engine.evaluate import validate as intake

    pkg = tmp_path / "pkg"
    shutil.copytree(template, pkg)
    monkeypatch.setattr(intake, "ledgers_read", lambda rules: {"documents", "normative_documents", "attestations", "staff"})
    data = json.loads(run_validate(pkg, "--format", "json").output)
    unused = [p for p in data["problems"] if p["code"] == "unused_ledger"]
    assert [(p["file"], p["sheet"]) for p in unused] == [(XL, "培训学时台账")]
    assert data["ok"] is True


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        h.update(str(path.relative_to(root)).encode() + str(st.st_mtime_ns).encode() + str(st.st_mode).encode())
        if path.is_file() and not path.is_symlink():
            h.update(path.read_bytes())
    return h.hexdigest()


def test_attachments_hashed_and_package_untouched(template, tmp_path, rules):
    from evidence.package import load_package

    pkg = tmp_path / "pkg"
    shutil.copytree(template, pkg)
    os.chmod(pkg / "files" / "report2021.pdf", 0o444)
    before = _tree_digest(pkg)
    loaded = load_package(pkg, rules.ledgers)
    got = {(a.doc_id, a.path, a.sha256) for a in loaded.attachments}
    assert got == {("D1", "files/report2021.pdf", hashlib.sha256(b"%PDF-1.4 report 2021").hexdigest()),
                   ("D2", "files/sub/report2022.pdf", hashlib.sha256(b"%PDF-1.4 report 2022").hexdigest())}
    assert run_validate(pkg).exit_code == 0
    result = CliRunner().invoke(main, ["score", str(pkg), "-o", str(tmp_path / "out.json")])
    assert result.exit_code in (0, 1), result.output
    assert _tree_digest(pkg) == before
    # a changed attachment changes the evidence digest
    digest = loaded.evidence_digest if hasattr(loaded, "evidence_digest") else loaded.digest
    os.chmod(pkg / "files" / "report2021.pdf", 0o644)
    (pkg / "files" / "report2021.pdf").write_bytes(b"changed")
    assert load_package(pkg, rules.ledgers).digest != digest
