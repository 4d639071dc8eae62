"""scorecard score / validate on the bundled examples: planted failures cited, exit codes, JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from engine.cli import main
from engine.results import json_schema

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "score-result.schema.json"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def weak():
    out = run("score", EXAMPLES / "weak-town", "--format", "json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def check(result, no, check_id):
    ind = next(i for i in result["indicators"] if i["no"] == no)
    return next(c for c in ind["checks"] if c["id"] == check_id)


def test_weak_example_reports_each_planted_failure_with_its_record(weak):
    planted = [
        (73, "first_release_5h", "ledgers/emergencies.csv", "E-00001", "7 小时"),
        (22, "legality_review_rate", "ledgers/normative_documents.csv", "ND-00002", "否"),
        (48, "annual_report_by_jan31", "ledgers/annual_reports.csv", None, "15 日"),
        (60, "training_hours", "ledgers/staff.csv", "S-00001", "35"),
    ]
    for no, check_id, file, record, text in planted:
        c = check(weak, no, check_id)
        assert c["status"] in ("fail", "partial"), (no, c)
        cited = [e for e in c["evidence"] if e["file"] == file and (record is None or e["id"] == record)]
        assert cited and cited[0]["row"] >= 2 and text in cited[0]["note"], (no, c["evidence"][:3])
    sessions = check(weak, 83, "legal_study_sessions")
    year_2022 = next(y for y in sessions["years"] if y["year"] == 2022)
    assert year_2022["status"] == "fail" and "3 次" in year_2022["actual"]


def test_good_example_has_no_error_and_no_failure():
    out = run("score", EXAMPLES / "good-county")
    assert out.exit_code == 0
    result = json.loads(out.stdout)
    statuses = {i["status"] for i in result["indicators"]}
    assert "error" not in statuses and "fail" not in statuses
    assert all(c["status"] != "error" for i in result["indicators"] for c in i["checks"])


def test_json_matches_the_published_schema(weak):
    jsonschema.validate(weak, json.loads(SCHEMA.read_text("utf-8")))
    assert json.loads(SCHEMA.read_text("utf-8")) == json_schema(), (
        "schema/score-result.schema.json is out of date: python -c 'from engine.results import write_json_schema; write_json_schema()'")


def test_pending_review_points_are_stated(weak):
    s = weak["summary"]
    pending = sum(i["pending_review_points"] for i in weak["indicators"])
    assert s["pending_review_points"] == pytest.approx(pending) and "0 分" in s["pending_review_policy"]


def test_markdown_report_flags_the_late_release():
    out = run("score", EXAMPLES / "weak-town", "--format", "md")
    assert out.exit_code == 0
    assert "E-00001" in out.stdout and "超出时限 2 小时(实际用时 7 小时,时限 5 小时)" in out.stdout


def test_fail_under_exit_codes(tmp_path):
    assert run("score", EXAMPLES / "weak-town", "-o", tmp_path / "r.json", "--fail-under", 99).exit_code == 1
    assert run("score", EXAMPLES / "weak-town", "-o", tmp_path / "r.json", "--fail-under", 1).exit_code == 0
    assert (tmp_path / "r.json").is_file()


def test_invalid_package_exit_2_names_file_row_field(tmp_path):
    pkg = tmp_path / "bad"
    (pkg / "ledgers").mkdir(parents=True)
    (pkg / "unit.yaml").write_text("name: 坏县\ntype: 县\nperiod: {start: 2021-01-01, end: 2022-12-31}\n", "utf-8")
    (pkg / "ledgers" / "emergencies.csv").write_text(
        "事件编号,事件名称,事件等级,事件发生时间\nE-1,火灾,重大,2023年2月30日 10:00\n", "utf-8")
    out = run("score", pkg)
    assert out.exit_code == 2
    assert "Traceback" not in out.output
    assert "ledgers/emergencies.csv 第2行 字段「事件发生时间」" in out.output and "2023年2月30日" in out.output


def test_missing_package_exit_2():
    out = run("score", "/nonexistent/package")
    assert out.exit_code == 2 and "证据包目录不存在" in out.output
