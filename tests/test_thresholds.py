"""Every threshold the 87-item table states, exercised at its boundary on the real rules."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import find_check, score_records

D = dt.date
T = dt.datetime


def status(tmp_path, rules, ledgers, no, check_id, **unit):
    result = score_records(tmp_path, rules, ledgers, **unit)
    return find_check(result, no, id=check_id)


def docs(n_ok, n_bad, **fields_bad):
    rows = [{"issued_date": D(2021, 3, 1), "legality_reviewed": True} for _ in range(n_ok)]
    rows += [{"issued_date": D(2021, 3, 1), "legality_reviewed": False, **fields_bad} for _ in range(n_bad)]
    return rows


# 22 合法性审核率 100%: 1000/1000 passes, 999/1000 (99.9%) fails
@pytest.mark.parametrize("bad,expected", [(0, "pass"), (1, "fail")])
def test_22_legality_review_rate(tmp_path, rules, bad, expected):
    res = status(tmp_path, rules, {"normative_documents": docs(1000 - bad, bad)}, 22, "legality_review_rate")
    assert res.status == expected
    if bad:
        assert "99.9%" in res.years[0].actual
        assert res.evidence[0].file == "ledgers/normative_documents.csv" and res.evidence[0].row is not None


# 26 报备率 / 报备及时率 (30 日) / 规范率 100%
@pytest.mark.parametrize("filed_on,expected", [(D(2021, 3, 31), "pass"), (D(2021, 4, 1), "fail")])
def test_26_filing_timeliness(tmp_path, rules, filed_on, expected):
    rows = [{"issued_date": D(2021, 3, 1), "filed": True, "filed_date": filed_on, "filing_compliant": True}]
    assert status(tmp_path, rules, {"normative_documents": rows}, 26, "filing_timeliness").status == expected


@pytest.mark.parametrize("check,field", [("filing_rate", "filed"), ("filing_compliance", "filing_compliant")])
@pytest.mark.parametrize("value,expected", [(True, "pass"), (False, "fail")])
def test_26_filing_rates(tmp_path, rules, check, field, value, expected):
    rows = [{"issued_date": D(2021, 3, 1), "filed": True, "filed_date": D(2021, 3, 5), "filing_compliant": True} for _ in range(9)]
    rows.append({"issued_date": D(2021, 3, 1), "filed": True, "filed_date": D(2021, 3, 5), "filing_compliant": True, field: value})
    assert status(tmp_path, rules, {"normative_documents": rows}, 26, check).status == expected


# 31 征求意见期限 >= 30 日: 30 passes, 29 fails (start day not counted)
@pytest.mark.parametrize("end,expected", [(D(2021, 3, 31), "pass"), (D(2021, 3, 30), "fail")])
def test_31_comment_period(tmp_path, rules, end, expected):
    rows = [{"decided_date": D(2021, 5, 1), "public_comment": True, "comment_start": D(2021, 3, 1), "comment_end": end}]
    assert status(tmp_path, rules, {"major_decisions": rows}, 31, "comment_period").status == expected


# 35 合法性审查时间 >= 5 个工作日, across the 2023 National Day holiday with make-up Sat 10-07 and Sun 10-08
@pytest.mark.parametrize("completed,expected", [(D(2023, 10, 11), "pass"), (D(2023, 10, 10), "fail"), (D(2023, 10, 8), "fail")])
def test_35_review_time_working_days(tmp_path, rules, completed, expected):
    rows = [{"decided_date": D(2023, 10, 20), "legality_reviewed": True, "legality_result": "合法",
             "legality_submitted": D(2023, 9, 28), "legality_completed": completed}]
    res = status(tmp_path, rules, {"major_decisions": rows}, 35, "legality_review_time",
                 period={"start": "2023-01-01", "end": "2023-12-31"})
    assert res.status == expected


@pytest.mark.parametrize("reviewed,expected", [(True, "pass"), (False, "fail")])
def test_35_review_rate(tmp_path, rules, reviewed, expected):
    rows = [{"decided_date": D(2021, 6, 1), "legality_reviewed": reviewed, "legality_result": "合法"}]
    assert status(tmp_path, rules, {"major_decisions": rows}, 35, "legality_review_rate").status == expected


# 37 集体讨论率 100%
@pytest.mark.parametrize("bad,expected", [(0, "pass"), (1, "fail")])
def test_37_collective_discussion(tmp_path, rules, bad, expected):
    rows = [{"decided_date": D(2021, 6, 1), "collectively_discussed": True} for _ in range(999)]
    rows.append({"decided_date": D(2021, 6, 1), "collectively_discussed": not bad})
    assert status(tmp_path, rules, {"major_decisions": rows}, 37, "collective_discussion_rate").status == expected


# 44 权限争议 <= 7 个工作日: 2023-09-28 + 7 working days = 2023-10-13 (make-up weekend counted)
@pytest.mark.parametrize("resolved,expected", [(D(2023, 10, 13), "pass"), (D(2023, 10, 16), "fail")])
def test_44_dispute_working_days(tmp_path, rules, resolved, expected):
    rows = [{"received_date": D(2023, 9, 28), "resolved_date": resolved, "needs_superior": False}]
    res = status(tmp_path, rules, {"enforcement_disputes": rows}, 44, "dispute_deadline",
                 period={"start": "2023-01-01", "end": "2023-12-31"})
    assert res.status == expected


# 47 2 人以上执法
@pytest.mark.parametrize("officers,expected", [(2, "pass"), (1, "fail")])
def test_47_two_officers(tmp_path, rules, officers, expected):
    rows = [{"decision_date": D(2021, 5, 6), "officers": officers, "officers_exempt": False}]
    assert status(tmp_path, rules, {"enforcement_cases": rows}, 47, "two_officers_rate").status == expected


# 48 上年度执法情况 1 月 31 日前公开
@pytest.mark.parametrize("published,expected", [(D(2022, 1, 31), "pass"), (D(2022, 2, 1), "fail")])
def test_48_annual_report_by_jan31(tmp_path, rules, published, expected):
    rows = [{"report_type": "行政执法统计年报", "subject_year": 2021, "published_date": published, "reported_to_government": True}]
    assert status(tmp_path, rules, {"annual_reports": rows}, 48, "annual_report_by_jan31").status == expected


# 49 <= 20 个工作日; 许可/处罚 <= 7 个工作日 (2023-09-28 decision: +7 working days = 10-13; +20 = 11-01)
@pytest.mark.parametrize("published,check,expected", [
    (D(2023, 10, 13), "license_penalty_within_7", "pass"),
    (D(2023, 10, 16), "license_penalty_within_7", "fail"),
    (D(2023, 11, 1), "publicity_within_20", "pass"),
    (D(2023, 11, 2), "publicity_within_20", "fail"),
])
def test_49_publicity_working_days(tmp_path, rules, published, check, expected):
    # each case against its own limit (audit D7): the 20-day rule is for categories other than 许可/处罚
    category = "行政处罚" if check == "license_penalty_within_7" else "行政检查"
    rows = [{"decision_date": D(2023, 9, 28), "publicity_date": published, "category": category}]
    res = status(tmp_path, rules, {"enforcement_cases": rows}, 49, check, period={"start": "2023-01-01", "end": "2023-12-31"})
    assert res.status == expected


# 54 重大执法决定法制审核 100%
@pytest.mark.parametrize("reviewed,expected", [(True, "pass"), (False, "fail")])
def test_54_major_decision_legal_review(tmp_path, rules, reviewed, expected):
    rows = [{"decision_date": D(2021, 5, 6), "major": True, "legal_review": reviewed},
            {"decision_date": D(2021, 5, 6), "major": False, "legal_review": False}]
    assert status(tmp_path, rules, {"enforcement_cases": rows}, 54, "legal_review_rate").status == expected


# 55 法制审核人员 >= 执法人员总数 5%, reviewers counted in the total (D14): 1 among 19 officers = 1/20 passes, 1/21 fails
@pytest.mark.parametrize("officers,expected", [(19, "pass"), (20, "fail")])
def test_55_reviewer_ratio(tmp_path, rules, officers, expected):
    rows = [{"role": "执法人员"} for _ in range(officers)] + [{"role": "法制审核人员"}]
    assert status(tmp_path, rules, {"staff": rows}, 55, "reviewer_ratio").status == expected


# 57 每年至少 1 次案卷评查
@pytest.mark.parametrize("years,expected", [((2021, 2022), "pass"), ((2021,), "partial")])
def test_57_annual_case_review(tmp_path, rules, years, expected):
    rows = [{"type": "行政执法案卷评查", "date": D(y, 6, 1)} for y in years]
    assert status(tmp_path, rules, {"activities": rows}, 57, "annual_case_review").status == expected


# 60 每年 >= 40 学时 for every officer
@pytest.mark.parametrize("hours,expected", [(40, "pass"), (39.5, "fail")])
def test_60_training_hours(tmp_path, rules, hours, expected):
    staff = [{"person_id": "P1", "role": "执法人员"}]
    training = [{"person_id": "P1", "date": D(y, 3, 1), "hours": hours, "topic_type": "公共法律知识"} for y in (2021, 2022)]
    res = status(tmp_path, rules, {"staff": staff, "training_records": training}, 60, "training_hours")
    assert res.status == expected
    if expected == "fail":
        assert res.evidence[0].id == "P1" and "39.5" in res.evidence[0].note


# 64 满意度 >= 95%: 19/20 passes, 18/20 fails
@pytest.mark.parametrize("unhappy,expected", [(1, "pass"), (2, "fail")])
def test_64_npc_satisfaction(tmp_path, rules, unhappy, expected):
    rows = [{"received_date": D(2021, 4, 1), "satisfaction": "满意"} for _ in range(20 - unhappy)]
    rows += [{"received_date": D(2021, 4, 1), "satisfaction": "不满意"} for _ in range(unhappy)]
    assert status(tmp_path, rules, {"npc_suggestions": rows}, 64, "npc_satisfaction").status == expected


# 65 出庭率 100% for the named case types; 败诉率 <= previous year's national average (reference data)
@pytest.mark.parametrize("appeared,expected", [(True, "pass"), (False, "fail")])
def test_65_head_appearance(tmp_path, rules, appeared, expected):
    rows = [{"proceeding": "行政诉讼", "filed_date": D(2021, 5, 1), "special_category": "社会高度关注", "head_appeared": appeared}]
    assert status(tmp_path, rules, {"litigation": rows}, 65, "head_appearance_special").status == expected


@pytest.mark.parametrize("lost,expected", [(1, "pass"), (2, "fail")])
def test_65_loss_rate_against_reference(tmp_path, rules, lost, expected):
    rows = [{"proceeding": "行政诉讼", "filed_date": D(2021, 5, 1), "concluded_date": D(2021, 9, 1), "outcome": "败诉"}
            for _ in range(lost)]
    rows += [{"proceeding": "行政诉讼", "filed_date": D(2021, 5, 1), "concluded_date": D(2021, 9, 1), "outcome": "胜诉"}
             for _ in range(10 - lost)]
    res = status(tmp_path, rules, {"litigation": rows}, 65, "litigation_loss_rate",
                 period={"start": "2021-01-01", "end": "2021-12-31"},
                 references={"national_admin_litigation_loss_rate": {2020: 0.10}})
    assert res.status == expected
    assert "2020" in res.years[0].required


# 66 检察建议办复率 100%; 72 依申请公开答复率 100%
@pytest.mark.parametrize("replied,expected", [(True, "pass"), (False, "fail")])
def test_66_and_72_reply_rates(tmp_path, rules, replied, expected):
    ledgers = {
        "prosecutorial_suggestions": [{"source": "检察建议", "received_date": D(2021, 4, 1), "replied": replied}],
        "disclosure_requests": [{"received_date": D(2021, 4, 1), "eligible": True, "replied": replied}],
    }
    result = score_records(tmp_path, rules, ledgers)
    assert find_check(result, 66, id="procuratorial_reply_rate").status == expected
    assert find_check(result, 72, id="request_reply_rate").status == expected


# 73 权威信息 <= 5 小时, 新闻发布会 <= 24 小时
@pytest.mark.parametrize("release,press,first_expected,press_expected", [
    (T(2021, 7, 1, 13, 0), T(2021, 7, 2, 8, 0), "pass", "pass"),
    (T(2021, 7, 1, 13, 1), T(2021, 7, 2, 8, 1), "fail", "fail"),
])
def test_73_emergency_release(tmp_path, rules, release, press, first_expected, press_expected):
    rows = [{"level": "重大", "occurred_at": T(2021, 7, 1, 8, 0), "first_release_at": release, "press_conference_at": press},
            {"level": "一般", "occurred_at": T(2021, 7, 1, 8, 0), "first_release_at": T(2021, 7, 5, 8, 0)}]
    result = score_records(tmp_path, rules, {"emergencies": rows})
    assert find_check(result, 73, id="first_release_5h").status == first_expected
    assert find_check(result, 73, id="press_conference_24h").status == press_expected


def test_73_no_event_needs_attestation(tmp_path, rules):
    result = score_records(tmp_path, rules, {"emergencies": []})
    assert find_check(result, 73, id="first_release_5h").status == "missing_evidence"
    att = [{"subject": "no_major_emergency", "statement": "创建周期内未发生特别重大、重大突发事件", "signed_by": "县政府办",
            "date": D(2022, 12, 31)}]
    result = score_records(tmp_path, rules, {"emergencies": [], "attestations": att})
    assert find_check(result, 73, id="first_release_5h").status == "not_applicable"


# 74 发生率 5%以下 (含 5%, audit D3): 1/20 (5%) passes, 1/19 (5.26%) fails
@pytest.mark.parametrize("cases,expected", [(20, "pass"), (19, "fail")])
def test_74_disclosure_case_rate(tmp_path, rules, cases, expected):
    rows = [{"proceeding": "行政复议", "filed_date": D(2021, 5, 1), "outcome": "胜诉", "concluded_date": D(2021, 6, 1),
             "info_disclosure": True, "duty_failure_found": i == 0} for i in range(cases)]
    assert status(tmp_path, rules, {"litigation": rows}, 74, "disclosure_case_failure_rate").status == expected


# 75 满意度 >= 80%
@pytest.mark.parametrize("rate,expected", [(0.80, "pass"), (0.799, "fail")])
def test_75_dispute_satisfaction(tmp_path, rules, rate, expected):
    rows = [{"subject": "矛盾纠纷化解", "date": D(y, 11, 1), "satisfaction_rate": rate} for y in (2021, 2022)]
    assert status(tmp_path, rules, {"satisfaction_surveys": rows}, 75, "dispute_satisfaction").status == expected


# 76 专职人民调解员: 行业性专业性 >= 3, 镇 >= 2, 有条件的村居 >= 1, 派驻工作室 >= 2
@pytest.mark.parametrize("check,kind,minimum", [
    ("industry_committee_mediators", "行业性专业性人民调解委员会", 3),
    ("town_committee_mediators", "镇人民调解委员会", 2),
    ("grassroots_committee_mediators", "村居人民调解委员会", 1),
    ("stationed_office_mediators", "派驻人民调解工作室", 2),
])
@pytest.mark.parametrize("delta,expected", [(0, "pass"), (-1, "fail")])
def test_76_mediator_counts(tmp_path, rules, check, kind, minimum, delta, expected):
    rows = [{"kind": kind, "fulltime_mediators": minimum + delta, "has_conditions": True, "funded": True}]
    assert status(tmp_path, rules, {"mediation_committees": rows}, 76, check).status == expected


# 83 每年 >= 4 次法治专题学习 and >= 1 次旁听庭审
@pytest.mark.parametrize("sessions_2022,expected", [(4, "pass"), (3, "partial")])
def test_83_study_sessions(tmp_path, rules, sessions_2022, expected):
    rows = [{"type": "法治专题学习", "date": D(2021, m, 10)} for m in (1, 4, 7, 10)]
    rows += [{"type": "法治专题学习", "date": D(2022, m, 10)} for m in (1, 4, 7, 10)[:sessions_2022]]
    res = status(tmp_path, rules, {"activities": rows}, 83, "legal_study_sessions")
    assert res.status == expected


@pytest.mark.parametrize("years,expected", [((2021, 2022), "pass"), ((), "fail")])
def test_83_court_hearing(tmp_path, rules, years, expected):
    rows = [{"type": "旁听庭审", "date": D(y, 6, 1)} for y in years] + [{"type": "其他", "date": D(2021, 1, 1)}]
    assert status(tmp_path, rules, {"activities": rows}, 83, "court_hearing_attendance").status == expected


# 85 每年 >= 1 次专题会议
@pytest.mark.parametrize("years,expected", [((2021, 2022), "pass"), ((2022,), "partial")])
def test_85_annual_meeting(tmp_path, rules, years, expected):
    rows = [{"type": "法治政府建设专题会议", "date": D(y, 2, 1)} for y in years]
    assert status(tmp_path, rules, {"activities": rows}, 85, "annual_special_meeting").status == expected


# 87 分值权重 >= 10%
@pytest.mark.parametrize("weight,expected", [(0.10, "pass"), (0.099, "fail")])
def test_87_assessment_weight(tmp_path, rules, weight, expected):
    rows = [{"metric": "法治建设政绩考核分值权重", "year": y, "value": weight} for y in (2021, 2022)]
    assert status(tmp_path, rules, {"metrics": rows}, 87, "performance_weight").status == expected
