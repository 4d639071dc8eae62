"""``scorecard init`` templates and ``validate`` as a clerk meets them.

- every code list the rules use (材料类型, 活动类型, 事项类型, 说明事项代码, 指标代码, 调查事项) is a list-validated
  dropdown in its template, read back with openpyxl and resolved to the values; enum and 是/否 columns too;
  headers are protected, data cells are not; date columns carry a date format and validation;
- every 说明事项代码 has a Chinese label, and the reader takes the dropdown's "label(code)" or the label;
- a clerk fills the templates with the usual slips (台帐 for 台账, a misspelt ledger name, a header typo, a
  material type one character short, an English code misspelt, a Chinese phrase for a code, 特大 for 特别重大,
  300份 in a 份 column) and ``validate`` answers each with the closest match;
- 街道 is a unit type of its own, and the township rules that name 镇 apply to it.
"""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
from click.testing import CliRunner
from report_cases import EXAMPLES

from engine.cli import main
from evidence.codes import CLOSED, code_lists, label_of, shown, to_code
from evidence.package import load_package


def init(target, unit_type="镇"):
    res = CliRunner().invoke(main, ["init", str(target), "--type", unit_type, "--name", "青山镇人民政府",
                                    "--period-start", "2021-01-01", "--period-end", "2022-12-31"])
    assert res.exit_code == 0, res.output
    return target


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory):
    return init(tmp_path_factory.mktemp("tpl") / "pkg")


def resolve(wb, formula: str) -> list[str]:
    """A list validation's values: an inline "a,b" list or a range on another sheet."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    m = re.fullmatch(r"'?([^'!]+)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert m, formula
    ws = wb[m.group(1)]
    return [ws[f"{m.group(2)}{r}"].value for r in range(int(m.group(3)), int(m.group(5)) + 1)]


def dropdowns(ws) -> dict[str, tuple[list[str], object]]:
    """column letter -> (values, validation) for every list validation on the sheet."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list":
            for rng in str(dv.sqref).split():
                col = re.match(r"[A-Z]+", rng).group(0)
                assert rng.startswith(f"{col}2:") and rng.endswith(f"{col}5000"), rng  # the whole column
                out[col] = (resolve(ws.parent, dv.formula1), dv)
    return out


def test_every_code_list_is_a_validated_dropdown(scaffold, rules):
    lists = code_lists(rules)
    assert {("documents", "type"), ("attestations", "subject"), ("metrics", "metric"), ("activities", "type"),
            ("incidents", "type"), ("satisfaction_surveys", "subject")} <= set(lists)
    assert "矛盾纠纷化解" in lists[("satisfaction_surveys", "subject")]
    checked = 0
    for name, ld in rules.ledgers.ledgers.items():
        wb = openpyxl.load_workbook(scaffold / "ledgers" / f"{ld.title}.xlsx")
        ws = wb.worksheets[0]
        found = dropdowns(ws)
        letters = {fd.title: c.column_letter for c, fd in zip(ws[1], ld.fields.values())}
        for field, fd in ld.fields.items():
            col = letters[fd.title]
            if (name, field) in lists:
                values, dv = found[col]
                assert values == [shown(name, field, c) for c in lists[(name, field)]], (name, field)
                assert dv.showErrorMessage and dv.errorStyle == ("stop" if (name, field) in CLOSED else "warning")
                checked += 1
            elif fd.type == "enum":
                assert found[col][0] == fd.values and found[col][1].errorStyle == "stop"
            elif fd.type == "bool":
                assert found[col][0] == ["是", "否"]
            elif fd.type in ("date", "datetime"):
                assert ws.column_dimensions[col].number_format.startswith("yyyy-mm-dd")  # the whole column
                assert any(dv.type == "date" and str(dv.sqref) == f"{col}2:{col}5000"
                           for dv in ws.data_validations.dataValidation)
        # headers locked and protected; the data area below is editable
        assert ws.protection.sheet and ws["A1"].protection.locked
        assert all(not ws.column_dimensions[c].protection.locked for c in letters.values())
        if "代码表" in wb.sheetnames:
            assert wb["代码表"].protection.sheet
    assert checked == len(lists)


def test_attestation_codes_have_chinese_labels_and_read_back(rules):
    codes = code_lists(rules)[("attestations", "subject")]
    assert not [c for c in codes if not label_of("attestations", "subject", c)], "codes.yaml lacks labels"
    label = label_of("attestations", "subject", "no_major_emergency")
    assert label == "创建周期内未发生特别重大、重大突发事件"
    for text in (f"{label}(no_major_emergency)", f"{label}(no_major_emergency)", label, "no_major_emergency"):
        assert to_code("attestations", "subject", text) == "no_major_emergency"


def test_template_examples_are_real_values(scaffold, rules):
    wb = openpyxl.load_workbook(scaffold / "ledgers" / "情况说明.xlsx")
    notes = [[c.value for c in row] for row in wb["填表说明"].iter_rows(min_row=2)]
    subject = next(r for r in notes if r[0] == "说明事项代码")
    assert subject[6].endswith(")") and "(no_" in subject[6]
    wb = openpyxl.load_workbook(scaffold / "ledgers" / "年度指标数据.xlsx")
    rows = {r[0]: r for r in ([c.value for c in row] for row in wb["填表说明"].iter_rows(min_row=2)) if r[0]}
    assert rows["年度"][6] == "2021"  # a year of the period, not "1"
    examples = [r[6] for r in rows.values() if r[1]]  # the 示例 column of the field rows
    assert len(examples) == 5 and "示例" not in examples


def _fill(path, rows: list[dict], rename: str | None = None):
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    headers = {c.value: c.column for c in ws[1]}
    for r, row in enumerate(rows, start=2):
        for title, value in row.items():
            if title.startswith("!"):  # a header typo: rename the column
                ws.cell(row=1, column=headers[title[1:]]).value = value
                continue
            ws.cell(row=r, column=headers[title]).value = value
    target = path.with_name(rename) if rename else path
    wb.save(target)
    if rename:
        path.unlink()
    return target


def test_clerk_fills_templates_with_typos_and_gets_suggestions(tmp_path):
    pkg = init(tmp_path / "pkg")
    led = pkg / "ledgers"
    label = label_of("attestations", "subject", "no_major_emergency")
    _fill(led / "文件资料目录.xlsx", [
        {"材料编号": "D-1", "材料类型": "政府新闻发言人制", "材料名称": "关于印发《政府新闻发言人制度》的通知", "印发日期": "2021-03-01"},
        {"材料编号": "D-2", "材料类型": "政府新闻发言人制度", "材料名称": "制度", "印发日期": "2020-03-01"},
        {"材料编号": "D-3", "材料类型": "会议通知", "材料名称": "通知", "印发日期": "2021-05-01"},
    ])
    _fill(led / "情况说明.xlsx", [
        {"说明编号": "S-1", "说明事项代码": f"{label}(no_major_emergency)", "说明内容": "未发生", "出具单位": "应急办",
         "出具日期": "2023-01-05"},
        {"说明编号": "S-2", "说明事项代码": "no_major_emergncy", "说明内容": "未发生", "出具单位": "应急办", "出具日期": "2023-01-05"},
        {"说明编号": "S-3", "说明事项代码": "创建周期内未发生重大突发事件", "说明内容": "未发生", "出具单位": "应急办",
         "出具日期": "2023-01-05"},
    ])
    _fill(led / "满意度调查台账.xlsx", [
        {"调查编号": "M-1", "调查事项": "群众满意度", "调查日期": "2021-06-01", "有效样本数": "300份", "满意度": "95%"},
        {"调查编号": "M-2", "调查事项": "矛盾纠纷化", "调查日期": "2022-06-01", "有效样本数": "120", "满意度": "0.9"},
    ])
    _fill(led / "突发事件信息发布台账.xlsx", [
        {"事件编号": "E-1", "事件名称": "暴雨", "事件等级": "特大", "事件发生时间": "2022-07-01 10:00"},
        {"!首次发布权威信息时间": "首次发布权威信息时问"},
    ], rename="突发事件信息发布台帐.xlsx")  # 帐 for 账: still the same ledger
    # a CSV named by a misspelt ledger name (a workbook would be recognised by its sheet name)
    (led / "培训学时台帐记录.csv").write_text("记录编号,人员编号,培训日期,学时\nT-1,P-1,2021-05-01,40学时\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(pkg), "--format", "json"])
    assert res.exit_code == 2, res.output
    problems = json.loads(res.output)["problems"]

    def find(file_part: str, row=None, column=None) -> dict:
        hits = [p for p in problems if file_part in p["file"] and (row is None or p["row"] == row)
                and (column is None or p["column"] == column)]
        assert hits, (file_part, row, column, problems)
        return hits[0]

    typo = find("文件资料目录", 2, "材料类型")
    assert typo["severity"] == "error" and "「政府新闻发言人制度」" in typo["message"]
    assert not [p for p in problems if "文件资料目录" in p["file"] and p["row"] == 3]  # right type, pre-period 制度: no warning
    other = find("文件资料目录", 4, "材料类型")
    assert other["severity"] == "warning" and "不计入任何指标" in other["message"]
    assert not [p for p in problems if "情况说明" in p["file"] and p["row"] == 2]  # the dropdown's "label(code)"
    misspelt = find("情况说明", 3, "说明事项代码")
    assert misspelt["severity"] == "error" and "(no_major_emergency)」" in misspelt["message"]
    phrase = find("情况说明", 4, "说明事项代码")
    assert phrase["severity"] == "error" and "no_major_emergency" in phrase["message"]
    survey = find("满意度调查台账", 2, "调查事项")
    assert survey["severity"] == "warning" and "不计入任何指标" in survey["message"]
    near = find("满意度调查台账", 3, "调查事项")
    assert near["severity"] == "error" and "「矛盾纠纷化解」" in near["message"]
    assert not [p for p in problems if "满意度调查台账" in p["file"] and p["column"] == "有效样本数"]  # 300份 read
    level = find("突发事件信息发布台帐", 2, "事件等级")
    assert level["severity"] == "error" and "「特别重大」" in level["message"]
    header = find("突发事件信息发布台帐", None, "首次发布权威信息时问")
    assert "「首次发布权威信息时间」" in header["message"]
    ledger = find("培训学时台帐记录")
    assert ledger["severity"] == "error" and "「培训学时台账」" in ledger["message"]
    # what was read: the label became the code, 300份 became 300
    res = CliRunner().invoke(main, ["validate", str(pkg)])
    assert "Traceback" not in res.output and "是否为" in res.output
    pkg_loaded = load_package(pkg, strict=False)
    assert pkg_loaded.ledgers["attestations"].records[0]["subject"] == "no_major_emergency"
    assert pkg_loaded.ledgers["satisfaction_surveys"].records[0]["respondents"] == 300


def test_path_mistakes_are_explained(tmp_path):
    pkg = init(tmp_path / "qingshan")
    runner = CliRunner()
    res = runner.invoke(main, ["validate", str(pkg / "unit.yaml")])
    assert res.exit_code == 2 and "这是一个文件" in res.output and str(pkg) in res.output
    res = runner.invoke(main, ["validate", str(pkg / "ledgers")])
    assert res.exit_code == 2 and "台账目录" in res.output
    res = runner.invoke(main, ["validate", str(tmp_path / "qingshn")])
    assert res.exit_code == 2 and "qingshan" in res.output and "是否为" in res.output


def test_street_is_a_unit_type_following_township_rules(tmp_path, rules):
    from engine.evaluate.pipeline import load_rules, score
    from engine.rules.catalog import DEFAULT_RULES

    pkg = init(tmp_path / "street", "街道")
    assert 'type: "街道"' in (pkg / "unit.yaml").read_text(encoding="utf-8")
    loaded = load_package(pkg, rules.ledgers)
    assert loaded.unit.type == "街道"
    for ind in rules.catalog.indicators:
        assert ("街道" in ind.applicability.unit_types) == ("镇" in ind.applicability.unit_types), ind.no
    county_only = {i.no for i in rules.catalog.indicators if "镇" not in i.applicability.unit_types}
    township = load_rules(DEFAULT_RULES, profile="township")
    result = {i.no: i for i in score(loaded, township).indicators}
    for no in (10, 17, 42, *county_only):
        assert result[no].status == "not_applicable", no
    assert "剪裁方案" in (result[10].message or "")
    assert result[7].status != "not_applicable"  # 权责清单 applies to 街道 as to 镇


def test_every_template_filled_with_its_own_example_row_validates(tmp_path, rules):
    """Each of the templates, filled the way its 填表说明 shows (the example row), reads without an error."""
    import datetime as dt

    from evidence.templates import example

    pkg = init(tmp_path / "pkg")
    (pkg / "files" / "合法性审核制度.pdf").write_bytes(b"%PDF-1.4 example")  # the attachment the example names
    lists = code_lists(rules)
    for name, ld in rules.ledgers.ledgers.items():
        path = pkg / "ledgers" / f"{ld.title}.xlsx"
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        for col, (field, fd) in enumerate(ld.fields.items(), start=1):
            ws.cell(row=2, column=col).value = example(fd, field, ld, lists.get((name, field)), dt.date(2021, 1, 1))
        wb.save(path)
    res = CliRunner().invoke(main, ["validate", str(pkg), "--format", "json"])
    data = json.loads(res.output)
    assert data["errors"] == 0, [p for p in data["problems"] if p["severity"] == "error"]
    loaded = load_package(pkg, rules.ledgers)
    assert all(len(ledger.records) == 1 for ledger in loaded.ledgers.values())
    assert len(loaded.ledgers) == len(rules.ledgers.ledgers)


def test_a_near_miss_code_is_named_in_the_score_report(tmp_path):
    """A material type one character short counts for nothing; the report's warnings name the row and the code."""
    import shutil

    pkg = tmp_path / "county"
    shutil.copytree(EXAMPLES / "good-county", pkg)
    docs = pkg / "ledgers" / "documents.csv"
    lines = docs.read_text(encoding="utf-8").splitlines()
    [at] = [i for i, line in enumerate(lines) if line.split(",")[1] == "政府新闻发言人制度"]  # the example's one such row
    lines[at] = lines[at].replace(",政府新闻发言人制度,", ",政府新闻发言人制,", 1)
    docs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["score", str(pkg), "-o", str(tmp_path / "r.json"), "-o", str(tmp_path / "r.html")])
    assert res.exit_code in (0, 3), res.output
    result = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    hits = [w for w in result["warnings"] if f"第{at + 1}行" in w and "材料类型" in w]
    assert hits and "「政府新闻发言人制度」" in hits[0] and "政府新闻发言人制" in hits[0]
    assert next(i for i in result["indicators"] if i["no"] == 73)["status"] != "pass"
    assert "是否为「政府新闻发言人制度」" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_unit_information_as_a_sheet(tmp_path):
    """单位信息.xlsx carries what unit.yaml says; unit.yaml wins when both are there (a difference is a warning);
    without unit.yaml the sheet is read; a wrong entry is located."""
    pkg = init(tmp_path / "pkg", "街道")
    sheet = pkg / "单位信息.xlsx"
    wb = openpyxl.load_workbook(sheet)
    ws = wb["单位信息"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 8)] == ["单位名称", "单位类型", "地区", "创建周期开始",
                                                                    "创建周期截止", "检查日期"]
    assert ws["B3"].value == "街道" and ws.protection.sheet and not ws["B2"].protection.locked
    assert any(dv.type == "list" and "街道" in dv.formula1 for dv in ws.data_validations.dataValidation)
    assert load_package(pkg).unit == load_package(pkg).unit  # both read, no warning while they agree
    assert not [p for p in load_package(pkg).warnings if p.code == "unit_sheet_differs"]
    ws["B2"] = "东城街道办事处"
    wb.save(sheet)
    warned = [p for p in load_package(pkg).warnings if p.code == "unit_sheet_differs"]
    assert warned and "单位名称" in warned[0].message and load_package(pkg).unit.name == "青山镇人民政府"
    (pkg / "unit.yaml").unlink()
    unit = load_package(pkg).unit
    assert unit.name == "东城街道办事处" and unit.type == "街道" and str(unit.period.end) == "2022-12-31"
    ws["B3"] = "乡镇府"
    wb.save(sheet)
    res = CliRunner().invoke(main, ["validate", str(pkg)])
    assert res.exit_code == 2 and "单位信息.xlsx 工作表「单位信息」 第3行" in res.output and "单位类型" in res.output
