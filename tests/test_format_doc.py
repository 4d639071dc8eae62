"""evidence/FORMAT.md stays in step with the ledger definitions and the rules."""

from pathlib import Path

from engine.output.formatdoc import render_format_doc


def test_format_doc_is_current(rules):
    path = Path(__file__).resolve().parent.parent / "evidence" / "FORMAT.md"
    assert path.read_text(encoding="utf-8") == render_format_doc(rules), "run: scorecard format-doc > evidence/FORMAT.md"


def test_codes_include_rule_codes(rules):
    text = render_format_doc(rules)
    for code in ("no_major_emergency", "法治专题学习", "领导班子成员严重违法犯罪", "法治建设政绩考核分值权重"):
        assert code in text
