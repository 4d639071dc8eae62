"""Score reports: HTML (self-contained, escaped), Markdown and JSON, for each example and a hand-made result."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from click.testing import CliRunner
from report_cases import DATE, failing_numbers, handmade, package_cases

from engine.cli import main
from engine.output.reports import render_report


@pytest.fixture(scope="module")
def packages(tmp_path_factory, rules):
    return package_cases(tmp_path_factory, rules)


def test_html_report_contents():
    html = render_report(handmade(), "html", report_date=DATE)
    assert html.startswith("<!DOCTYPE html>")
    for text in ("样例县人民政府", "2021-01-01 至 2022-12-31", "测试规则", "a" * 64, "2026-03-01", "得分 ÷ 适用分值 × 100",
                 "99.2%(124/125)", "≥ 100%", "ledgers/normative_documents.csv", "A-2", "E-07", "首次发布 7.0 小时 &gt; 5 小时",
                 "✗ 未达标", "<svg", 'id="missing"', 'id="review"', "核查述法质量", "依法全面履行政府职能"):
        assert text in html, text
    # self-contained: one small inline script (filter/search/fold), no external resources
    assert html.count("<script") == 1 and "<script src" not in html and len(html.split("<script>")[1].split("</script>")[0]) < 4000
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "@media print" in html and "size: A4" in html
    # needs_review and missing_evidence are listed in their own tables
    missing = html.split('id="missing"')[1].split("</table>")[0]
    review = html.split('id="review"')[1].split("</table>")[0]
    assert "行政诉讼败诉率" in missing and "述法" not in missing
    assert "述法" in review and "行政诉讼败诉率" not in review


def test_html_escapes_unit_name_and_evidence():
    evil = '<script>alert("x")</script>'
    html = render_report(handmade(unit_name=evil, note='<img src=x onerror=alert(1)>'), "html", report_date=DATE)
    assert "<script>alert" not in html and html.count("<script>") == 1 and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_markdown_pipe_does_not_break_tables():
    md = render_report(handmade(title="审核|率", unit_name="县|政府"), "md", report_date=DATE)
    row = next(line for line in md.splitlines() if line.startswith("| 22 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 8  # 7 columns
    assert "审核\\|率" in row
    for line in md.splitlines():
        if line.lstrip().startswith("|"):
            assert line.rstrip().endswith("|"), line


def test_markdown_blank_line_after_tables():
    lines = render_report(handmade(), "md", report_date=DATE).splitlines()
    for prev, line in itertools.pairwise(lines):
        if prev.lstrip().startswith("|") and not line.lstrip().startswith("|"):
            assert line.strip() == "", (prev, line)


def test_custom_template_dir_sandboxed(tmp_path):
    (tmp_path / "report.html.j2").write_text("<p>{{ r.unit.name }}|{{ report_date }}</p>", encoding="utf-8")
    html = render_report(handmade(unit_name="<b>"), "html", tmp_path, DATE)
    assert html == "<p>&lt;b&gt;|2026-03-01</p>"
    # markdown still comes from the built-in template (fallback)
    assert "法治政府建设示范创建评估报告" in render_report(handmade(), "md", tmp_path, DATE)


def test_custom_template_errors_are_input_errors(tmp_path):
    (tmp_path / "report.html.j2").write_text("{{ r.__class__.__mro__ }}", encoding="utf-8")
    from engine.errors import InputError

    with pytest.raises(InputError) as exc:
        render_report(handmade(), "html", tmp_path, DATE)
    assert "模板" in str(exc.value)
    (tmp_path / "report.html.j2").write_text("{% for %}", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        render_report(handmade(), "html", tmp_path, DATE)
    assert "模板语法错误" in str(exc.value)


def test_cli_reports_for_each_package(packages, tmp_path):
    runner = CliRunner()
    for pkg in packages:
        out = {}
        for fmt in ("html", "md", "json"):
            path = tmp_path / pkg.name / f"report.{fmt}"
            res = runner.invoke(main, ["score", str(pkg), "--format", fmt, "--date", "2026-03-01", "-o", str(path)])
            assert res.exit_code == 0, res.output
            out[fmt] = path.read_text(encoding="utf-8")
        data = json.loads(out["json"])
        name = data["unit"]["name"]
        assert name in out["md"] and "2026-03-01" in out["md"]
        assert "2026-03-01" in out["html"] and "<svg" in out["html"]
        from markupsafe import escape

        assert str(escape(name)) in out["html"]
        for ind in data["indicators"]:
            if ind["status"] in ("fail", "partial", "error"):
                assert f'id="ind-{ind["no"]}"' in out["html"]
                assert f"### {ind['no']}. " in out["md"]
        # same date -> byte-identical output
        again = tmp_path / pkg.name / "again.html"
        runner.invoke(main, ["score", str(pkg), "--format", "html", "--date", "2026-03-01", "-o", str(again)])
        assert again.read_text(encoding="utf-8") == out["html"]


def test_cli_template_dir_errors_exit_2(packages, tmp_path):
    (tmp_path / "report.html.j2").write_text("{% for %}", encoding="utf-8")
    res = CliRunner().invoke(main, ["score", str(packages[0]), "--format", "html", "--template", str(tmp_path)])
    assert res.exit_code == 2
    assert "模板语法错误" in res.output and "Traceback" not in res.output


def test_failing_numbers_helper():
    assert failing_numbers(handmade()) == [22, 73, 65]
