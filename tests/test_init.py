"""``scorecard init``: scaffolded packages validate, score with nothing passing, open in LibreOffice, and
filled with the good example's data score exactly like the good example."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.evaluate import score
from engine.evaluate.backends import get_backend
from evidence.package import load_package

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "examples" / "good-county"

from conftest import strip_location


def init(target: Path, *extra: str):
    args = ["init", str(target), "--type", "县", "--name", "测试县人民政府", "--period-start", "2021-01-01",
            "--period-end", "2022-12-31", *extra]
    return CliRunner().invoke(main, args)


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory):
    target = tmp_path_factory.mktemp("init") / "pkg"
    result = init(target)
    assert result.exit_code == 0, result.output
    return target


def test_layout(scaffold, rules):
    assert (scaffold / "unit.yaml").is_file() and (scaffold / "README.md").is_file()
    names = {p.name for p in (scaffold / "ledgers").iterdir()}
    assert names == {f"{ld.title}.xlsx" for ld in rules.ledgers.ledgers.values()}
    readme = (scaffold / "README.md").read_text(encoding="utf-8")
    assert "台账与指标" in readme and "文件资料目录" in readme
    # every indicator appears against at least one ledger in the README table
    table = readme.split("## 台账与指标")[1].split("## 各台账的列")[0]
    for ind in rules.catalog.indicators:
        assert f"{ind.no}. {ind.title}" in table, ind.no


def test_templates_have_headers_notes_and_validation(scaffold, rules):
    import openpyxl

    ld = rules.ledgers.ledgers["normative_documents"]
    wb = openpyxl.load_workbook(scaffold / "ledgers" / f"{ld.title}.xlsx")
    ws = wb.worksheets[0]
    assert ws.title == ld.title
    headers = [c.value for c in ws[1]]
    assert headers == [f.title for f in ld.fields.values()]
    note = ws.cell(row=1, column=list(ld.fields).index("review_result") + 1).comment.text
    assert "允许取值:合法、不合法、修改后合法" in note and "示例" in note
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    formulas = {dv.formula1 for dv in lists}
    assert '"是,否"' in formulas and '"合法,不合法,修改后合法"' in formulas
    bool_cols = [i for i, f in enumerate(ld.fields.values()) if f.type == "bool"]
    covered = " ".join(str(dv.sqref) for dv in lists if dv.formula1 == '"是,否"')
    for i in bool_cols:
        assert openpyxl.utils.get_column_letter(i + 1) + "2:" in covered
    assert "填表说明" in wb.sheetnames
    # no cell in any template starts a formula
    for path in (scaffold / "ledgers").iterdir():
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for c in row:
                    assert c.data_type != "f" and not (isinstance(c.value, str) and c.value.startswith("=")), (path, c)


def test_empty_scaffold_validates_and_never_passes(scaffold, rules):
    result = CliRunner().invoke(main, ["validate", str(scaffold), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["errors"] == 0
    res = score(load_package(scaffold, rules.ledgers), rules, get_backend("python"))
    statuses = {i.status for i in res.indicators}
    assert "pass" not in statuses
    assert all(c.status != "pass" for i in res.indicators for c in i.checks)
    assert res.summary.score == 0


def test_refuses_non_empty_directory_and_bad_options(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "evidence.pdf").write_bytes(b"keep me")
    result = init(tmp_path / "x")
    assert result.exit_code == 2 and "不为空" in result.output
    assert (tmp_path / "x" / "evidence.pdf").read_bytes() == b"keep me"
    result = CliRunner().invoke(main, ["init", str(tmp_path / "y"), "--type", "县", "--name", "某县", "--period-start",
                                       "2023-02-30", "--period-end", "2022-12-31"])
    assert result.exit_code == 2 and "--period-start" in result.output and "日期不存在" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["init", str(tmp_path / "z"), "--type", "县", "--name", "某县", "--period-start",
                                       "2022-01-01", "--period-end", "2021-12-31"])
    assert result.exit_code == 2 and "早于" in result.output


def test_name_with_quotes_and_formula_chars(tmp_path, rules):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "p"), "--type", "部门", "--name", '=某"局": #1',
                                       "--period-start", "2021-1-1", "--period-end", "2022年12月31日"])
    assert result.exit_code == 0, result.output
    pkg = load_package(tmp_path / "p", rules.ledgers)
    assert pkg.unit.name == '=某"局": #1' and pkg.unit.type == "部门"
    assert pkg.unit.period.end == dt.date(2022, 12, 31)


def test_opens_in_libreoffice(scaffold, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) 未安装:CI 需 apt-get install -y libreoffice-calc-nogui")
    src = scaffold / "ledgers" / "行政规范性文件台账.xlsx"
    out = tmp_path / "out"
    proc = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--convert-to",
                           "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=180)
    produced = list(out.glob("*.csv"))
    assert produced, proc.stdout + proc.stderr
    rows = list(csv.reader(produced[0].read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["文号", "文件名称", "印发日期"]


def _fill_templates(target: Path, source, rules) -> None:
    """Write every record of ``source`` into the scaffolded .xlsx templates, under their Chinese headers."""
    import openpyxl

    for name, ledger in source.ledgers.items():
        ld = rules.ledgers.ledgers[name]
        path = target / "ledgers" / f"{ld.title}.xlsx"
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        columns = {ld.field_for_header(str(c.value)): c.column for c in ws[1]}
        for r, record in enumerate(ledger.records, start=2):
            for field, value in record.items():
                cell = ws.cell(row=r, column=columns[field])
                if isinstance(value, bool):
                    value = "是" if value else "否"
                cell.value = value
                if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
                    cell.data_type = "s"
        wb.save(path)


def test_templates_filled_with_good_example_score_the_same(tmp_path, rules):
    if not (GOOD / "unit.yaml").is_file():
        pytest.skip("examples/good-county 尚不存在")
    good = load_package(GOOD, rules.ledgers)
    target = tmp_path / "filled"
    u = good.unit
    result = CliRunner().invoke(main, ["init", str(target), "--type", u.type, "--name", u.name, "--period-start",
                                       u.period.start.isoformat(), "--period-end", u.period.end.isoformat()])
    assert result.exit_code == 0, result.output
    shutil.copy(GOOD / "unit.yaml", target / "unit.yaml")  # inspection date, references
    for extra in ("files", "calendar"):
        if (GOOD / extra).is_dir():
            shutil.rmtree(target / extra)
            shutil.copytree(GOOD / extra, target / extra)
    _fill_templates(target, good, rules)
    filled = load_package(target, rules.ledgers)
    for name, ledger in good.ledgers.items():
        assert filled.ledgers[name].records == ledger.records, name
    a = json.loads(score(filled, rules, get_backend("python")).to_json())
    b = json.loads(score(good, rules, get_backend("python")).to_json())
    a.pop("warnings"), b.pop("warnings")
    # the filled templates hold every ledger, some left empty; the ledgers with records are the same
    assert {x["ledger"]: x["records"] for x in a.pop("evidence")["ledgers"] if x["records"]} == \
        {x["ledger"]: x["records"] for x in b.pop("evidence")["ledgers"]}
    assert strip_location(a) == strip_location(b)
    assert a["summary"]["score"] == b["summary"]["score"] > 0
