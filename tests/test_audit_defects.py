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
