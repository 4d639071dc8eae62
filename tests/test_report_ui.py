"""The HTML report in a real Chromium (Playwright driving Debian's /usr/bin/chromium, no browser download):

- filter by status and by category, and search, show exactly the matching indicators;
- links from the 全部指标 table open and reveal the indicator's card (<details>), the fold button folds them;
- with JavaScript off every card is open and no dead control is shown;
- at 390 px (a phone) nothing is wider than the screen: wide tables become labelled cards;
- the chart stacks 已确认得分 / 待人工核查 / 未得分 per category;
- ``score -o report.pdf`` prints through headless Chromium: page numbers (第 N 页,共 M 页) and the
  评估组 signature block are in the PDF text (pdftotext).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_cases import EXAMPLES

from engine.cli import main

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="未安装 chromium(apt-get install -y chromium fonts-wqy-microhei)")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("ui")
    res = CliRunner().invoke(main, ["score", str(EXAMPLES / "weak-town"), "-o", str(out / "r.html"), "-o",
                                    str(out / "r.json"), "--date", "2026-03-01"])
    assert res.exit_code in (0, 3), res.output
    return out / "r.html", json.loads((out / "r.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser():
    sync = pytest.importorskip("playwright.sync_api")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def visible_rows(page) -> list[str]:
    return page.eval_on_selector_all("#indicators tbody tr", "rs => rs.filter(r => r.offsetParent !== null)"
                                     ".map(r => r.getAttribute('data-text').split(' ')[0])")


def test_filter_and_search(report, browser):
    html, result = report
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(html.as_uri())
    assert page.is_visible("#tools")
    assert len(visible_rows(page)) == 87
    partial = sorted(str(i["no"]) for i in result["indicators"] if i["status"] == "partial")
    page.select_option("#f-status", "partial")
    assert sorted(visible_rows(page)) == partial and len(partial) >= 5
    assert "显示 %d 项" % len(partial) in page.inner_text("#f-count")
    hidden_cards = page.eval_on_selector_all("details.card", "ds => ds.filter(d => d.offsetParent === null).length")
    assert hidden_cards == 0  # every failing card here is partial
    page.select_option("#f-category", "5")
    in5 = sorted(str(i["no"]) for i in result["indicators"] if i["status"] == "partial" and i["category"] == 5)
    assert sorted(visible_rows(page)) == in5 and in5
    page.select_option("#f-status", "")
    page.select_option("#f-category", "")
    page.fill("#f-search", "突发事件")
    found = visible_rows(page)
    expected = sorted(str(i["no"]) for i in result["indicators"] if "突发事件" in i["title"])
    assert sorted(found) == expected and "73" in found
    assert page.is_visible("#ind-73") and not page.is_visible("#ind-21")
    page.fill("#f-search", "司法所")
    assert set(visible_rows(page)) >= {"21", "22", "83"}
    page.fill("#f-search", "")
    # fold all, then a link in the table opens its card
    page.click("#f-fold")
    assert page.eval_on_selector("#ind-73", "d => d.open") is False
    page.click("#indicators a[href='#ind-73']")
    assert page.eval_on_selector("#ind-73", "d => d.open") is True
    assert page.evaluate("location.hash") == "#ind-73"
    links = page.eval_on_selector_all("#indicators a", "as => as.map(a => a.getAttribute('href'))")
    for href in links:
        assert page.query_selector(href) is not None, href  # every link has its target
    page.close()


def test_reads_fully_without_javascript(report, browser):
    html, _ = report
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(html.as_uri())
    assert not page.is_visible("#tools")
    assert page.eval_on_selector_all("details.card", "ds => ds.every(d => d.open)")
    assert page.is_visible("#ind-73 .cite")
    ctx.close()


def test_no_overflow_at_phone_width(report, browser):
    html, _ = report
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(html.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
        .filter(e => e.offsetParent !== null && !e.closest('svg'))
        .filter(e => e.getBoundingClientRect().right > 391)
        .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 10)""")
    assert not wide, wide
    # tables read as labelled cards
    assert page.eval_on_selector("#indicators thead", "t => getComputedStyle(t).display") == "none"
    label = page.eval_on_selector("#indicators td[data-label='牵头单位']", "td => getComputedStyle(td, '::before').content")
    assert "牵头单位" in label
    page.close()


def test_chart_has_a_pending_segment(report):
    html, result = report
    text = html.read_text(encoding="utf-8")
    for cat in result["categories"]:
        bar = text.split(f'<g class="bar" data-category="{cat["no"]}">')[1].split("</g>")[0]
        width = lambda cls: float(re.search(rf'class="{cls}"[^>]* width="([\d.]+)"', bar).group(1))  # noqa: E731
        assert abs(width("seg-earned") + width("seg-pending") + width("seg-lost") - 460) < 1.5
        assert (width("seg-pending") > 0) == (cat["earned_high"] > cat["earned"])
        assert (width("seg-lost") > 0.5) == (cat["applicable_points"] - cat["earned_high"] > 0.01)
    assert "no_important_normative_documents" not in text  # codes shown by their Chinese labels
    assert "「创建周期内未制定重要行政规范性文件」" in text
    assert "超期 15 日" in text


def test_pdf_has_page_numbers_and_signature_block(tmp_path):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("未安装 poppler-utils(pdftotext)")
    out = tmp_path / "报告.pdf"
    res = CliRunner().invoke(main, ["score", str(EXAMPLES / "weak-town"), "-o", str(out), "--date", "2026-03-01"])
    assert res.exit_code in (0, 3), res.output
    assert out.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run([pdftotext, str(out), "-"], capture_output=True, text=True, timeout=60).stdout
    pages = re.findall(r"第 (\d+) 页,共 (\d+) 页", text)
    assert pages and pages[0] == ("1", pages[0][1]) and len(pages) == int(pages[0][1]) >= 2
    assert "评估组组长(签字)" in text and "柳溪镇人民政府" in text
    assert "指标序号、名称或牵头单位" not in text


def test_ranking_page_uses_the_report_style_and_fits_a_phone(tmp_path, browser):
    res = CliRunner().invoke(main, ["batch", str(EXAMPLES / "good-county"), str(EXAMPLES / "weak-town"), "-o",
                                    str(tmp_path / "b"), "--no-progress", "-j", "1"])
    assert res.exit_code == 0, res.output
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto((tmp_path / "b" / "ranking.html").as_uri())
    headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
    assert any(h.startswith("县排名") for h in headings) and any(h.startswith("镇排名") for h in headings)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    font = page.eval_on_selector("body", "b => getComputedStyle(b).fontFamily")
    assert "WenQuanYi" in font  # the reports' stylesheet
    page.close()
