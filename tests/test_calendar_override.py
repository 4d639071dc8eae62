"""Replacing the official holiday schedule of a year chinese-calendar covers (issue 12, point 4; audit K17).

A calendar file for a covered year is refused unless the profile's ``calendar_overrides`` names that year with a
cited source (the 国务院办公厅 notice: title and number, and its date); then the file is used and the score report
(JSON run.calendar_overrides, MD and HTML header) says which year was overridden, by which file, on what source.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.evaluate import workdays
from engine.evaluate.workdays import CALENDAR_ENV

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "国务院办公厅关于2021年部分节假日安排的通知(国办发明电〔2020〕27号)"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(CALENDAR_ENV, raising=False)
    monkeypatch.setattr(workdays, "SHARED_DIRS", [])


def _package(tmp_path: Path) -> Path:
    """good-county with calendar/2021.yaml declaring the weekdays 2021-08-23 … 10-18 holidays (audit K17)."""
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "examples" / "good-county", pkg)
    days, d = [], dt.date(2021, 8, 23)
    while d <= dt.date(2021, 10, 18):
        if d.weekday() < 5:
            days.append(d.isoformat())
        d += dt.timedelta(days=1)
    (pkg / "calendar").mkdir()
    (pkg / "calendar" / "2021.yaml").write_text(f"year: 2021\nholidays: [{', '.join(days)}]\n", encoding="utf-8")
    return pkg


def _profile(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "override.yaml"
    path.write_text(f"id: cal-override\ntitle: 替换 2021 年日历\ncalendar_overrides:\n{entry}", encoding="utf-8")
    return path


GOOD = f"  - year: 2021\n    source: {SOURCE}\n    issued: 2020-11-25\n"


def _score(*args):
    return CliRunner().invoke(main, ["score", *map(str, args)])


def test_covered_year_file_refused_without_profile_setting(tmp_path):
    pkg = _package(tmp_path)
    res = _score(pkg, "-o", tmp_path / "r.json")
    assert res.exit_code == 2, res.output
    assert "calendar/2021.yaml" in res.output and "已由官方" in res.output and "calendar_overrides" in res.output
    assert not (tmp_path / "r.json").exists()
    res = CliRunner().invoke(main, ["validate", str(pkg)])
    assert res.exit_code == 2 and "calendar/2021.yaml" in res.output


def test_other_year_in_profile_does_not_allow_this_one(tmp_path):
    pkg = _package(tmp_path)
    prof = _profile(tmp_path, GOOD.replace("2021", "2022", 1))
    res = _score(pkg, "--profile", prof, "-o", tmp_path / "r.json")
    assert res.exit_code == 2 and "calendar/2021.yaml" in res.output, res.output


@pytest.mark.parametrize("entry, words", [
    ("  - {year: 2021, issued: 2020-11-25}\n", "source"),
    ("  - {year: 2021, source: '  ', issued: 2020-11-25}\n", "文号"),
    ("  - {year: 2021, source: 通知}\n", "issued"),
    (GOOD + GOOD, "重复"),
])
def test_setting_without_cited_source_is_refused(tmp_path, entry, words):
    pkg = _package(tmp_path)
    prof = _profile(tmp_path, entry)
    res = _score(pkg, "--profile", prof, "-o", tmp_path / "r.json")
    assert res.exit_code == 2, res.output
    assert "override.yaml" in res.output and words in res.output and "Traceback" not in res.output


def test_override_with_source_is_used_and_reported(tmp_path):
    pkg = _package(tmp_path)
    prof = _profile(tmp_path, GOOD)
    out = tmp_path / "out"
    res = _score(pkg, "--profile", prof, "-o", out / "r.json", "-o", out / "r.md", "-o", out / "r.html")
    assert res.exit_code in (0, 3), res.output
    data = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert data["run"]["calendar_overrides"] == [
        {"year": 2021, "file": "calendar/2021.yaml", "source": f"{SOURCE},2020-11-25"}]
    for name in ("r.md", "r.html"):
        text = (out / name).read_text(encoding="utf-8").replace("\\", "")  # Markdown escapes: calendar/2021\.yaml
        assert "2021 年未采用官方法定节假日日历" in text and "calendar/2021.yaml" in text and "国办发明电〔2020〕27号" in text
    # the file's schedule is really used: the same profile without the file counts differently
    shutil.rmtree(pkg / "calendar")
    res = _score(pkg, "--profile", prof, "-o", out / "plain.json")
    assert res.exit_code in (0, 3), res.output
    plain = json.loads((out / "plain.json").read_text(encoding="utf-8"))
    assert plain["run"]["calendar_overrides"] == []

    def check(result, no, cid):
        item = next(i for i in result["indicators"] if i["no"] == no)
        return next(c for c in item["checks"] if c["id"] == cid)

    assert check(plain, 49, "license_penalty_within_7")["status"] == "pass"
    assert check(data, 49, "license_penalty_within_7")["status"] == "fail"


def test_profile_changes_name_the_override(tmp_path):
    from engine.rules.catalog import load_catalog
    from engine.rules.profiles import calendar_overrides, tailor

    tailored = tailor(load_catalog(), _profile(tmp_path, GOOD))
    assert any("2021 年安排" in c and "国办发明电" in c for c in tailored.changes)
    assert calendar_overrides(tailored) == {2021: f"{SOURCE},2020-11-25"}
