"""整改清单: rows from findings; XLSX/DOCX read back; Markdown/HTML; deadlines; grouping by every lead unit
(co-leads included); --split; the tracking workbook (dropdown, dates, filter) round-trips; formula injection."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document
from report_cases import DATE, failing_numbers, handmade, package_cases

from engine.cli import main
from engine.errors import InputError
from engine.output.rectify import COLUMNS, STATES, TRACK_COLUMNS, build, split
from engine.output.writers import render_text, write
from engine.output.writers.xlsx import read_tracking
from engine.results import ScoreResult

INJECT = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def packages(tmp_path_factory, rules):
    return package_cases(tmp_path_factory, rules)


def xlsx_rows(path) -> list[list]:
    ws = openpyxl.load_workbook(path)["整改清单"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == list(COLUMNS + TRACK_COLUMNS)
    assert not ws.merged_cells.ranges  # a plain table: sort and filter work
    rows = []
    for row in ws.iter_rows(min_row=2):
        values = [c.value for c in row]
        assert isinstance(values[6], dt.datetime) and row[6].number_format == "yyyy-mm-dd"  # a real date
        rows.append([values[0], *values[1:6], values[6].date().isoformat(), values[7]])
        assert values[8:] == [None] * len(TRACK_COLUMNS)
    return rows


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
    assert [r.state for r in rl.rows] == ["待整改", "待整改", "待整改"]
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


def test_group_by_lead_unit_gives_every_co_lead_its_items():
    rl = build(handmade(), DATE, group_by="lead-unit")
    assert [g.name for g in rl.groups] == ["司法局", "党政办", "应急管理局"]
    assert [[r.indicator_no for r in g.rows] for g in rl.groups] == [[22, 65], [22], [73]]
    assert [r.no for r in rl.rows] == [1, 2, 3, 4]
    assert rl.groups[1].rows[0].units == "党政办(与司法局共同牵头)"
    assert rl.groups[0].rows[0].units == "司法局(与党政办共同牵头)"
    parts = split(rl)
    assert list(parts) == ["司法局", "党政办", "应急管理局"]
    assert [r.no for r in parts["司法局"].rows] == [1, 2] and parts["党政办"].rows[0].indicator_no == 22
    assert "(党政办)" in parts["党政办"].title


def test_weak_town_co_lead_units_each_get_their_items(tmp_path):
    from report_cases import EXAMPLES

    out = tmp_path / "split"
    res = CliRunner().invoke(main, ["rectify", str(EXAMPLES / "weak-town"), "--split", str(out), "--date", "2026-03-01"])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(["整改清单-党政办.xlsx", "整改清单-司法所.xlsx", "整改清单-党群工作局(组织).xlsx",
                            "整改清单-党群工作局(宣传).xlsx", "整改清单-综合行政执法局.xlsx"])
    items = {f: read_tracking(out / f) for f in files}
    assert sorted(i.indicator_no for i in items["整改清单-司法所.xlsx"]) == [21, 22, 83]  # co-lead, not first lead
    assert sorted(i.indicator_no for i in items["整改清单-党政办.xlsx"]) == [21, 22, 83]
    assert [i.indicator_no for i in items["整改清单-党群工作局(组织).xlsx"]] == [83]
    assert all(i.lead_unit.startswith("司法所") for i in items["整改清单-司法所.xlsx"])
    # 问题描述 cites only the rows of the failing year: 2022's three sessions, none of 2021's compliant four
    problem = openpyxl.load_workbook(out / "整改清单-司法所.xlsx")["整改清单"]
    text83 = next(r[3].value for r in problem.iter_rows(min_row=2) if r[1].value.startswith("83."))
    cited = text83.split("涉及记录")[1]
    assert "法治专题学习" in cited and "2022-" in cited and "2021-" not in cited
    assert "未达标年度:2022年" in text83


def test_tracking_workbook_round_trips(tmp_path):
    rl = build(handmade(), DATE, group_by="lead-unit")
    path = tmp_path / "track.xlsx"
    write(rl, "xlsx", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["整改清单"]
    assert ws.auto_filter.ref == "A1:L5"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and lists[0].formula1 == '"' + ",".join(STATES) + '"' and lists[0].showErrorMessage
    assert str(lists[0].sqref) == "H2:H5001"
    dates = [dv for dv in ws.data_validations.dataValidation if dv.type == "date"]
    assert sorted(str(dv.sqref) for dv in dates) == ["G2:G5001", "K2:K5001"]
    assert all(ws.row_dimensions[r].height and ws.row_dimensions[r].height > 15 for r in range(2, 6))
    # the unit fills in owner, progress, completion date and evidence, then the file is read back
    ws["H2"], ws["I2"], ws["J2"], ws["K2"], ws["L2"] = "已整改", "张三", "已补齐审核意见", dt.datetime(2026, 3, 20), "审核意见书.pdf"
    ws["H3"] = "整改中"
    ws["K3"] = "2026年3月25日"
    wb.save(path)
    items = read_tracking(path)
    assert [(i.no, i.indicator_no, i.lead_unit.split("(")[0], i.state) for i in items] == [
        (1, 22, "司法局", "已整改"), (2, 65, "司法局", "整改中"), (3, 22, "党政办", "待整改"), (4, 73, "应急管理局", "待整改")]
    assert items[0].owner == "张三" and items[0].done == dt.date(2026, 3, 20) and items[0].evidence == "审核意见书.pdf"
    assert items[1].done == dt.date(2026, 3, 25) and items[0].deadline == DATE + dt.timedelta(days=30)
    ws["H4"], ws["K4"] = "完成啦", "下周"
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_tracking(path)
    text = "\n".join(p.format() for p in err.value.problems)
    assert "第4行 字段「状态」" in text and "完成啦" in text and "已销号" in text
    assert "第4行 字段「完成日期」" in text and "下周" in text


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
    assert ws.print_title_rows == "$1:$1"
    assert ws["D2"].alignment.wrap_text
    assert ws.column_dimensions["D"].width > 40
    assert "第 &P 页" in ws.oddFooter.center.text


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
    measures = ws["E2"]
    assert measures.value == INJECT and measures.data_type == "s" and measures.quotePrefix
    assert ws["F2"].value.startswith(INJECT)
    assert not ws._hyperlinks
    # and the DOCX keeps it as plain text too
    write(rl, "docx", tmp_path / "z.docx")
    assert docx_rows(tmp_path / "z.docx")[0][4] == INJECT


def test_html_and_markdown_rectify_are_safe():
    rl = build(handmade(unit_name="<script>x</script>", title="审核|率", note="a|b<i>"), DATE)
    html = render_text(rl, "html")
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html and "<i>" not in html
    md = render_text(rl, "md")
    row = next(line for line in md.splitlines() if line.startswith("| 1 |"))
    assert row.count("|") - row.count("\\|") == 9
    assert "审核\\|率" in row


def test_cli_rectify_for_each_package(packages, tmp_path):
    runner = CliRunner()
    for pkg in packages:
        res = runner.invoke(main, ["score", str(pkg), "--format", "json", "-o", str(tmp_path / "s.json")])
        assert res.exit_code == 0, res.output
        result = ScoreResult.model_validate(json.loads((tmp_path / "s.json").read_text(encoding="utf-8")))
        for group_by in ("none", "lead-unit"):
            rl = build(result, DATE, days=15, group_by=group_by)
            if group_by == "none":
                assert sorted(r.indicator_no for r in rl.rows) == sorted(failing_numbers(result))
            else:
                assert sorted({r.indicator_no for r in rl.rows}) == sorted(failing_numbers(result))
                assert all(r.lead_unit in r.lead_units or not r.lead_units for r in rl.rows)
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
