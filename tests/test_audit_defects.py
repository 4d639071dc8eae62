"""The audit's defects (shared audit indicators-2026-12-01, D1-D27), one boundary test (or more) per fix.

Each test fails on the rules/engine as audited (commit 35bf6b6) and passes on the fix.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import build_package, find_check, score_records

from engine.evaluate import load_rules
from engine.evaluate.backends import durable_available, get_backend
from engine.rules.catalog import load_catalog


def item(result, no: int):
    return next(i for i in result.indicators if i.no == no)


# ---------------------------------------------------------------- D8: no one-vote veto in the base edition


def test_d8_base_edition_has_no_veto_and_a_profile_can_enable_one(tmp_path, rules):
    assert not [(i.no, c.id) for i in load_catalog().indicators for c in i.checks if c.veto]
    incident = {"incidents": [{"incident_id": "I-1", "type": "领导班子成员严重违法犯罪", "date": dt.date(2022, 5, 1),
                               "description": "副县长受贿被追究刑事责任"}]}
    base = score_records(tmp_path / "a", rules, incident)
    assert not base.summary.vetoed and item(base, 82).status in ("fail", "partial")
    profile = tmp_path / "veto.yaml"
    profile.write_text(
        "id: veto-example\ntitle: 否决示例\nbase: base-87\noverrides:\n  - no: 82\n"
        "    reason: 依据某省法治政府示范创建评估办法(示例出处)\n    checks:\n      no_leadership_crime: {veto: true}\n",
        encoding="utf-8")
    tailored = load_rules(profile=profile)
    vetoed = score_records(tmp_path / "b", tailored, incident)
    assert vetoed.summary.vetoed and vetoed.summary.veto_indicators == [82] and item(vetoed, 82).earned == 0


# ---------------------------------------------------------------- D2, D10, D25: 65 loss rate


def _case(n: int, outcome: str, concluded: dt.date | None, filed: dt.date | None = None, **extra) -> dict:
    rec = {"case_id": f"L-{n:03d}", "proceeding": "行政诉讼", "filed_date": filed or dt.date(2021, 2, 1), "outcome": outcome}
    if concluded is not None:
        rec["concluded_date"] = concluded
    rec.update(extra)
    return rec


def test_d2_loss_rate_denominator_is_all_concluded_cases(tmp_path, rules):
    # 2021: 1 败诉, 2 胜诉, 6 撤诉 -> 1/9 = 11.1% <= 12.83% (audit E2: 1/3 = 33.3% failed)
    cases = [_case(1, "败诉", dt.date(2021, 6, 1))] + [_case(i, "胜诉", dt.date(2021, 6, 1)) for i in (2, 3)] + \
        [_case(i, "撤诉", dt.date(2021, 6, 1)) for i in range(4, 10)]
    result = score_records(tmp_path, rules, {"litigation": cases})
    check = find_check(result, 65, id="litigation_loss_rate")
    assert check.status == "pass" and "1/9" in check.years[0].actual and check.years[0].year == 2021


def test_d2_cases_belong_to_the_year_they_concluded(tmp_path, rules):
    # filed 2021, concluded 2022: counted in 2022 (against 2021's reference), not 2021
    cases = [_case(1, "败诉", dt.date(2022, 3, 1), filed=dt.date(2021, 11, 1))] + \
        [_case(i, "胜诉", dt.date(2022, 5, 1)) for i in range(2, 12)]
    result = score_records(tmp_path, rules, {"litigation": cases})
    check = find_check(result, 65, id="litigation_loss_rate")
    assert [y.year for y in check.years] == [2022] and "1/11" in check.years[0].actual


def test_d10_a_failing_loss_rate_cites_the_lost_cases(tmp_path, rules):
    cases = [_case(1, "败诉", dt.date(2021, 6, 1)), _case(2, "败诉", dt.date(2021, 7, 1)), _case(3, "胜诉", dt.date(2021, 8, 1))]
    result = score_records(tmp_path, rules, {"litigation": cases})
    check = find_check(result, 65, id="litigation_loss_rate")
    assert check.status == "fail" and check.violations == 2
    assert [e.id for e in check.evidence] == ["L-001", "L-002"]


def test_d25_reference_values_say_where_they_come_from(tmp_path, rules):
    cases = [_case(1, "胜诉", dt.date(2021, 6, 1))]
    base = score_records(tmp_path / "a", rules, {"litigation": cases})
    check = find_check(base, 65, id="litigation_loss_rate")
    assert "来源:规则版本 base-87,未核实" in check.years[0].required
    assert any("national_admin_litigation_loss_rate" in w and "未核实" in w for w in base.warnings)
    profile = tmp_path / "refs.yaml"
    profile.write_text("id: refs\ntitle: 核实参考值\nbase: base-87\nreferences:\n  national_admin_litigation_loss_rate: {2020: 0.11}\n"
                       "reference_source: 最高人民法院公布的2020年数据(示例)\n", encoding="utf-8")
    tailored = score_records(tmp_path / "b", load_rules(profile=profile), {"litigation": cases})
    check = find_check(tailored, 65, id="litigation_loss_rate")
    assert "≤ 11%" in check.years[0].required and "评估方案「核实参考值」" in check.years[0].required
    assert not any("national_admin_litigation_loss_rate" in w for w in tailored.warnings)
    own = score_records(tmp_path / "c", rules, {"litigation": cases},
                        references={"national_admin_litigation_loss_rate": {2020: 0.2}})
    assert "单位自报" in find_check(own, 65, id="litigation_loss_rate").years[0].required


# ---------------------------------------------------------------- D3: 74 is "5%以下" = at most 5%, good state stated


def _disclosure_cases(n: int, failures: int, blank: int = 0, pending: int = 0) -> list[dict]:
    out = []
    for i in range(n):
        rec = {"case_id": f"X-{i:03d}", "proceeding": "行政复议", "filed_date": dt.date(2021, 3, 1), "outcome": "胜诉",
               "concluded_date": dt.date(2021, 5, 1), "info_disclosure": True, "duty_failure_found": i < failures}
        if i >= n - blank:
            del rec["duty_failure_found"]
        out.append(rec)
    for i in range(pending):
        out.append({"case_id": f"P-{i:03d}", "proceeding": "行政诉讼", "filed_date": dt.date(2022, 3, 1), "outcome": "审理中",
                    "info_disclosure": True, "duty_failure_found": True})
    return out


@pytest.mark.parametrize("failures, status", [(1, "pass"), (2, "fail")])
def test_d3_five_percent_is_within_the_limit(tmp_path, rules, failures, status):
    result = score_records(tmp_path, rules, {"litigation": _disclosure_cases(20, failures)})
    check = find_check(result, 74, id="disclosure_case_failure_rate")
    assert check.status == status
    if status == "fail":
        assert check.violations == 2 and [e.id for e in check.evidence] == ["X-000", "X-001"]


def test_d3_blank_outcome_column_cannot_pass_and_pending_cases_are_out(tmp_path, rules):
    blank = score_records(tmp_path / "a", rules, {"litigation": _disclosure_cases(18, 0, blank=18)})
    assert find_check(blank, 74, id="disclosure_case_failure_rate").status == "fail"  # audit E1: passed at 0%
    pending = score_records(tmp_path / "b", rules, {"litigation": _disclosure_cases(20, 1, pending=3)})
    check = find_check(pending, 74, id="disclosure_case_failure_rate")
    assert check.status == "pass" and "19/20" in check.actual


# ---------------------------------------------------------------- D4: percent-typed metric values


def _metric(name: str, value, year: int = 2021) -> dict:
    return {"metric_id": f"M-{year}", "metric": name, "year": year, "value": value}


@pytest.mark.parametrize("written, status", [("5", "fail"), ("5%", "fail"), ("0.05", "fail"), ("10", "pass"), ("10%", "pass"),
                                             ("0.1", "pass"), ("9.99", "fail"), ("100%", "pass")])
def test_d4_performance_weight_reads_95_95pct_and_0_95_alike(tmp_path, rules, written, status):
    # audit E4: "5" (meaning 5%) passed ">= 10%"
    metrics = [_metric("法治建设政绩考核分值权重", written, y) | {"metric_id": f"M-{y}"} for y in (2021, 2022)]
    result = score_records(tmp_path, rules, {"metrics": metrics})
    assert find_check(result, 87, id="performance_weight").status == status


@pytest.mark.parametrize("written, status", [("80", "fail"), ("80%", "fail"), ("100", "pass"), ("1", "pass")])
def test_d4_town_station_coverage(tmp_path, rules, written, status):
    result = score_records(tmp_path, rules, {"metrics": [_metric("镇公共法律服务工作站覆盖率", written)]})
    assert find_check(result, 19, id="town_station_coverage").status == status


def test_d4_validate_flags_a_plain_one(tmp_path, rules):
    from click.testing import CliRunner
    from conftest import build_package

    from engine.cli import main

    pkg = build_package(tmp_path / "p", rules, {"metrics": [
        _metric("法治建设政绩考核分值权重", "1", 2021), _metric("法治建设政绩考核分值权重", "100%", 2022) | {"metric_id": "M-2"}]})
    res = CliRunner().invoke(main, ["validate", str(pkg)])
    assert res.exit_code == 0
    flagged = [line for line in res.output.splitlines() if "100%" in line and "1%" in line]
    assert len(flagged) == 1 and "第2行" in flagged[0]  # the plain 1 only, not the written 100%


# ---------------------------------------------------------------- D6: 31 any form of hearing the public counts


def _decision(n: int, **fields) -> dict:
    base = {"decision_id": f"MD-{n:03d}", "decided_date": dt.date(2021, 6, 1)}
    return base | fields


def test_d6_a_hearing_counts_and_the_30_days_apply_to_comment_periods_only(tmp_path, rules):
    heard = [_decision(1, confidential=False, public_comment=False, public_heard=True, feedback_published=True)]
    result = score_records(tmp_path / "a", rules, {"major_decisions": heard})
    assert find_check(result, 31, id="public_participation_rate").status == "pass"  # audit E6: failed
    assert find_check(result, 31, id="comment_period").status != "fail"
    silent = [_decision(1, confidential=False, public_comment=False, public_heard=False, feedback_published=True)]
    assert find_check(score_records(tmp_path / "b", rules, {"major_decisions": silent}), 31,
                      id="public_participation_rate").status == "fail"


# ---------------------------------------------------------------- D7: 49 each case against its own limit, once


def test_d7_a_late_licence_is_deducted_once(tmp_path, rules):
    # 27 working days after the decision: late for 7 days, would also be late for 20 — counted once (audit E5: 1.0/2)
    late = {"case_id": "EC-1", "agency": "县市场监督管理局", "category": "行政许可", "decision_date": dt.date(2023, 9, 28),
            "publicity_date": dt.date(2023, 11, 8)}
    on_time = {"case_id": "EC-2", "agency": "县市场监督管理局", "category": "行政检查", "decision_date": dt.date(2023, 9, 28),
               "publicity_date": dt.date(2023, 10, 9)}
    result = score_records(tmp_path, rules, {"enforcement_cases": [late, on_time]},
                           period={"start": "2023-01-01", "end": "2023-12-31"})
    assert find_check(result, 49, id="license_penalty_within_7").violations == 1
    assert find_check(result, 49, id="publicity_within_20").status == "pass"  # EC-1 is not measured against 20 days
    assert item(result, 49).earned == pytest.approx(1.5)


# ---------------------------------------------------------------- D11, D13, D21: document presence and counts


def _doc(n: int, doc_type: str, date: dt.date, published: bool = True) -> dict:
    return {"doc_id": f"D-{n:03d}", "type": doc_type, "title": doc_type, "date": date, "published": published}


def test_d11_both_license_reforms_are_required(tmp_path, rules):
    one = score_records(tmp_path / "a", rules, {"documents": [_doc(1, "证照分离改革实施方案", dt.date(2021, 3, 1))]})
    assert find_check(one, 5, id="multi_license_reform").status == "missing_evidence"
    both = score_records(tmp_path / "b", rules, {"documents": [_doc(1, "证照分离改革实施方案", dt.date(2021, 3, 1)),
                                                              _doc(2, "多证合一改革实施方案", dt.date(2020, 3, 1))]})
    assert find_check(both, 5, id="license_reform").status == find_check(both, 5, id="multi_license_reform").status == "pass"


def test_d13_one_risk_report_per_assessed_decision(tmp_path, rules):
    decisions = [_decision(i, risk_assessment=True) for i in range(1, 4)]
    reports = [_doc(i, "重大行政决策风险评估报告", dt.date(2021, 5, i)) for i in range(1, 3)]
    short = score_records(tmp_path / "a", rules, {"major_decisions": decisions, "documents": reports})
    assert find_check(short, 34, id="risk_report").status == "fail"  # 2 reports for 3 decisions (one passed before)
    enough = score_records(tmp_path / "b", rules, {"major_decisions": decisions,
                                                    "documents": reports + [_doc(3, "重大行政决策风险评估报告", dt.date(2021, 5, 9))]})
    assert find_check(enough, 34, id="risk_report").status == "pass"


def test_d21_a_catalogue_in_force_before_the_period_counts(tmp_path, rules):
    result = score_records(tmp_path, rules, {"documents": [_doc(1, "政府购买公共服务目录", dt.date(2019, 6, 1))]})
    assert find_check(result, 18, id="purchase_catalog_published").status == "pass"


# ---------------------------------------------------------------- D18, D19, D20: the missing clauses


def test_d18_enforcement_cases_must_inform_the_party(tmp_path, rules):
    case = {"case_id": "EC-1", "agency": "县市场监督管理局", "category": "行政检查", "decision_date": dt.date(2021, 4, 1),
            "officers": 2, "certificate_shown": True, "informed": False}
    result = score_records(tmp_path, rules, {"enforcement_cases": [case]})
    check = find_check(result, 47, id="informed_rate")
    assert check.status == "fail" and [e.id for e in check.evidence] == ["EC-1"]


def test_d19_review_must_be_completed_before_the_decision(tmp_path, rules):
    late = _decision(1, decided_date=dt.date(2021, 6, 1), legality_reviewed=True, legality_submitted=dt.date(2021, 5, 1),
                     legality_completed=dt.date(2021, 6, 2), legality_result="合法")
    result = score_records(tmp_path / "a", rules, {"major_decisions": [late]})
    assert find_check(result, 35, id="reviewed_before_decision").status == "fail"
    same_day = late | {"legality_completed": dt.date(2021, 6, 1)}
    result = score_records(tmp_path / "b", rules, {"major_decisions": [same_day]})
    assert find_check(result, 35, id="reviewed_before_decision").status == "pass"


def test_d20_annual_report_copied_to_the_justice_office(tmp_path, rules):
    report = {"report_id": "R-1", "report_type": "行政执法统计年报", "subject_year": 2021, "published_date": dt.date(2022, 1, 20),
              "reported_to_government": True, "copied_to_justice_office": False}
    result = score_records(tmp_path, rules, {"annual_reports": [report]})
    assert find_check(result, 48, id="annual_report_submitted").status == "pass"
    assert find_check(result, 48, id="annual_report_copied").status == "fail"


# ---------------------------------------------------------------- D23, D26: one reading of 动态; minutes


def test_d23_dynamic_lists_need_one_update_in_the_period_not_one_a_year(tmp_path, rules):
    once = [_doc(1, "政务公开事项清单", dt.date(2021, 7, 1)), _doc(2, "行政执法主体清单", dt.date(2021, 7, 1))]
    result = score_records(tmp_path / "a", rules, {"documents": once})
    assert find_check(result, 72, id="disclosure_list_updated").status == "pass"  # per year before: 2022 failed
    stale = [_doc(1, "政务公开事项清单", dt.date(2019, 7, 1)), _doc(2, "行政执法主体清单", dt.date(2019, 7, 1))]
    result = score_records(tmp_path / "b", rules, {"documents": stale})
    assert find_check(result, 72, id="disclosure_list_updated").status != "pass"
    assert find_check(result, 46, id="enforcement_subjects_published").status != "pass"  # standing list passed before


def test_d26_a_department_proves_collective_discussion_with_its_own_minutes(tmp_path, rules):
    minutes = [_doc(1, "部门领导班子会议纪要", dt.date(2021, 7, 1), published=False)]
    result = score_records(tmp_path, rules, {"documents": minutes}, type="部门")
    assert find_check(result, 37, id="meeting_minutes").status == "pass"


# ---------------------------------------------------------------- D24: confidential decisions go to the reviewer


def test_d24_confidential_decisions_are_gathered_for_review(tmp_path, rules):
    decisions = [_decision(1, confidential=True), _decision(2, confidential=False)]
    result = score_records(tmp_path, rules, {"major_decisions": decisions})
    review = find_check(result, 30, id="disclosure_service_review")
    assert [e.id for e in review.evidence if e.ledger == "major_decisions"] == ["MD-001"]
    assert "依法不予公开" in review.message


# ---------------------------------------------------------------- D17: an attestation must postdate what it certifies


@pytest.mark.parametrize("signed, status", [(dt.date(2019, 1, 1), "missing_evidence"), (dt.date(2022, 6, 30), "missing_evidence"),
                                            (dt.date(2022, 12, 31), "pass"), (dt.date(2023, 2, 1), "pass")])
def test_d17_attestation_dated_before_the_period_end_does_not_count(tmp_path, rules, signed, status):
    att = [{"attestation_id": "AT-1", "subject": "no_leadership_crime", "statement": "创建周期内领导班子成员无严重违法犯罪",
            "signed_by": "县政府办公室", "date": signed}]
    result = score_records(tmp_path, rules, {"attestations": att})
    check = find_check(result, 82, id="no_leadership_crime")
    assert check.status == status  # audit E8: one dated 2019-01-01 passed


# ---------------------------------------------------------------- D14: 55 reviewer ratio per agency, in-post staff


def _staff(n: int, role: str, agency: str | None, since: dt.date | None = None, until: dt.date | None = None) -> dict:
    rec = {"person_id": f"S-{n:03d}", "name": f"人员{n}", "role": role, "agency": agency, "active_from": since,
           "active_to": until}
    return {k: v for k, v in rec.items() if v is not None}


def _agency(start: int, agency: str, officers: int, reviewers: int, **tenure) -> list[dict]:
    return [_staff(start + i, "执法人员", agency, **tenure) for i in range(officers)] + \
        [_staff(start + officers + i, "法制审核人员", agency, **tenure) for i in range(reviewers)]


def test_d14_one_agency_cannot_mask_another(tmp_path, rules):
    # unit-wide 3/42 = 7.1% passed before; 县交通运输局 has 0 reviewers among its 20 officers
    staff = _agency(1, "县市场监督管理局", 19, 3) + _agency(100, "县交通运输局", 20, 0)
    result = score_records(tmp_path, rules, {"staff": staff})
    check = find_check(result, 55, id="reviewer_ratio")
    assert check.status == "fail" and check.violations == 2  # the one agency, in each of 2021 and 2022
    assert {e.id for e in check.evidence} == {"县交通运输局"}
    assert all("0%(0/20)" in e.note and "≥ 5%" in e.note for e in check.evidence)
    assert "县交通运输局 0%(0/20)" in check.years[0].actual


@pytest.mark.parametrize("officers, status", [(19, "pass"), (20, "fail")])
def test_d14_reviewers_count_in_the_denominator(tmp_path, rules, officers, status):
    # 1 reviewer among 19 officers: 1/20 = 5% exactly passes; among 20 officers 1/21 = 4.76% fails
    result = score_records(tmp_path, rules, {"staff": _agency(1, "县生态环境局", officers, 1)})
    assert find_check(result, 55, id="reviewer_ratio").status == status


def test_d14_only_staff_in_post_count_each_year(tmp_path, rules):
    # the agency's only reviewer left in March 2022: 2021 passes, 2022 (in post on 31 Dec) fails
    staff = _agency(1, "县农业农村局", 19, 0) + [_staff(50, "法制审核人员", "县农业农村局", until=dt.date(2022, 3, 31))]
    check = find_check(score_records(tmp_path / "a", rules, {"staff": staff}), 55, id="reviewer_ratio")
    assert check.status == "partial" and [y.status for y in check.years] == ["pass", "fail"]
    # 20 officers who left in 2021 are no longer counted in 2022: 1 reviewer among 19 in post passes both years
    staff = _agency(1, "县农业农村局", 19, 1) + _agency(200, "县农业农村局", 20, 0, until=dt.date(2021, 6, 30))
    check = find_check(score_records(tmp_path / "b", rules, {"staff": staff}), 55, id="reviewer_ratio")
    assert check.status == "pass"
    # joined after the period: not in post at its end
    staff = _agency(1, "县农业农村局", 19, 0) + [_staff(50, "法制审核人员", "县农业农村局", since=dt.date(2023, 1, 5))]
    assert find_check(score_records(tmp_path / "c", rules, {"staff": staff}), 55, id="reviewer_ratio").status == "fail"


def test_d14_blank_agency_is_its_own_group_not_a_helper(tmp_path, rules):
    # reviewers with a blank agency do not lift a named agency
    staff = _agency(1, "县交通运输局", 19, 0) + [_staff(90, "法制审核人员", None), _staff(91, "法制审核人员", None)]
    check = find_check(score_records(tmp_path / "a", rules, {"staff": staff}), 55, id="reviewer_ratio")
    assert check.status == "fail" and {e.id for e in check.evidence} == {"县交通运输局"}
    # a unit with a single agency that leaves the column blank is measured as one group
    staff = [_staff(i, "执法人员", None) for i in range(1, 20)] + [_staff(30, "法制审核人员", None)]
    assert find_check(score_records(tmp_path / "b", rules, {"staff": staff}), 55, id="reviewer_ratio").status == "pass"


# ---------------------------------------------------------------- D15: 78 constitution week (month/day conditions)

BACKENDS = ["python"] + (["durable"] if durable_available() else [])


def _activity(n: int, day: dt.date, type_: str = "国家宪法日集中宣传") -> dict:
    return {"activity_id": f"A-{n:03d}", "type": type_, "date": day, "title": f"活动{n}"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_d15_month_day_window_edges_agree_in_both_backends(tmp_path, backend):
    from engine.evaluate.facts import build_facts
    from engine.evaluate.workdays import WorkCalendar
    from engine.rules.catalog import Catalog
    from engine.rules.compiler import compile_rules
    from engine.rules.model import Indicator
    from evidence.package import load_package
    from evidence.schema import load_ledger_catalog

    days = [dt.date(2021, 11, 27), dt.date(2021, 11, 28), dt.date(2022, 12, 4), dt.date(2022, 12, 10), dt.date(2022, 12, 11),
            dt.date(2021, 12, 31), dt.date(2022, 1, 1), dt.date(2022, 1, 6), dt.date(2024, 2, 29)]
    checks = [{"id": "week", "kind": "count", "title": "周", "ledger": "activities",
               "where": {"date": {"month_day": ["11-28", "12-10"]}}},
              {"id": "wrap", "kind": "count", "title": "跨年", "ledger": "activities",
               "where": {"date": {"month_day": ["12-31", "01-05"]}, "type": "法治宣传教育活动"}},
              {"id": "leap", "kind": "count", "title": "闰日", "ledger": "activities",
               "where": {"date": {"month_day": ["02-29", "02-29"]}}}]
    ind = Indicator.model_validate({"no": 1, "category": 1, "title": "t", "text": "t", "lead_units": ["x"], "points": 1,
                                    "remediation": "r", "checks": checks})
    ledgers = load_ledger_catalog()
    compiled = compile_rules(Catalog(edition=load_rules().catalog.edition, indicators=[ind], digest="t"), ledgers)
    rows = [_activity(i, d, "法治宣传教育活动") for i, d in enumerate(days)]
    pkg = build_package(tmp_path, load_rules(), {"activities": rows}, period={"start": "2021-01-01", "end": "2024-12-31"})
    facts = build_facts(compiled, load_package(pkg, ledgers), WorkCalendar())
    matches = get_backend(backend).match(compiled, facts)
    got = {cc.check.id: sorted(days[i] for i in facts.records_matching("activities", matches[cc.population]))
           for cc in compiled.checks.values()}
    assert got["week"] == [dt.date(2021, 11, 28), dt.date(2022, 12, 4), dt.date(2022, 12, 10)]
    assert got["wrap"] == [dt.date(2021, 12, 31), dt.date(2022, 1, 1)]
    assert got["leap"] == [dt.date(2024, 2, 29)]


@pytest.mark.parametrize("spec", [["12-01"], ["13-01", "12-07"], ["02-30", "03-01"], "12-04"])
def test_d15_bad_month_day_windows_are_rule_errors(spec):
    from engine.rules import conditions

    with pytest.raises(conditions.ConditionError, match="month_day.*月-日"):
        conditions.parse({"date": {"month_day": spec}})


@pytest.mark.parametrize("backend", BACKENDS)
def test_d15_constitution_day_counts_only_activities_in_constitution_week(tmp_path, rules, backend):
    # audit E9: rows dated 2021-01-03 and 2022-06-22 passed
    off = score_records(tmp_path / "a", rules, {"activities": [_activity(1, dt.date(2021, 1, 3)), _activity(2, dt.date(2022, 6, 22))]},
                        backend=backend)
    assert find_check(off, 78, id="constitution_day").status == "fail"
    week = [_activity(1, dt.date(2021, 12, 4)), _activity(2, dt.date(2022, 11, 28)), _activity(3, dt.date(2022, 12, 10))]
    assert find_check(score_records(tmp_path / "b", rules, {"activities": week}, backend=backend), 78,
                      id="constitution_day").status == "pass"
    late = [_activity(1, dt.date(2021, 12, 7)), _activity(2, dt.date(2022, 12, 11))]
    check = find_check(score_records(tmp_path / "c", rules, {"activities": late}, backend=backend), 78, id="constitution_day")
    assert check.status == "partial" and [y.status for y in check.years] == ["pass", "fail"]


def test_d15_a_last_year_without_4_december(tmp_path, rules):
    # The period ends on 31 October 2022, before that year's constitution week. An activity on 4 December 2022 lies
    # outside the period and never counts. What the 2022 year then yields is the edition's partial-year rule (D16, the
    # generic rule of issue 11a, not this check's): under pro_rata the quota 1 x 304/365 rounds to 1, so 2022 still
    # asks for one activity in a week the period does not contain, and fails; the check is partial. (A profile with
    # partial_years: exempt would excuse that year.)
    period = {"start": "2021-01-01", "end": "2022-10-31"}
    rows = [_activity(1, dt.date(2021, 12, 4)), _activity(3, dt.date(2022, 6, 1))]  # June: not constitution week
    alone = find_check(score_records(tmp_path / "a", rules, {"activities": rows}, period=period), 78, id="constitution_day")
    after = find_check(score_records(tmp_path / "b", rules, {"activities": rows + [_activity(2, dt.date(2022, 12, 4))]},
                                     period=period), 78, id="constitution_day")
    assert alone.model_dump() == after.model_dump()
    assert alone.years[0].status == "pass"
    assert alone.status == "partial" and alone.years[-1].status == "fail"  # today's behaviour; see 11a's rule


# ---------------------------------------------------------------- D24: 依法不予公开 needs its legal basis


@pytest.mark.parametrize("basis, status", [(None, "fail"), ("无", "fail"), ("/", "fail"),
                                           ("《中华人民共和国保守国家秘密法》第十三条", "pass")])
def test_d24_a_confidential_decision_must_state_its_legal_basis(tmp_path, rules, basis, status):
    # audit: marking every decision 依法不予公开 passed 30 and 31 whatever the reason
    secret = _decision(1, confidential=True, disclosed=False, public_comment=False, public_heard=False)
    if basis is not None:
        secret["confidential_basis"] = basis
    result = score_records(tmp_path, rules, {"major_decisions": [secret]})
    for no, check_id in ((30, "disclosure_rate"), (31, "public_participation_rate")):
        check = find_check(result, no, id=check_id)
        assert check.status == status, (no, check.actual)
        if status == "fail":
            assert check.violations == 1 and [e.id for e in check.evidence] == ["MD-001"]
            assert check.evidence[0].file.endswith("major_decisions.csv") and check.evidence[0].row == 2
            assert "不予公开依据:" in check.evidence[0].note
    review = find_check(result, 30, id="disclosure_service_review")  # gathered for the reviewer either way
    assert [e.id for e in review.evidence if e.ledger == "major_decisions"] == ["MD-001"]


def test_d24_the_decisions_ledger_documents_the_basis_column(rules):
    from engine.output.formatdoc import render_format_doc

    field = rules.ledgers.ledgers["major_decisions"].fields["confidential_basis"]
    assert field.title == "不予公开依据" and "法律法规" in field.note
    assert "| 不予公开依据 | `confidential_basis` |" in render_format_doc(rules)


# ---------------------------------------------------------------- audit §6: automatic pre-checks of review checks

REVIEW_DROPPED = {5: "one_window_plan", 9: None, 11: "internet_supervision", 28: "decisions_in_catalog", 70: "hotline_integration",
                  80: "pufa_plan"}
PRECHECKED = {20: ["eco_systems_documents"], 66: ["procuratorial_reply_rate", "procuratorial_reply_in_time"],
              67: ["hierarchy_supervision_each_year"],
              68: ["job_rotation_done"], 77: ["mediation_committees_formed"], 78: ["constitution_day", "constitution_oath_held"]}


def test_precheck_reviews_dropped_or_prechecked_as_decided(rules):
    # audit §5/§6: 13 review checks automatable; 7 could go entirely. Decided here: 5, 9, 11, 28, 70, 80 dropped (an
    # automatic check covers the seed's clause); 66 keeps its review (监察 cooperation, 整改落实) with pre-checks, as do
    # 20 (the four system documents that have a type), 67, 68, 77, 78; 6 keeps its review without one (“基本”进驻: no number)
    cat = rules.catalog
    for no, new in REVIEW_DROPPED.items():
        checks = cat.get(no).checks
        assert not [c.id for c in checks if c.kind == "review"], no
        assert new is None or new in [c.id for c in checks], no
    for no, pre in PRECHECKED.items():
        [review] = [c for c in cat.get(no).checks if c.kind == "review"]
        assert review.prechecks == pre, no
    [review] = [c for c in cat.get(6).checks if c.kind == "review"]
    assert review.prechecks == []


@pytest.mark.parametrize("in_catalog, status", [(True, "pass"), (False, "fail"), (None, "fail")])
def test_precheck_28_every_decision_in_the_catalogue(tmp_path, rules, in_catalog, status):
    decision = _decision(1) | ({"in_catalog": in_catalog} if in_catalog is not None else {})
    result = score_records(tmp_path, rules, {"major_decisions": [decision]})
    check = find_check(result, 28, id="decisions_in_catalog")
    assert check.status == status
    if status == "fail":
        assert [e.id for e in check.evidence] == ["MD-001"]


def _suggestion(n: int, received: dt.date, replied: dt.date | None) -> dict:
    rec = {"suggestion_id": f"JC-{n:03d}", "source": "检察建议", "received_date": received, "replied": replied is not None}
    return rec | ({"replied_date": replied} if replied else {})


@pytest.mark.parametrize("received, replied, status", [
    (dt.date(2021, 7, 1), dt.date(2021, 9, 1), "pass"),    # two months to the day
    (dt.date(2021, 7, 1), dt.date(2021, 9, 2), "fail"),
    (dt.date(2021, 12, 31), dt.date(2022, 2, 28), "pass"),  # 31 December + 2 months = 28 February
    (dt.date(2021, 12, 31), dt.date(2022, 3, 1), "fail"),
    (dt.date(2021, 5, 10), None, "fail"),
])
def test_precheck_66_procuratorial_suggestion_answered_within_two_months(tmp_path, rules, received, replied, status):
    result = score_records(tmp_path, rules, {"prosecutorial_suggestions": [_suggestion(1, received, replied)]})
    check = find_check(result, 66, id="procuratorial_reply_in_time")
    assert check.status == status
    review = find_check(result, 66, id="supervision_cooperation_review")
    assert review.status == "needs_review" and "自动预检结果" in review.message
    assert f"检察建议在收到后二个月以内书面办复:{'通过' if status == 'pass' else '未通过'}" in review.message


def test_precheck_67_68_78_activity_counts(tmp_path, rules):
    acts = [_activity(1, dt.date(2021, 5, 1), "层级监督检查"), _activity(2, dt.date(2022, 5, 1), "重点岗位轮岗"),
            _activity(3, dt.date(2022, 3, 1), "宪法宣誓")]
    result = score_records(tmp_path / "a", rules, {"activities": acts})
    check = find_check(result, 67, id="hierarchy_supervision_each_year")
    assert check.status == "partial" and [y.status for y in check.years] == ["pass", "fail"]
    assert find_check(result, 68, id="job_rotation_done").status == "pass"
    assert find_check(result, 78, id="constitution_oath_held").status == "pass"
    assert "每年开展层级监督检查:部分通过" in find_check(result, 67, id="hierarchy_supervision_review").message
    none = score_records(tmp_path / "b", rules, {"activities": [_activity(1, dt.date(2021, 5, 1))]})
    assert find_check(none, 68, id="job_rotation_done").status == "fail"
    assert find_check(none, 78, id="constitution_oath_held").status == "fail"
    att = [{"attestation_id": "AT-1", "subject": "no_constitution_oath_due", "statement": "创建周期内无新任命国家工作人员",
            "signed_by": "县人大常委会办公室", "date": dt.date(2023, 1, 10)}]
    excused = score_records(tmp_path / "c", rules, {"activities": [_activity(1, dt.date(2021, 5, 1))], "attestations": att})
    assert find_check(excused, 78, id="constitution_oath_held").status == "not_applicable"


@pytest.mark.parametrize("no, check_id, doc_type", [(5, "one_window_plan", "企业开办一窗受理工作方案"),
                                                     (11, "internet_supervision", "互联网加监管工作材料"),
                                                     (70, "hotline_integration", "政务热线整合方案"),
                                                     (77, "mediation_committees_formed", "行政调解委员会成立文件"),
                                                     (80, "pufa_plan", "年度普法工作计划")])
def test_precheck_document_presence(tmp_path, rules, no, check_id, doc_type):
    other = score_records(tmp_path / "a", rules, {"documents": [_doc(1, "随机抽查事项清单", dt.date(2021, 3, 1))]})
    assert find_check(other, no, id=check_id).status == "missing_evidence"
    present = score_records(tmp_path / "b", rules, {"documents": [_doc(1, doc_type, dt.date(2021, 3, 1))]})
    assert find_check(present, no, id=check_id).status == "pass"


def test_precheck_results_reach_the_review_sheet_and_the_report(tmp_path, rules):
    from engine.output.reports import render_report
    from engine.review.sheet import sheet_rows

    result = score_records(tmp_path, rules, {"activities": [_activity(1, dt.date(2021, 5, 1), "层级监督检查")]})
    [row] = [r for r in sheet_rows(result) if r["indicator"] == 67]
    assert "自动预检结果" in row["prompt"] and "每年开展层级监督检查:部分通过" in row["prompt"]
    assert "每年开展层级监督检查:部分通过" in render_report(result, "md")


def test_precheck_20_each_system_document_is_required(tmp_path, rules):
    types = ["能源消耗双控工作方案", "环境信息公开材料", "生态环境损害赔偿制度", "生态环境保护责任清单"]
    three = [_doc(i, t, dt.date(2021, 3, 1)) for i, t in enumerate(types[:3])]
    result = score_records(tmp_path / "a", rules, {"documents": three})
    check = find_check(result, 20, id="eco_systems_documents")
    assert check.status == "fail" and check.violations == 1 and "「生态环境保护责任清单」" in check.message
    assert "生态环境保护制度落实材料:未通过" in find_check(result, 20, id="eco_systems_review").message
    four = three + [_doc(9, types[3], dt.date(2020, 5, 1))]
    assert find_check(score_records(tmp_path / "b", rules, {"documents": four}), 20, id="eco_systems_documents").status == "pass"
