"""The score model: review shares inside the score, three named figures, and verdicts reaching every command.

- each review check carries its own share (its weight) of its indicator; only that share waits for a verdict;
- 已确认得分 / 预估得分 / 得分区间 in every result, report and ranking; good-county (all automatic checks pass) ranks
  above weak-town on each of them;
- properties: making a failing record compliant never lowers any figure; adding a violation never raises one;
- rectify / batch / diff / review-sheet / validate take --review, --waivers, --profile.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, on_time_release, score_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch import run_batch
from engine.cli import main
from engine.evaluate import score
from engine.evaluate.backends import get_backend
from evidence.package import load_package

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
GOOD, WEAK = EXAMPLES / "good-county", EXAMPLES / "weak-town"


def figures(result) -> tuple[float, float, float]:
    s = result.summary
    return s.confirmed.score, s.estimate.score, s.range.high


@pytest.fixture(scope="module")
def examples(rules):
    return {name: score(load_package(EXAMPLES / name, rules.ledgers), rules, get_backend("python"))
            for name in ("good-county", "weak-town")}


def test_every_result_carries_three_named_explained_figures(examples):
    for result in examples.values():
        s = result.summary
        assert s.confirmed.name == "已确认得分" and s.estimate.name == "预估得分" and s.range.name == "得分区间"
        assert all(x.explanation for x in (s.confirmed, s.estimate, s.range))
        assert s.score == s.confirmed.score == s.range.low <= s.estimate.score <= s.range.high <= s.total_points
        for item in result.indicators:
            assert item.earned <= item.estimated <= item.earned_high <= item.points
        for cat in result.categories:
            assert cat.earned <= cat.estimated <= cat.earned_high <= cat.applicable_points


def test_good_county_ranks_above_weak_town_on_every_figure(examples):
    good, weak = examples["good-county"], examples["weak-town"]
    assert not any(c.status in ("fail", "partial", "missing_evidence", "error")
                   for i in good.indicators for c in i.checks if c.kind != "review")
    for g, w in zip(figures(good), figures(weak)):
        assert g > w


def test_only_the_review_share_waits(examples):
    good = examples["good-county"]
    item = next(i for i in good.indicators if i.no == 22)  # 3 automatic checks (weights 2, 1, 1) + 1 review check
    review = next(c for c in item.checks if c.kind == "review")
    assert item.status == "needs_review" and item.pending_review
    assert review.points == pytest.approx(2 * 1 / 5) == item.pending_review_points
    assert item.earned == pytest.approx(2 - review.points, abs=1e-4)  # the automatic share is already earned
    assert item.estimated == item.earned_high == item.points


def test_failing_item_with_review_checks_keeps_its_review_share_pending(examples):
    weak = examples["weak-town"]
    item = next(i for i in weak.indicators if i.no == 73)  # late first release: automatic part partial
    assert item.status == "partial" and item.pending_review and item.pending_review_points > 0
    assert item.earned < item.estimated < item.earned_high


def _edit(src: Path, dst: Path, ledger: str, match: dict, column: str, value: str) -> None:
    import shutil

    shutil.copytree(src, dst)
    path = dst / "ledgers" / f"{ledger}.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    hit = 0
    for row in rows:
        if all(row[k] == v for k, v in match.items()):
            row[column] = value
            hit += 1
    assert hit == 1
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_correcting_the_late_emergency_release_raises_every_figure(rules, tmp_path, examples):
    """The issue's case: weak-town's 7-hour release corrected used to lower the total (46.52 -> 45.02)."""
    fixed = tmp_path / "fixed"
    _edit(WEAK, fixed, "emergencies", {"事件编号": "E-00001"}, "首次发布权威信息时间", on_time_release(WEAK))
    after = score(load_package(fixed, rules.ledgers), rules, get_backend("python"))
    before = examples["weak-town"]
    for b, a in zip(figures(before), figures(after)):
        assert a >= b
    assert after.summary.score > before.summary.score


# ---------------------------------------------------------------- monotonicity properties

doc_strategy = st.fixed_dictionaries({
    "issued_date": st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2022, 12, 1)),
    "legality_reviewed": st.sampled_from([True, False, None]),
    "filed": st.sampled_from([True, False, None]),
    "filing_compliant": st.sampled_from([True, False, None]),
    "collectively_deliberated": st.sampled_from([True, False]),
    "review_result": st.sampled_from(["合法", "不合法", "修改后合法", None]),
    "lag": st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
})
event_strategy = st.builds(
    lambda level, start, h1, h2: {"level": level, "occurred_at": start, "first_release_at": start + dt.timedelta(minutes=h1),
                                  "press_conference_at": start + dt.timedelta(minutes=h2)},
    st.sampled_from(["特别重大", "重大"]),
    st.datetimes(min_value=dt.datetime(2021, 1, 1), max_value=dt.datetime(2022, 12, 30)),
    st.integers(min_value=0, max_value=900), st.integers(min_value=0, max_value=3000),
)


def _docs(docs: list[dict]) -> list[dict]:
    out = []
    for d in docs:
        d = dict(d)
        lag = d.pop("lag")
        if lag is not None:
            d["filed_date"] = d["issued_date"] + dt.timedelta(days=lag)
        out.append({k: v for k, v in d.items() if v is not None})
    return out


def _compliant_doc(d: dict) -> dict:
    return {**d, "legality_reviewed": True, "filed": True, "filing_compliant": True, "review_result": "合法", "lag": 5}


def _compliant_event(e: dict) -> dict:
    return {**e, "first_release_at": e["occurred_at"] + dt.timedelta(hours=1),
            "press_conference_at": e["occurred_at"] + dt.timedelta(hours=2)}


def _all_figures(result) -> list[float]:
    out = list(figures(result))
    for item in result.indicators:
        out += [item.earned, item.estimated, item.earned_high]
    return out


def _never_lower(before, after) -> None:
    for b, a in zip(_all_figures(before), _all_figures(after)):
        assert a >= b - 1e-9


@SETTINGS
@given(docs=st.lists(doc_strategy, min_size=1, max_size=12), events=st.lists(event_strategy, min_size=1, max_size=5),
       pick=st.integers(min_value=0, max_value=1000), which=st.sampled_from(["doc", "event"]))
def test_making_a_record_compliant_never_lowers_any_figure(tmp_path_factory, rules, docs, events, pick, which):
    fixed_docs, fixed_events = copy.deepcopy(docs), copy.deepcopy(events)
    if which == "doc":
        i = pick % len(docs)
        fixed_docs[i] = _compliant_doc(docs[i])
    else:
        i = pick % len(events)
        fixed_events[i] = _compliant_event(events[i])
    tmp = tmp_path_factory.mktemp("mono")
    before = score_records(tmp / "a", rules, {"normative_documents": _docs(docs), "emergencies": events})
    after = score_records(tmp / "b", rules, {"normative_documents": _docs(fixed_docs), "emergencies": fixed_events})
    _never_lower(before, after)


@SETTINGS
@given(docs=st.lists(doc_strategy, min_size=0, max_size=10), bad=doc_strategy)
def test_adding_a_violation_never_raises_any_figure(tmp_path_factory, rules, docs, bad):
    violation = {**bad, "legality_reviewed": False, "filed": False, "filing_compliant": False, "review_result": None,
                 "lag": None}
    tmp = tmp_path_factory.mktemp("viol")
    before = score_records(tmp / "a", rules, {"normative_documents": _docs(docs)})
    after = score_records(tmp / "b", rules, {"normative_documents": _docs(docs + [violation])})
    _never_lower(after, before)


# ---------------------------------------------------------------- verdicts reach every command


def _verdicts(path: Path, items: list[tuple[int, str, str, str | None]]) -> Path:
    lines = ["verdicts:"]
    for no, check, verdict, reason in items:
        lines.append(f"  - {{indicator: {no}, check: {check}, verdict: {verdict}, reviewer: 评估组, date: 2023-03-20"
                     + (f", reason: {json.dumps(reason, ensure_ascii=False)}" if reason else "") + "}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _review_check(result, no: int) -> str:
    item = next(i for i in result.indicators if i.no == no)
    return next(c.id for c in item.checks if c.kind == "review")


def test_rectify_lists_a_reviewer_failed_item_with_the_reason(tmp_path, examples):
    good = examples["good-county"]
    verdicts = _verdicts(tmp_path / "v.yaml", [(22, _review_check(good, 22), "fail", "审核力量不足,未配备专职审核人员")])
    runner = CliRunner()
    plain = runner.invoke(main, ["rectify", str(GOOD), "--backend", "python", "-o", str(tmp_path / "a.md"),
                                 "--date", "2023-01-01"])
    assert plain.exit_code == 0, plain.output
    assert "22. " not in (tmp_path / "a.md").read_text("utf-8")
    res = runner.invoke(main, ["rectify", str(GOOD), "--backend", "python", "-o", str(tmp_path / "b.md"),
                               "--date", "2023-01-01", "--review", str(verdicts)])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "b.md").read_text("utf-8")
    assert "22. " in text and "审核力量不足,未配备专职审核人员" in text and "评估组" in text


def test_batch_review_folder_ranks_on_confirmed_scores(tmp_path, examples):
    weak = examples["weak-town"]
    pending = [(i.no, _review_check(weak, i.no), "pass", None) for i in weak.indicators if i.pending_review]
    folder = tmp_path / "verdicts"
    folder.mkdir()
    _verdicts(folder / "weak-town.yaml", pending)  # matched by the package directory name
    (folder / "nobody.yaml").write_text("verdicts: []\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_batch([GOOD, WEAK], out, backend="python", jobs=1, review_dir=folder)
    rows = {r["key"]: r for r in result.rows}
    assert rows["weak-town"]["review_files"] == ["weak-town.yaml"] and rows["good-county"]["review_files"] == []
    assert rows["weak-town"]["score"] == pytest.approx(weak.summary.range.high)  # every pending share passed
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["ranked_by"] == "已确认得分"
    ranks = {r["key"]: r["rank"] for r in summary["ranking"]}
    assert ranks == {"good-county": 1, "weak-town": 1}  # 县 and 镇 are ranked separately
    assert rows["weak-town"]["score"] > rows["good-county"]["score"]  # confirmed 97.85 > good-county's unreviewed 81.57
    assert "排序:已确认得分从高到低" in (out / "ranking.html").read_text("utf-8")
    # without verdicts good-county ranks first on the confirmed figure
    plain = run_batch([GOOD, WEAK], tmp_path / "plain", backend="python", jobs=1)
    assert [r["key"] for r in sorted(plain.rows, key=lambda r: -r["score"])] == ["good-county", "weak-town"]
    res = CliRunner().invoke(main, ["batch", str(GOOD), str(WEAK), "-o", str(tmp_path / "cli"), "--backend", "python",
                                    "-j", "1", "--review", str(folder), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "nobody.yaml" in res.output and "排名依据:已确认得分" in res.output


@pytest.mark.parametrize("command", ["score", "rectify", "batch", "diff", "review-sheet", "validate"])
def test_every_command_takes_review_waivers_profile(command):
    res = CliRunner().invoke(main, [command, "--help"])
    assert res.exit_code == 0
    for option in ("--review", "--waivers", "--profile"):
        assert option in res.output, (command, option)


def test_validate_checks_verdict_files_against_the_rules(tmp_path):
    bad = _verdicts(tmp_path / "v.yaml", [(22, "no_such_check", "pass", None), (999, "x", "pass", None)])
    res = CliRunner().invoke(main, ["validate", str(GOOD), "--review", str(bad)])
    assert res.exit_code == 2
    assert "no_such_check" in res.output and "999" in res.output


def test_review_sheet_takes_the_profile(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "s.xlsx"
    res = CliRunner().invoke(main, ["review-sheet", str(WEAK), "--backend", "python", "--profile", "township", "-o", str(out)])
    assert res.exit_code == 0, res.output
    ws = load_workbook(out)["说明"]
    assert "township" in ws.cell(2, 1).value


def test_diff_applies_verdicts_to_both_runs(tmp_path, examples):
    runner = CliRunner()
    paths = []
    for name, pkg in (("a", GOOD), ("b", GOOD)):
        path = tmp_path / f"{name}.json"
        assert runner.invoke(main, ["score", str(pkg), "--backend", "python", "-o", str(path)]).exit_code == 0
        paths.append(path)
    good = examples["good-county"]
    verdicts = _verdicts(tmp_path / "v.yaml", [(22, _review_check(good, 22), "fail", "审核力量不足")])
    res = runner.invoke(main, ["diff", *map(str, paths), "--format", "json", "--review", str(verdicts)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    # the reviewer failed 22's review share: no longer counted in the estimate or the range's upper end
    assert data["old"]["high"] == data["new"]["high"] == pytest.approx(good.summary.range.high - 0.4)
    assert data["old"]["score"] == good.summary.score


# ---------------------------------------------------------------- an evaluation with errors is never complete


@pytest.fixture(scope="module")
def uncovered(tmp_path_factory, rules):
    """A working-day deadline in 2040, a year no holiday calendar covers: check 44.dispute_deadline errors."""
    from conftest import build_package

    return build_package(tmp_path_factory.mktemp("uncovered") / "pkg", rules, {"enforcement_disputes": [
        {"dispute_id": "D-1", "received_date": dt.date(2040, 3, 2), "resolved_date": dt.date(2040, 3, 6),
         "needs_superior": False}]}, period={"start": "2039-01-01", "end": "2040-12-31"})


def test_an_errored_check_marks_the_evaluation_incomplete(rules, uncovered):
    result = score(load_package(uncovered, rules.ledgers), rules, get_backend("python"))
    s = result.summary
    assert not s.complete and s.error_indicators == [44]
    assert "未完成" in s.verdict and "44" in s.verdict and s.verdict != "已完成评估"
    item = next(i for i in result.indicators if i.no == 44)
    assert item.status == "error" and "dispute_deadline" in item.message


def test_score_and_batch_exit_3_when_incomplete(tmp_path, uncovered):
    runner = CliRunner()
    res = runner.invoke(main, ["score", str(uncovered), "--backend", "python", "--format", "md", "-o", str(tmp_path / "r.md")])
    assert res.exit_code == 3, res.output
    assert "评估未完成" in res.output and "44" in res.output
    assert "评估未完成" in (tmp_path / "r.md").read_text("utf-8")
    res = runner.invoke(main, ["batch", str(uncovered), str(GOOD), "-o", str(tmp_path / "b"), "--backend", "python", "-j", "1",
                               "--no-progress"])
    assert res.exit_code == 3, res.output
    assert json.loads((tmp_path / "b" / "summary.json").read_text("utf-8"))["incomplete"] == ["pkg"]
    assert "退出码" in runner.invoke(main, ["score", "--help"]).output
    assert "退出码" in runner.invoke(main, ["batch", "--help"]).output
