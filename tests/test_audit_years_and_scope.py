"""Audit defects D5 (training hours: officers in post, part-year rule, legal topics), D9 (blank scope columns) and
D16 (partial first and last years of the creation period): boundary tests on small packages, each stating actual vs
required. Each test fails on the code before the fix (main at eb9633c)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from conftest import build_package, find_check, score_records

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


# ---------------------------------------------------------------- D16: partial first and last years of the period

# 2021-07-01 .. 2023-03-31: 2021 has 184 of 365 days in the period, 2022 all, 2023 90 of 365.
PARTIAL = {"period": {"start": "2021-07-01", "end": "2023-03-31"}}


def _activities(kind: str, per_year: dict[int, int]) -> list[dict]:
    out = []
    for year, n in per_year.items():
        for k in range(n):
            day = dt.date(year, 8, 1) if year == 2021 else dt.date(year, 3, 1)
            out.append({"activity_id": f"A-{year}-{k}", "type": kind, "date": day + dt.timedelta(days=k),
                        "title": f"{kind}{year}-{k}"})
    return out


def _profile(tmp_path, rule: str):
    from engine.evaluate import load_rules

    path = tmp_path / f"partial-{rule}.yaml"
    path.write_text(f"id: partial-{rule}\ntitle: 不完整年度{rule}\nbase: base-87\npartial_years: {rule}\n", encoding="utf-8")
    return load_rules(profile=path)


def test_d16_edition_states_one_partial_year_rule(rules):
    assert rules.catalog.edition.partial_years == "pro_rata"


def test_d16_a_yearly_quota_is_pro_rated_in_partial_years(tmp_path, rules):
    # 83 法治专题学习 ≥ 4 a year: 2021 needs round(4 × 184/365 = 2.02) = 2, 2022 needs 4, 2023 round(4 × 90/365 = 0.99) = 1.
    # Before: 4 in each partial year, so 2 and 1 sessions failed both years.
    ledgers = {"activities": _activities("法治专题学习", {2021: 2, 2022: 4, 2023: 1})}
    result = both_backends(tmp_path, rules, ledgers, **PARTIAL)
    check = find_check(result, 83, id="legal_study_sessions")
    assert check.status == "pass", check.years
    assert [(y.year, y.status, y.required) for y in check.years] == [
        (2021, "pass", "≥ 2 次(全年 4,按 184/365 天折算)"), (2022, "pass", "≥ 4 次"),
        (2023, "pass", "≥ 1 次(全年 4,按 90/365 天折算)")]
    assert check.required == "每年 ≥ 4 次,不足整年的年度按比例折算"


def test_d16_one_short_of_the_pro_rated_quota_fails(tmp_path, rules):
    ledgers = {"activities": _activities("法治专题学习", {2021: 1, 2022: 4, 2023: 1})}
    result = score_records(tmp_path, rules, ledgers, **PARTIAL)
    check = find_check(result, 83, id="legal_study_sessions")
    assert check.status == "partial" and check.years[0].status == "fail"
    assert check.years[0].actual == "2021年 1 次" and check.years[0].required.startswith("≥ 2 次")


def test_d16_a_quota_that_rounds_to_zero_is_not_required(tmp_path, rules):
    # 83 常务会议学法 ≥ 1 a year: 2023's 90 days give round(0.25) = 0 -> not required, not scored (before: failed)
    ledgers = {"activities": _activities("常务会议学法", {2021: 1, 2022: 1})}
    result = both_backends(tmp_path, rules, ledgers, **PARTIAL)
    check = find_check(result, 83, where__type="常务会议学法")
    assert check.status == "pass" and check.score == 1.0
    assert [(y.year, y.status) for y in check.years] == [(2021, "pass"), (2022, "pass"), (2023, "not_applicable")]
    assert check.years[2].required == "不作要求(全年 1,按 90/365 天折算)"


@pytest.mark.parametrize("rule,status_2021", [("full", "fail"), ("exempt", "not_applicable"), ("pro_rata", "pass")])
def test_d16_a_profile_chooses_the_rule(tmp_path, rules, rule, status_2021):
    tailored = _profile(tmp_path, rule)
    assert tailored.catalog.edition.partial_years == rule
    ledgers = {"activities": _activities("法治专题学习", {2021: 2, 2022: 4, 2023: 1})}
    result = score_records(tmp_path, tailored, ledgers, **PARTIAL)
    check = find_check(result, 83, id="legal_study_sessions")
    assert check.years[0].status == status_2021
    assert result.partial_years.rule == rule


def test_d16_full_years_are_unchanged(tmp_path, rules):
    # the boundary: a period of whole years asks the full quota every year
    ledgers = {"activities": _activities("法治专题学习", {2021: 3, 2022: 4})}
    result = score_records(tmp_path, rules, ledgers)
    check = find_check(result, 83, id="legal_study_sessions")
    assert [(y.status, y.required) for y in check.years] == [("fail", "≥ 4 次"), ("pass", "≥ 4 次")]
    assert check.required == "每年 ≥ 4 次"
    assert [y.partial for y in result.partial_years.years] == [False, False]


def test_d16_a_yearly_value_need_not_be_reported_for_a_year_that_rounds_to_zero(tmp_path, rules):
    # 87 法治建设政绩考核分值权重, one value a year: 2023 (90 days) unreported is not required; 2021 (184 days) is
    metrics = [{"metric_id": "M-1", "metric": "法治建设政绩考核分值权重", "year": 2022, "value": "12%"}]
    result = score_records(tmp_path, rules, {"metrics": metrics}, **PARTIAL)
    check = find_check(result, 87, where__metric="法治建设政绩考核分值权重")
    assert [(y.year, y.status) for y in check.years] == [(2021, "fail"), (2022, "pass"), (2023, "not_applicable")]


def test_d16_the_report_prints_the_rule(tmp_path, rules):
    from engine.output.reports import render_report

    ledgers = {"activities": _activities("法治专题学习", {2021: 2, 2022: 4, 2023: 1})}
    result = score_records(tmp_path, rules, ledgers, **PARTIAL)
    assert result.partial_years.rule == "pro_rata" and result.partial_years.name == "按比例折算"
    assert [(y.year, y.days, y.of, y.partial) for y in result.partial_years.years] == [
        (2021, 184, 365, True), (2022, 365, 365, False), (2023, 90, 365, True)]
    assert '"partial_years"' in result.to_json()
    for fmt in ("md", "html"):
        text = render_report(result, fmt)
        assert "不完整年度" in text and "按比例折算" in text and "2021年在周期内 184/365 天" in text
        assert "2023年在周期内 90/365 天" in text and "四舍五入到整数" in text


# ---------------------------------------------------------------- D5: 60 training hours


def _officer(pid: str, **fields) -> dict:
    rec = {"person_id": pid, "name": f"执法{pid}", "role": "执法人员", "certified": True, "exam_passed": True}
    rec.update(fields)
    return rec


def _training(pid: str, year: int, hours: float, topic_type: str | None = "专门法律知识", n: int = 1) -> list[dict]:
    out = []
    for k in range(n):
        rec = {"record_id": f"T-{pid}-{year}-{k}-{hours:g}-{topic_type}", "person_id": pid,
               "date": dt.date(year, 3, 1) + dt.timedelta(days=k), "hours": hours / n}
        if topic_type is not None:
            rec["topic_type"] = topic_type
        out.append(rec)
    return out


def _hours(tmp_path, rules, staff, training, **unit):
    result = both_backends(tmp_path, rules, {"staff": staff, "training_records": training}, **unit)
    return find_check(result, 60, id="training_hours"), result


def test_d5_a_departed_officer_is_not_required_after_leaving(tmp_path, rules):
    # audit E3: S-1 in post until 2021-04-24, no 2022 training: 2022 is not required of S-1 (before: 2022 failed).
    # 2021: in post 114 of 365 days -> round(40 × 114/365 = 12.49) = 12 hours; S-1 has 12.
    staff = [_officer("S-1", active_to=dt.date(2021, 4, 24)), _officer("S-2")]
    training = _training("S-1", 2021, 12) + _training("S-2", 2021, 40) + _training("S-2", 2022, 40)
    check, _ = _hours(tmp_path, rules, staff, training)
    assert check.status == "pass", (check.actual, check.years)
    assert [(y.year, y.actual) for y in check.years] == [
        (2021, "2/2 人达标,1 人在岗不足整年"), (2022, "1/1 人达标,1 人当年不在岗不作要求")]
    assert check.required == "每人每年学时 ≥ 40,不足整年的年度按比例折算"


def test_d5_part_year_officer_needs_the_pro_rated_hours(tmp_path, rules):
    # S-1 joined 2022-07-01: 184 of 365 days -> round(20.16) = 20 hours in 2022; 19 fails, naming actual and required
    staff = [_officer("S-1", active_from=dt.date(2022, 7, 1))]
    ok, _ = _hours(tmp_path / "a", rules, staff, _training("S-1", 2022, 20))
    assert ok.status == "pass" and [(y.year, y.status) for y in ok.years] == [(2021, "not_applicable"), (2022, "pass")]
    short, _ = _hours(tmp_path / "b", rules, staff, _training("S-1", 2022, 19))
    assert short.status == "fail"
    assert [e.note for e in short.evidence] == ["2022年学时合计 19,应 ≥ 20"] and short.evidence[0].id == "S-1"


def test_d5_a_full_year_officer_still_needs_40(tmp_path, rules):
    # the boundary: in post all year (dates blank or outside the year) -> 40; 39.5 fails
    staff = [_officer("S-1", active_from=dt.date(2019, 1, 1))]
    check, _ = _hours(tmp_path, rules, staff, _training("S-1", 2021, 40) + _training("S-1", 2022, 39.5))
    assert check.status == "partial" and [e.note for e in check.evidence] == ["2022年学时合计 39.5,应 ≥ 40"]


def test_d5_only_legal_topics_count(tmp_path, rules):
    # 40 hours a year of which 10 are 非法律类 (业务技能): 30 legal hours < 40 (before: the topic was ignored, 40 passed)
    staff = [_officer("S-1")]
    training = []
    for year in (2021, 2022):
        training += _training("S-1", year, 30, "公共法律知识") + _training("S-1", year, 10, "非法律类")
    check, _ = _hours(tmp_path, rules, staff, training)
    assert check.status == "fail" and [e.note for e in check.evidence] == ["2021年学时合计 30,应 ≥ 40",
                                                                        "2022年学时合计 30,应 ≥ 40"]


def test_d5_blank_topic_is_reported_not_silently_counted(tmp_path, rules):
    staff = [_officer("S-1")]
    training = _training("S-1", 2021, 40) + _training("S-1", 2022, 30) + _training("S-1", 2022, 10, None)
    check, result = _hours(tmp_path, rules, staff, training)
    assert check.status == "partial" and check.evidence[0].note == "2022年学时合计 30,应 ≥ 40"
    assert "1 条记录的「培训类别」未填写,未计入" in check.message
    [warning] = [w for w in result.warnings if "培训类别" in w]
    assert "ledgers/training_records.csv" in warning and "第4行" in warning and "不计入指标 60" in warning


def test_d5_training_category_is_in_the_template(tmp_path, rules):
    from openpyxl import load_workbook

    from evidence.templates import scaffold

    scaffold(tmp_path / "pkg", "测试县人民政府", "县", dt.date(2021, 1, 1), dt.date(2022, 12, 31), rules.ledgers, rules)
    [path] = [p for p in (tmp_path / "pkg" / "ledgers").glob("*.xlsx") if "培训学时" in p.name]
    ws = load_workbook(path).worksheets[0]
    header = [c.value for c in ws[1]]
    assert "培训类别" in header
    col = ws.cell(row=1, column=header.index("培训类别") + 1).column_letter
    assert any(col in str(dv.sqref) and "非法律类" in dv.formula1 for dv in ws.data_validations.dataValidation)


@pytest.mark.parametrize("rule,status", [("pro_rata", "pass"), ("exempt", "not_applicable"), ("full", "fail")])
def test_d5_the_part_year_rule_is_the_editions_one(tmp_path, rules, rule, status):
    # one rule for partial years and part-year officers: joined 2022-07-01 with 20 hours in 2022 passes pro rata (20),
    # is not required under exempt, and fails under full (40)
    tailored = _profile(tmp_path, rule)
    staff = [_officer("S-1", active_from=dt.date(2022, 7, 1))]
    result = score_records(tmp_path, tailored, {"staff": staff, "training_records": _training("S-1", 2022, 20)})
    check = find_check(result, 60, id="training_hours")
    assert [(y.year, y.status) for y in check.years][1] == (2022, status)
    assert check.status == {"pro_rata": "pass", "exempt": "not_applicable", "full": "fail"}[rule]


def test_d5_in_post_is_one_notion_the_ledgers_tenure():
    """Item 60's population and item 55's ratio both say in_post and read the staff ledger's tenure columns; a
    population in_post on a ledger without tenure is a rule error, not a silent all-year membership."""
    from engine.evaluate import load_rules
    from engine.rules.catalog import Catalog
    from engine.rules.compiler import compile_rules
    from engine.rules.model import Indicator
    from evidence.schema import load_ledger_catalog

    rules = load_rules()
    training = next(c for c in rules.catalog.get(60).checks if c.id == "training_hours")
    assert training.population.in_post and training.population.ledger == "staff"
    assert rules.ledgers.ledgers["staff"].tenure is not None

    check = training.model_dump(exclude_defaults=True)
    check["population"] = {"ledger": "activities", "where": {}, "in_post": True}
    check["population_key"] = "activity_id"
    ind = Indicator.model_validate({"no": 1, "category": 1, "title": "t", "text": "t", "lead_units": ["x"], "points": 1,
                                    "remediation": "r", "checks": [check]})
    with pytest.raises(Exception, match="tenure"):
        compile_rules(Catalog(edition=rules.catalog.edition, indicators=[ind], digest="t"), load_ledger_catalog())
