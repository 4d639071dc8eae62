"""整改清单: rows from findings; XLSX/DOCX read back; Markdown/HTML; deadlines; grouping; formula injection."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document
from report_cases import DATE, failing_numbers, handmade, package_cases

from engine.cli import main
from engine.output.rectify import COLUMNS, build
from engine.output.writers import render_text, write
from engine.results import ScoreResult

INJECT = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def packages(tmp_path_factory, rules):
    return package_cases(tmp_path_factory, rules)


def xlsx_rows(path) -> list[list]:
    ws = openpyxl.load_workbook(path)["整改清单"]
    assert ws.freeze_panes == "A4"
    assert [c.value for c in ws[3]] == list(COLUMNS)
    return [[c.value for c in row] for row in ws.iter_rows(min_row=4) if isinstance(row[0].value, int)]


def docx_rows(path) -> list[list[str]]:
    doc = Document(str(path))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == list(COLUMNS)
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    return [r for r in rows if len(set(r)) > 1]  # drop merged group-heading rows


def expected_cells(rlist) -> list[list]:
    return [[row.no, *row.cells()[1:]] for row in rlist.rows]


def test_rows_follow_findings():
    result = handmade()
    rl = build(result, DATE)
    assert [r.indicator_no for r in rl.rows] == failing_numbers(result) == [22, 73, 65]
    assert [r.kind for r in rl.rows] == ["整改", "整改", "补充材料"]
    assert [r.state for r in rl.rows] == ["待整改", "待整改", "待补充材料"]
    first = rl.rows[0]
    assert "99.2%(124/125)" in first.problem and "≥ 100%" in first.problem
    assert "ledgers/normative_documents.csv 第3行 A-2" in first.problem
    assert first.measures == "建立合法性审核台账,补齐审核。"
    assert first.units == "司法局、党政办"
    assert "E-07" in rl.rows[1].problem and "首次发布 7.0 小时 > 5 小时" in rl.rows[1].problem
    assert "证据包中没有台账" in rl.rows[2].problem and "报送诉讼台账" in rl.rows[2].measures


def test_deadline_rules():
    result = handmade()
    assert build(result, DATE).rows[0].deadline == DATE + dt.timedelta(days=30)
    assert build(result, DATE, days=10).rows[0].deadline == dt.date(2026, 3, 11)
    assert build(result, DATE, deadline=dt.date(2026, 6, 30)).rows[0].deadline == dt.date(2026, 6, 30)
    with_inspection = ScoreResult.model_validate(
        {**result.model_dump(), "unit": {**result.unit.model_dump(), "inspection_date": "2026-05-20"}})
    assert build(with_inspection, DATE).rows[0].deadline == dt.date(2026, 5, 20)
    assert build(with_inspection, DATE, days=5).rows[0].deadline == dt.date(2026, 3, 6)
    assert build(with_inspection, dt.date(2026, 6, 1)).rows[0].deadline == dt.date(2026, 7, 1)  # inspection passed


def test_group_by_lead_unit_keeps_every_row_once():
    rl = build(handmade(), DATE, group_by="lead-unit")
    assert [g.name for g in rl.groups] == ["司法局", "应急管理局"]
    assert [r.indicator_no for g in rl.groups for r in g.rows] == [22, 65, 73]
    assert [r.no for r in rl.rows] == [1, 2, 3]


@pytest.mark.parametrize("group_by", ["none", "lead-unit"])
def test_writers_read_back(tmp_path, group_by):
    rl = build(handmade(), DATE, group_by=group_by)
    for fmt in ("xlsx", "docx", "md", "html"):
        write(rl, fmt, tmp_path / f"z.{fmt}")
    assert xlsx_rows(tmp_path / "z.xlsx") == expected_cells(rl)
    assert docx_rows(tmp_path / "z.docx") == [[str(c) for c in r] for r in expected_cells(rl)]
    md = (tmp_path / "z.md").read_text(encoding="utf-8")
    html = (tmp_path / "z.html").read_text(encoding="utf-8")
    for row in rl.rows:
        assert f"| {row.no} | {row.indicator} |" in md
        assert row.indicator in html
    if group_by == "lead-unit":
        assert "## 牵头单位:司法局(共 2 项)" in md and "牵头单位:应急管理局" in html


def test_xlsx_print_setup(tmp_path):
    write(build(handmade(), DATE), "xlsx", tmp_path / "z.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "z.xlsx")["整改清单"]
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    assert ws.print_title_rows == "$3:$3"
    assert ws["C4"].alignment.wrap_text
    assert ws.column_dimensions["C"].width > 40


def test_formula_text_stays_text_in_xlsx(tmp_path):
    result = handmade(note=INJECT, remediation=INJECT, lead=INJECT, title=INJECT)
    rl = build(result, DATE)
    write(rl, "xlsx", tmp_path / "z.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "z.xlsx")
    ws = wb["整改清单"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells, "the injected text should be present as text"
    for cell in cells:
        assert cell.data_type == "s", cell.coordinate
        assert cell.hyperlink is None
    measures = ws["D4"]
    assert measures.value == INJECT and measures.data_type == "s" and measures.quotePrefix
    assert ws["E4"].value.startswith(INJECT)
    assert not ws._hyperlinks
    # and the DOCX keeps it as plain text too
    write(rl, "docx", tmp_path / "z.docx")
    assert docx_rows(tmp_path / "z.docx")[0][3] == INJECT


def test_html_and_markdown_rectify_are_safe():
    rl = build(handmade(unit_name="<script>x</script>", title="审核|率", note="a|b<i>"), DATE)
    html = render_text(rl, "html")
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html and "<i>" not in html
    md = render_text(rl, "md")
    row = next(line for line in md.splitlines() if line.startswith("| 1 |"))
    assert row.count("|") - row.count("\\|") == 8
    assert "审核\\|率" in row


def test_cli_rectify_for_each_package(packages, tmp_path):
    runner = CliRunner()
    for pkg in packages:
        res = runner.invoke(main, ["score", str(pkg), "--format", "json", "-o", str(tmp_path / "s.json")])
        assert res.exit_code == 0, res.output
        result = ScoreResult.model_validate(json.loads((tmp_path / "s.json").read_text(encoding="utf-8")))
        for group_by in ("none", "lead-unit"):
            rl = build(result, DATE, days=15, group_by=group_by)
            assert sorted(r.indicator_no for r in rl.rows) == sorted(failing_numbers(result))
            for fmt in ("xlsx", "docx", "md", "html"):
                out = tmp_path / pkg.name / group_by / f"rectify.{fmt}"
                res = runner.invoke(main, ["rectify", str(pkg), "--format", fmt, "-o", str(out), "--date", "2026-03-01",
                                           "--days", "15", "--group-by", group_by])
                assert res.exit_code == 0, res.output
                assert out.stat().st_size > 0
            base = tmp_path / pkg.name / group_by
            assert xlsx_rows(base / "rectify.xlsx") == expected_cells(rl)
            assert docx_rows(base / "rectify.docx") == [[str(c) for c in r] for r in expected_cells(rl)]
            md = (base / "rectify.md").read_text(encoding="utf-8")
            assert sum(1 for line in md.splitlines() if line.startswith("| ") and line[2].isdigit()) == len(rl.rows)
            assert "2026-03-16" in md or not rl.rows


def test_cli_rectify_usage_errors(packages, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["rectify", str(packages[0]), "-o", str(tmp_path / "x.xlsx"), "--days", "3",
                               "--deadline", "2026-05-01"])
    assert res.exit_code == 2 and "--deadline 与 --days" in res.output
    res = runner.invoke(main, ["rectify", str(packages[0]), "-o", str(tmp_path / "x.pdf")])
    assert res.exit_code == 2 and "扩展名" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["rectify", str(tmp_path / "nope"), "-o", str(tmp_path / "x.md")])
    assert res.exit_code == 2 and "Traceback" not in res.output
