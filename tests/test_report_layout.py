"""The HTML score report and the HTML 整改清单 do not overflow horizontally in headless Chromium, at a
desktop width (1200 px) and a phone width (390 px), for each example and two hand-made results (one with very
long Chinese text, URLs and record ids).

A copy of each page gets a small script before ``</body>`` that, after layout, lists the elements sticking out
of the viewport (right edge > innerWidth + 1) or out of their own box (scrollWidth > clientWidth + 1 with
visible overflow; HTML elements only, CSS overflow does not apply inside SVG), skipping anything inside an
``overflow-x: auto/scroll`` container, and writes that JSON list into ``<pre id="overflow-report">``;
``chromium --dump-dom`` prints the DOM after the script ran. The templates have no such scrolling container
and no Content-Security-Policy meta tag (one would be removed from the test copy).

Headless Chromium will not make a window narrower than 500 px (``--window-size=390,…`` gives innerWidth
500), so every page is laid out in an iframe exactly as wide as the viewport under test (an iframe is a real
viewport: innerWidth, media queries and percentages all follow it), and all pages of one width share one
Chromium run. Skipped when Chromium is absent, as test_report_browser.py is.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from report_cases import DATE, example_dirs, handmade, package_cases
from test_report_browser import CHROMIUM, FLAGS

from engine.evaluate import score
from engine.output.rectify import build
from engine.output.reports import render_report
from engine.output.writers import render_text
from evidence.package import load_package

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="未安装 chromium(apt-get install -y chromium fonts-wqy-microhei)")

WIDTHS = {"desktop": 1200, "phone": 390}
HEIGHT = 900
KINDS = ("report", "rectify")
CASES = ("handmade", "hostile", *([p.name for p in example_dirs()] or ["pkg"]))

# Runs in the page copy after layout; the result goes into the page's own <pre id="overflow-report"> and, when
# the page is framed (srcdoc frames share the harness's origin), into the harness's
# <pre id="overflow-report-FRAMEID">.
CHECKER = r"""<script>
(function () {
  function scrolls(el) {
    for (var p = el.parentElement; p; p = p.parentElement) {
      var o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll") return true;
    }
    return false;
  }
  function path(el) {
    var parts = [];
    for (; el && el !== document.body; el = el.parentElement) {
      var cls = el.getAttribute("class");
      parts.unshift(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                    + (cls ? "." + cls.trim().split(/\s+/).join(".") : ""));
    }
    return parts.join(" > ");
  }
  function run() {
    var W = window.innerWidth, out = [], doc = document.documentElement.scrollWidth;
    if (doc > W)
      out.push({tag: "html", cls: "", path: "html", text: "documentElement.scrollWidth " + doc, right: doc});
    var all = document.body.querySelectorAll("*");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (el.id === "overflow-report" || el.tagName === "SCRIPT" || scrolls(el)) continue;
      var r = el.getBoundingClientRect();
      var spills = el instanceof HTMLElement && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
                   && getComputedStyle(el).overflowX === "visible";
      if (r.right > W + 1 || spills)
        out.push({tag: el.tagName.toLowerCase(), cls: String(el.getAttribute("class") || ""), path: path(el),
                  text: (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 40),
                  right: Math.round(r.right), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
    }
    var json = JSON.stringify({innerWidth: W, offenders: out});
    var pre = document.createElement("pre");
    pre.id = "overflow-report";
    pre.textContent = json;
    document.body.appendChild(pre);
    if (window.frameElement)
      window.parent.document.getElementById("overflow-report-" + window.frameElement.id).textContent = json;
  }
  if (document.readyState === "complete") run(); else window.addEventListener("load", run);
})();
</script>"""


def instrument(page: str) -> str:
    """The test copy of a page: the checker before </body>, and no Content-Security-Policy meta tag."""
    csp = r'<meta[^>]+http-equiv\s*=\s*["\']?Content-Security-Policy[^>]*>'
    page = re.sub(csp, "", page, flags=re.IGNORECASE)
    assert page.count("</body>") == 1
    return page.replace("</body>", CHECKER + "</body>")


def overflow_reports(pages: dict[str, str], width: int) -> dict[str, dict]:
    """{name: {"innerWidth": …, "offenders": […]}} for each page laid out in a viewport ``width`` px wide."""
    frames = "".join(
        f'<pre id="overflow-report-f{n}"></pre><iframe id="f{n}" style="display:block;border:0;margin:0;'
        f'width:{width}px;height:{HEIGHT}px" srcdoc="{htmllib.escape(instrument(page), quote=True)}">'
        "</iframe>" for n, page in enumerate(pages.values()))
    with tempfile.TemporaryDirectory() as tmp:
        harness = Path(tmp) / "harness.html"
        harness.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
                           f'<body style="margin:0">{frames}</body></html>', encoding="utf-8")
        dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp}/profile", "--dump-dom",
                              f"--window-size={max(width, 500)},{HEIGHT}", harness.as_uri()],
                             check=True, capture_output=True, text=True, timeout=120).stdout
    out = {}
    for n, name in enumerate(pages):
        m = re.search(rf'<pre id="overflow-report-f{n}">(.*?)</pre>', dom, re.DOTALL)
        assert m and m.group(1), f"{name}: the overflow checker did not run (no report in the dumped DOM)"
        out[name] = json.loads(htmllib.unescape(m.group(1)))
        got = out[name]["innerWidth"]
        assert got == width, f"{name}: viewport {got} px, wanted {width} px"
    return out


def hostile():
    """handmade() with very long Chinese names and titles, a long URL, long record ids, file/sheet names."""
    url = ("https://www.example.gov.cn/zwgk/fdzdgknr/" + "guifanxingwenjian/" * 12
           + "t20220315_0123456789.html")
    long_zh = "关于进一步加强行政规范性文件制定和监督管理工作推进法治政府建设示范创建的实施意见" * 3
    result = handmade(unit_name="某某省某某市某某自治州某某县人民政府(某某经济技术开发区管理委员会、某某高新技术产业园区管理委员会)",
                      title="行政规范性文件合法性审核率(含以政府办公室名义印发的规范性文件及部门联合发文)" * 2,
                      note=f"公开网址:{url};文件标题:{long_zh}",
                      remediation=f"{long_zh}。参见 {url}",
                      lead="县人民政府办公室(县政务服务和数据管理局、县大数据发展中心、县营商环境建设监督局)")
    cite = result.indicators[0].checks[0].evidence[0]
    cite.id = "GFXWJ-2022-" + "0123456789ABCDEF" * 6
    cite.file = "ledgers/" + "规范性文件合法性审核台账_2021至2022年度_" * 3 + "final_v2_" * 6 + ".csv"
    result.indicators[1].checks[0].evidence[0].sheet = "突发事件信息发布台账(" + "EMERGENCY_INFO_RELEASE_" * 4 + ")"
    result.unit.region = "某某省某某市" + url
    return result


@pytest.fixture(scope="module")
def pages(tmp_path_factory, rules) -> dict[str, str]:
    """{"case/kind": html} for every case and kind."""
    results = {"handmade": handmade(), "hostile": hostile()}
    for pkg in package_cases(tmp_path_factory, rules):
        results[pkg.name] = score(load_package(pkg, rules.ledgers), rules)
    assert set(results) == set(CASES)
    out = {}
    for name, result in results.items():
        out[f"{name}/report"] = render_report(result, "html", report_date=DATE)
        out[f"{name}/rectify"] = render_text(build(result, DATE), "html")
    return out


@pytest.fixture(scope="module")
def layouts(pages) -> dict[int, dict[str, dict]]:
    return {width: overflow_reports(pages, width) for width in WIDTHS.values()}


def describe(offenders: list[dict]) -> str:
    return "\n".join(f"  {o['path']} right={o['right']} scrollWidth={o.get('scrollWidth')} "
                     f"clientWidth={o.get('clientWidth')} {o['text']!r}" for o in offenders)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("screen", WIDTHS)
def test_no_horizontal_overflow(layouts, screen, kind, case):
    """Nothing sticks out of the viewport or its own box. (When this test was written: the 11-column category
    table and the 7-column rectification table at phone width, the unbreakable SHA-256 in the rectification
    footer, and a long URL in remediation text; fixed in the templates' CSS with scroll containers and
    overflow-wrap.)"""
    width = WIDTHS[screen]
    offenders = layouts[width][f"{case}/{kind}"]["offenders"]
    assert not offenders, f"{case} {kind} overflows at {width} px:\n{describe(offenders)}"


def test_checker_reports_wide_elements():
    """The checker itself: a 3000 px div and text spilling out of a narrow box are reported; a wide table
    inside an overflow-x:auto container is not; a Content-Security-Policy meta tag does not stop it."""
    base = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">{}</body></html>'
    wide_table = '<table style="width:2000px"><tr><td>宽表</td></tr></table>'
    csp = """<meta http-equiv="Content-Security-Policy" content="script-src 'none'">"""
    got = overflow_reports({
        "wide": base.format('<p>正常</p><div class="too-wide" style="width:3000px">宽元素</div>'),
        "spill": base.format('<div class="box" style="width:200px"><span style="white-space:nowrap">'
                             + "不换行的长文本" * 3 + "</span></div>"),
        "scroller": base.format(f'<div style="overflow-x:auto">{wide_table}</div>'),
        "csp": base.replace("<head>", "<head>" + csp).format('<div style="width:3000px">x</div>'),
    }, WIDTHS["phone"])
    wide = got["wide"]["offenders"]
    assert [(o["tag"], o["cls"], o["right"]) for o in wide] == [("html", "", 3000), ("div", "too-wide", 3000)]
    assert [(o["tag"], o["cls"]) for o in got["spill"]["offenders"]] == [("div", "box")]
    assert got["scroller"]["offenders"] == []
    assert [o["tag"] for o in got["csp"]["offenders"]] == ["html", "div"]
