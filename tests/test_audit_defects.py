"""The audit's defects (shared audit indicators-2026-12-01, D1-D27), one boundary test (or more) per fix.

Each test fails on the rules/engine as audited (commit 35bf6b6) and passes on the fix.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import find_check, score_records

from engine.evaluate import load_rules
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
