"""``scorecard batch``: good units are scored, a broken or crashing unit becomes an error row, output is reproducible."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.batch import CRASH_HOOK_ENV, csv_cell, ranking, run_batch
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> Path:
    """The example packages, one of them again under another unit name, plus a broken and a crashing package."""
    parent = tmp_path_factory.mktemp("batch") / "units"
    examples = sorted(p for p in EXAMPLES.iterdir() if (p / "unit.yaml").is_file())
    assert examples, "examples/ has no packages"
    for p in examples:
        shutil.copytree(p, parent / p.name)
    twin = parent / f"{examples[0].name}-twin"
    shutil.copytree(examples[0], twin)
    unit = yaml.safe_load((twin / "unit.yaml").read_text(encoding="utf-8"))
    unit["name"] = "=HYPERLINK(\"x\")孪生县"  # a hostile name: must not become a formula in CSV/XLSX
    (twin / "unit.yaml").write_text(yaml.safe_dump(unit, allow_unicode=True), encoding="utf-8")
    broken = parent / "broken"
    shutil.copytree(examples[0], broken)
    (broken / "unit.yaml").write_text("name: [未闭合\n", encoding="utf-8")
    shutil.copytree(examples[0], parent / "crashme")
    return parent


def _run(packages: Path, out: Path, jobs: int, monkeypatch) -> tuple:
    monkeypatch.setenv(CRASH_HOOK_ENV, "crashme")
    runner = CliRunner()
    result = runner.invoke(main, ["batch", str(packages), "-j", str(jobs), "-o", str(out), "--no-progress"])
    return result


def test_batch_scores_good_units_and_reports_broken_and_crashed(packages, tmp_path, monkeypatch):
    out = tmp_path / "out"
    result = _run(packages, out, 2, monkeypatch)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    by_key = {r["key"]: r for r in data["ranking"]}
    good = [p.name for p in sorted(packages.iterdir()) if p.name not in ("broken", "crashme")]
    for key in good:
        assert by_key[key]["error"] is None and isinstance(by_key[key]["score"], float)
        assert (out / "units" / f"{key}.json").is_file() and (out / "units" / f"{key}.md").is_file()
        one = json.loads((out / "units" / f"{key}.json").read_text(encoding="utf-8"))
        assert one["summary"]["score"] == by_key[key]["score"]
    assert by_key["broken"]["score"] is None and "unit.yaml" in by_key["broken"]["error"]
    assert "证据包有误" in by_key["broken"]["error"]
    assert "异常退出" in by_key["crashme"]["error"]
    assert not (out / "units" / "broken.json").exists() and not (out / "units" / "crashme.json").exists()
    assert data["scored"] == len(good) and data["errors"] == 2

    with open(out / "ranking.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[:7] == ["排名", "单位", "单位类型", "证据包", "已确认得分", "预估得分(估算)", "得分区间上限"]
    assert "未达标项数" in header
    scored = [r for r in body if r[header.index("结论")] != "评分失败"]
    failed = [r for r in body if r[header.index("结论")] == "评分失败"]
    assert body == scored + failed  # error rows last
    order = ["县", "区", "镇", "街道", "部门"]
    keys = [(order.index(r[2]), -float(r[4]), r[1]) for r in scored]  # ranked within each unit type
    assert keys == sorted(keys) and len({r[2] for r in scored}) >= 2
    for t in {r[2] for r in scored}:
        assert [r for r in scored if r[2] == t][0][0] == "1"  # each type has its own first place
    assert {r[3] for r in failed} == {"broken", "crashme"}
    page = (out / "ranking.html").read_text(encoding="utf-8")
    assert "县排名" in page and "镇排名" in page and "评分失败" in page and "font-family" in page  # the reports' stylesheet
    assert 'lang="zh-CN"' in page and "&lt;" not in page.split("<body>")[0]
    assert not re.search(r"\d\.\d{3,}", page.split("<body>")[1])  # at most two decimals
    assert all(not c.startswith(("=", "+", "-", "@")) for r in body for c in r)  # no formula cells
    assert any(c.startswith("'=") for r in body for c in r)  # the hostile unit name was neutralised
    assert (out / "ranking.xlsx").stat().st_size > 0 and "<table" in (out / "ranking.html").read_text(encoding="utf-8")


def test_batch_output_is_reproducible(packages, tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    _run(packages, a, 2, monkeypatch)
    _run(packages, b, 1, monkeypatch)
    for name in ("ranking.csv", "ranking.xlsx", "ranking.html", "failing_indicators.csv", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for f in sorted((a / "units").iterdir()):
        assert f.read_bytes() == (b / "units" / f.name).read_bytes(), f.name


def test_ranking_ties_and_order():
    rows = [
        {"key": "b", "ok": True, "unit": "乙", "score": 80.0},
        {"key": "a", "ok": True, "unit": "甲", "score": 80.0},
        {"key": "c", "ok": True, "unit": "丙", "score": 90.0},
        {"key": "z", "ok": False, "unit": "z", "score": None},
    ]
    ranked = ranking(rows)
    assert [r["key"] for r in ranked] == ["c", "b", "a", "z"]  # 乙 < 甲 by code point
    assert [r["rank"] for r in ranked] == [1, 2, 2, None]
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@x") == "'@x" and csv_cell(1.5) == "1.5"


def test_batch_missing_directory_is_an_error_row(tmp_path):
    result = run_batch([tmp_path / "不存在"], tmp_path / "out", jobs=1)
    assert len(result.rows) == 1 and not result.rows[0]["ok"]
    assert "证据包目录不存在" in result.rows[0]["error"]


def test_workers_forked_only_without_threads_and_same_output_either_way(packages, tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    import engine.batch

    probe = ("import threading, time\nfrom engine.batch import start_method\nalone = start_method()\n"
             "threading.Thread(target=time.sleep, args=(1,), daemon=True).start()\nprint(alone, start_method())\n")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["fork", "spawn"]  # a process running another thread never forks
    forked, spawned = tmp_path / "forked", tmp_path / "spawned"
    # forked: the command in a fresh process (one thread); spawned: here, as with a progress bar's thread running
    command = ["-c", "from engine.cli import main; main()", "batch", str(packages), "-j", "2", "-o", str(forked),
               "--no-progress"]
    proc = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, CRASH_HOOK_ENV: "crashme"})
    assert proc.returncode == 2 and "异常退出" in proc.stderr, proc.stderr
    monkeypatch.setattr(engine.batch, "start_method", lambda: "spawn")
    _run(packages, spawned, 2, monkeypatch)
    for name in ("ranking.csv", "ranking.xlsx", "ranking.html", "failing_indicators.csv", "summary.json"):
        assert (forked / name).read_bytes() == (spawned / name).read_bytes(), name
    assert sorted(p.name for p in (forked / "units").iterdir()) == sorted(p.name for p in (spawned / "units").iterdir())
    for f in sorted((forked / "units").iterdir()):
        assert f.read_bytes() == (spawned / "units" / f.name).read_bytes(), f.name
