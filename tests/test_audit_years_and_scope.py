"""Audit defects D5 (training hours: officers in post, part-year rule, legal topics), D9 (blank scope columns) and
D16 (partial first and last years of the creation period): boundary tests on small packages, each stating actual vs
required. Each test fails on the code before the fix (main at eb9633c)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from conftest import build_package, find_check

from engine.evaluate import score
from engine.evaluate.backends import durable_available, get_backend
from engine.evaluate.validate import validate_package
from evidence.package import load_package

BACKENDS = ["python"] + (["durable"] if durable_available() else [])


def item(result, no: int):
    return next(i for i in result.indicators if i.no == no)


def both_backends(tmp_path, rules, ledgers, **unit):
    """Score with every backend available; they must agree byte for byte. Returns the python result."""
    pkg = build_package(tmp_path / "pkg", rules, copy.deepcopy(ledgers), **unit)
    package = load_package(pkg, rules.ledgers)
    results = [score(package, rules, get_backend(b)) for b in BACKENDS]
    assert len({r.to_json() for r in results}) == 1
    return results[0]


# ---------------------------------------------------------------- D9: a blank scope cell never shrinks a denominator

# The 13 population filters of audit S1 (and item 44's, which already guarded itself): (indicator, ledger, column).
S1_SCOPES = [
    (6, "service_items", "special_site"), (12, "normative_documents", "market_related"),
    (21, "normative_documents", "important"), (21, "normative_documents", "technical"),
    (29, "major_decisions", "npc_required"), (32, "major_decisions", "affects_stakeholders"),
    (32, "major_decisions", "livelihood_matter"), (33, "major_decisions", "technical"),
    (39, "major_decisions", "in_catalog"), (40, "major_decisions", "post_evaluation_required"),
    (52, "enforcement_cases", "av_required"), (54, "enforcement_cases", "major"),
    (65, "litigation", "special_category"), (72, "disclosure_requests", "eligible"),
    (44, "enforcement_disputes", "needs_superior"),
]


@pytest.mark.parametrize("no,ledger,column", S1_SCOPES)
def test_d9_every_audited_scope_column_reads_blank_as_in_scope(rules, no, ledger, column):
    assert rules.ledgers.ledgers[ledger].fields[column].blank_means == "in_scope"
    assert no in rules.scope_blanks[ledger][column]


def _case(n: int, **fields) -> dict:
    rec = {"case_id": f"C-{n:03d}", "agency": "县市场监督管理局", "category": "行政处罚", "decision_date": dt.date(2021, 5, 1)}
    rec.update(fields)
    return rec


def test_d9_blank_major_flag_keeps_the_case_in_the_legal_review_denominator(tmp_path, rules):
    # 54: two major decisions reviewed, one case with 是否重大执法决定 blank and no 法制审核.
    # Audit E7: the blank case left the denominator and the rate read 100% (2/2). Now 2/3 < 100%.
    cases = [_case(1, major=True, legal_review=True), _case(2, major=True, legal_review=True), _case(3, legal_review=False)]
    result = both_backends(tmp_path, rules, {"enforcement_cases": cases})
    check = find_check(result, 54, id="legal_review_rate")
    assert check.status == "fail" and check.actual.startswith("66.67%(2/3)") and check.required.startswith("≥ 100%")
    assert [e.id for e in check.evidence] == ["C-003"]
    assert "1 条记录的「是否重大执法决定」未填写,按适用计入" in check.message
    # the incomplete record is named with file, row and column
    [warning] = [w for w in result.warnings if "是否重大执法决定" in w]
    assert "ledgers/enforcement_cases.csv" in warning and "第4行" in warning and "不完整记录" in warning


def test_d9_filled_scope_flag_still_decides(tmp_path, rules):
    # the boundary: 是否重大执法决定 = 否 is out of scope, as before; no incomplete-record warning
    cases = [_case(1, major=True, legal_review=True), _case(2, major=False, legal_review=False)]
    result = both_backends(tmp_path, rules, {"enforcement_cases": cases})
    check = find_check(result, 54, id="legal_review_rate")
    assert check.status == "pass" and check.actual.startswith("100%(1/1)") and not check.message
    assert not [w for w in result.warnings if "是否重大执法决定" in w]


def test_d9_blank_special_site_counts_in_the_one_window_rate(tmp_path, rules):
    # 6: the population is “是否对场地有特殊要求 = 否”. 4 such items handled at one window, 2 blank ones not:
    # before, 4/4 = 100%; blank = in scope gives 4/6 = 66.67% < 80%.
    items = [{"item_id": f"S-{i}", "name": f"事项{i}", "special_site": False, "one_window": True} for i in range(1, 5)]
    items += [{"item_id": f"S-{i}", "name": f"事项{i}", "one_window": False} for i in (5, 6)]
    result = both_backends(tmp_path, rules, {"service_items": items})
    check = find_check(result, 6, id="one_window_rate")
    assert check.status == "fail" and check.actual.startswith("66.67%(4/6)") and check.required.startswith("≥ 80%")


def test_d9_blank_scope_in_an_enum_column_and_item_44_stays_consistent(tmp_path, rules):
    # 65: 特殊案件类别 blank -> one of the four categories until said otherwise: the head must appear in court.
    cases = [{"case_id": "L-1", "proceeding": "行政诉讼", "filed_date": dt.date(2021, 3, 1), "special_category": "社会高度关注",
              "head_appeared": True},
             {"case_id": "L-2", "proceeding": "行政诉讼", "filed_date": dt.date(2021, 4, 1), "head_appeared": False}]
    # 44: 是否需请示上级机关 blank -> the 7 working days apply; the fill check still asks for the column
    disputes = [{"dispute_id": "D-1", "received_date": dt.date(2021, 3, 1), "resolved_date": dt.date(2021, 3, 4),
                 "needs_superior": False},
                {"dispute_id": "D-2", "received_date": dt.date(2021, 3, 1), "resolved_date": dt.date(2021, 3, 30)}]
    result = both_backends(tmp_path, rules, {"litigation": cases, "enforcement_disputes": disputes})
    head = find_check(result, 65, id="head_appearance_special")
    assert head.status == "fail" and head.actual.startswith("50%(1/2)")
    deadline = find_check(result, 44, id="dispute_deadline")
    assert deadline.status == "fail" and "符合 1/2" in deadline.actual and [e.id for e in deadline.evidence] == ["D-2"]
    marked = find_check(result, 44, id="dispute_superior_marked")
    assert marked.status == "fail" and marked.actual.startswith("50%(1/2)")


def test_d9_validate_lists_blank_scope_cells(tmp_path, rules):
    cases = [_case(1, major=True, legal_review=True), _case(2, legal_review=True)]
    pkg = build_package(tmp_path / "pkg", rules, {"enforcement_cases": cases})
    _, problems = validate_package(pkg, rules)
    [p] = [p for p in problems if p.code == "blank_scope" and p.column == "是否重大执法决定"]
    assert (p.file, p.row, p.column, p.severity) == ("ledgers/enforcement_cases.csv", 3, "是否重大执法决定", "warning")
