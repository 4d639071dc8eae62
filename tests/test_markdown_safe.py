"""Markdown outputs never let evidence text become markup (issue 12; audit H02, H04, H11, H12).

Every Markdown writer (score report, rectification list, `diff --format md`, `diff --rectification --format md`)
escapes text through one function, ``engine.markdown.md_text``. The proof parses the produced Markdown with
markdown-it-py in its GFM-like preset (tables, strikethrough, raw HTML and linkify of bare URLs/e-mails/domains on)
and checks that text from evidence makes no link, image, HTML, heading, table row, code, emphasis or
strikethrough: the hostile result renders to the same block structure as the benign one, with no link/image/HTML
node at all, and the hostile text is still readable in the rendered output.
"""

from __future__ import annotations

import html
import json

import pytest
from markdown_it import MarkdownIt
from report_cases import DATE, EXAMPLES

from engine.evaluate.pipeline import load_rules, score
from engine.markdown import md_lines, md_text
from engine.output.diff import diff_results, rectification_status, render_diff, render_rectification
from engine.output.rectify import build
from engine.output.reports import render_report
from engine.output.writers import render_text
from engine.results import ScoreResult
from evidence.package import load_package

PAYLOAD = ("X[点我](javascript:alert(1)) ![跟踪](http://evil.example/p.png) <img src=x onerror=alert(1)>"
           "<script>alert(1)</script> <http://evil.example> http://evil.example/a www.evil.example evil.example "
           "a@evil.example mailto:a@evil.example `code` **粗** _斜_ ~~删~~ &lt;b&gt; &#60;i&#62; <!-- c --> "
           "[ref]\n\n# 伪造标题\n伪造 | 表格 | 行\n---|---\n- 列表\n1. 编号\n> 引用\n    缩进代码\n```\n围栏\n```\n"
           "[ref]: http://evil.example\n\\")
# fields whose values the templates branch on or format (kept valid); every other string is evidence or user text
KEEP = {"status", "automated_status", "kind", "tool", "version", "period_start", "period_end", "inspection_date",
        "date", "approved", "expires", "as_of", "sha256", "rules_digest", "evidence_digest", "profile_digest",
        "review_digest", "waivers_digest", "profile", "rules_edition", "verdict", "name", "explanation",
        "pending_review_policy", "formula", "id", "rule"}


def _poison(value, key=None):
    if isinstance(value, dict):
        return {k: _poison(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, key) for v in value]
    if isinstance(value, str) and key not in KEEP:
        return value + PAYLOAD
    return value


@pytest.fixture(scope="module")
def results() -> tuple[ScoreResult, ScoreResult]:
    rules = load_rules()
    benign = score(load_package(EXAMPLES / "weak-town", rules.ledgers), rules)
    data = _poison(benign.model_dump(mode="json"))
    data["unit"]["name"] += PAYLOAD
    data["run"]["profile"] += PAYLOAD
    for ind in data["indicators"]:
        for c in ind["checks"]:
            c["id"] += "]x(javascript:y)"
    hostile = ScoreResult.model_validate(data)
    return benign, hostile


MD = MarkdownIt("gfm-like")  # linkify (linkify-it-py), tables, strikethrough, html on


def tokens(text: str) -> list:
    out = []

    def walk(ts):
        for t in ts:
            out.append(t)
            if t.children:
                walk(t.children)

    walk(MD.parse(text))
    return out


def structure(text: str) -> dict[str, int]:
    """Counts of the block and inline structures evidence must never add (``<br>`` is the one HTML the templates
    write themselves: a line break inside a rectification cell; ``assert_inert`` allows no other HTML)."""
    kinds = ("heading_open", "tr_open", "bullet_list_open", "ordered_list_open", "blockquote_open", "code_block",
             "fence", "hr", "link_open", "image", "html_block", "code_inline", "s_open", "em_open",
             "strong_open", "table_open", "paragraph_open")
    counts = dict.fromkeys(kinds, 0)
    for t in tokens(text):
        if t.type in counts:
            counts[t.type] += 1
    return counts


def assert_inert(benign_md: str, hostile_md: str) -> None:
    hostile_tokens = tokens(hostile_md)
    live = [t for t in hostile_tokens if t.type in ("link_open", "image", "html_block")]
    assert not live, [(t.type, t.attrs, t.content[:80]) for t in live]
    raw_html = [t.content for t in hostile_tokens if t.type == "html_inline" and t.content != "<br>"]
    assert not raw_html, raw_html[:5]
    assert structure(hostile_md) == structure(benign_md)
    rendered = MD.render(hostile_md)
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    text = html.unescape(rendered)
    for piece in ("[点我](javascript:alert(1))", "<script>alert(1)</script>", "http://evil.example/a", "a@evil.example",
                  "# 伪造标题"):
        assert piece in text, piece  # readable as text, not dropped


def test_md_text_units():
    assert md_text("a|b\nc") == "a\\|b c"
    assert md_text(None) == ""
    assert md_text("94.74% 10:00 符合 5/6 条") == "94.74% 10:00 符合 5/6 条"  # ordinary figures stay as they are
    assert md_text("[x](javascript:y)") == "\\[x\\](javascript:y)"
    assert md_text("files/方案.docx calendar/2021.yaml") == "files/方案.docx calendar/2021.yaml"
    assert md_lines("a\n# b") == "a<br>\\# b"
    assert md_text("22. 合法性审核率") == "22. 合法性审核率"
    for evil in ("# h", "- li", "1. n", "+ x", "> q", "    code", "<b>", "http://e.x", "www.e.x", "e.example", "a@b.cn",
                 "evil.com", "政府.gov.cn", "//evil.example/a", "HTTPS://x.org", "ftp://a.b", "mailto:a@b.cn"):
        assert structure(f"| {md_text(evil)} |\n|---|\n") == structure("| x |\n|---|\n"), evil
        assert structure(f"前 {md_text(evil)}\n") == structure("前 x\n"), evil
        if not evil[0].isdigit():  # md_text is inline text, never written at the start of a line (see engine.markdown)
            assert structure(f"{md_text(evil)}\n") == structure("x\n"), evil


def test_score_report_md(results):
    benign, hostile = results
    assert_inert(render_report(benign, "md", report_date=DATE), render_report(hostile, "md", report_date=DATE))


@pytest.mark.parametrize("group_by", ["none", "lead-unit"])
def test_rectify_md(results, group_by):
    benign, hostile = results
    rl_b, rl_h = build(benign, DATE, group_by=group_by), build(hostile, DATE, group_by=group_by)
    assert rl_h.rows
    assert_inert(render_text(rl_b, "md"), render_text(rl_h, "md"))


def test_diff_md(results):
    """Audit H12: a result JSON whose unit name or titles carry HTML, headings or newlines."""
    benign, hostile = results
    changed = json.loads(benign.to_json())
    for ind in changed["indicators"]:  # every indicator changes, so every title reaches the table
        ind["earned"] = (ind["earned"] or 0) + 1
    changed = ScoreResult.model_validate(changed)
    hostile_changed = json.loads(hostile.to_json())
    for ind in hostile_changed["indicators"]:
        ind["earned"] = (ind["earned"] or 0) + 1
    hostile_changed = ScoreResult.model_validate(hostile_changed)
    benign_md = render_diff(diff_results(benign, changed), "md")
    hostile_md = render_diff(diff_results(hostile, hostile_changed), "md")
    assert "伪造标题" in hostile_md
    assert_inert(benign_md, hostile_md)
    assert_inert(render_rectification(rectification_status(benign, changed), "md"),
                 render_rectification(rectification_status(hostile, hostile_changed), "md"))


def test_one_escaping_function():
    """Every Markdown writer uses engine.markdown: the template filters and diff are that function."""
    from engine.output import diff, render

    assert render.environment().filters["md"] is md_text
    assert render.environment().filters["md_lines"] is md_lines
    assert diff.md_text is md_text
