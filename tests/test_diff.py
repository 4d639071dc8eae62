"""Run-to-run diff: the weak example vs the same example with two planted failures fixed."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import on_time_release

from engine.cli import main
from engine.errors import InputError
from engine.output.diff import diff_results, load_result, rectification_status, render_diff

ROOT = Path(__file__).resolve().parent.parent
WEAK = ROOT / "examples" / "weak-town"


def edit_csv(path: Path, match: dict[str, str], column: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    hit = [r for r in rows[1:] if all(r[header.index(k)] == v for k, v in match.items())]
    assert hit
    for row in hit:
        row[header.index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    fixed = tmp / "weak-fixed"
    shutil.copytree(WEAK, fixed)
    # fix two planted failures (examples/make_examples.py): the 2021 行政执法统计年报 published on 2022-02-15
    # (48, due by 31 January; one row per enforcement agency) and E-00001 first released 7 h after a 特别重大 emergency (73, limit 5 h).
    # (ND-00002 is not used: one record breaks both 21 and 22, so fixing it changes two indicators.)
    edit_csv(fixed / "ledgers" / "annual_reports.csv", {"报告类型": "行政执法统计年报", "报告年度": "2021"},
             "公开日期", "2022-01-20")
    edit_csv(fixed / "ledgers" / "emergencies.csv", {"事件编号": "E-00001"}, "首次发布权威信息时间", on_time_release(WEAK))
    runner = CliRunner()
    out = {}
    for name, pkg in (("old", WEAK), ("new", fixed)):
        path = tmp / f"{name}.json"
        res = runner.invoke(main, ["score", str(pkg), "--backend", "python", "-o", str(path)])
        assert res.exit_code == 0, res.output
        out[name] = path
    return out


def test_diff_lists_exactly_the_two_fixed_items(runs):
    old, new = load_result(runs["old"]), load_result(runs["new"])
    d = diff_results(old, new)
    assert [c.no for c in d.changes] == [48, 73]
    assert d.status_changed == [48, 73] and d.newly_failing == []
    assert [(c.old_status, c.new_status) for c in d.changes] == [("partial", "pass"), ("partial", "needs_review")]
    assert d.newly_passing == [48]  # 73 still awaits the evaluator's review of its qualitative check
    assert d.changes[0].new_earned > d.changes[0].old_earned
    # fixing 73 raises its confirmed score (its automatic part); only its review share still waits for a verdict
    assert d.changes[1].new_earned > d.changes[1].old_earned
    cats = {c.no: c for c in d.categories}
    assert [n for n, c in cats.items() if c.new_earned != c.old_earned or c.new_applicable != c.old_applicable] == [4, 5]


def test_diff_cli_formats(runs):
    runner = CliRunner()
    res = runner.invoke(main, ["diff", str(runs["old"]), str(runs["new"]), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [c["no"] for c in data["changes"]] == [48, 73]
    md = runner.invoke(main, ["diff", str(runs["old"]), str(runs["new"]), "--format", "md"]).stdout
    assert "| 48 |" in md and "| 73 |" in md and "## 分类汇总" in md
    table = runner.invoke(main, ["diff", str(runs["old"]), str(runs["new"])]).stdout
    assert "变化合计 2 项" in table


def test_newly_passing_after_review(runs, tmp_path):
    review = tmp_path / "r.yaml"
    review.write_text("- {indicator: 73, verdict: pass, reviewer: 评估组, date: 2023-04-01}\n", encoding="utf-8")
    new = tmp_path / "new.json"
    pkg = runs["new"].parent / "weak-fixed"
    res = CliRunner().invoke(main, ["score", str(pkg), "--backend", "python", "--review", str(review), "-o", str(new)])
    assert res.exit_code == 0, res.output
    d = diff_results(load_result(runs["old"]), load_result(new))
    assert d.newly_passing == [48, 73] and [c.no for c in d.changes] == [48, 73]
    items = {i.no: i for i in rectification_status(load_result(runs["old"]), load_result(new))}
    assert items[48].state == items[73].state == "整改完成"
    assert {no for no, i in items.items() if i.state == "未完成"} == set(items) - {48, 73}
    assert "新通过" in render_diff(d, "table")


def test_rectification_cli(runs):
    res = CliRunner().invoke(main, ["diff", str(runs["old"]), str(runs["new"]), "--rectification", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    states = {i["no"]: i["state"] for i in data["items"]}
    assert (states[48], states[73]) == ("整改完成", "待人工核查")
    assert all(s == "未完成" for no, s in states.items() if no not in (48, 73))


def test_bad_result_file_is_input_error(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError):
        load_result(bad)
    res = CliRunner().invoke(main, ["diff", str(bad), str(bad)])
    assert res.exit_code == 2 and "Traceback" not in res.output
