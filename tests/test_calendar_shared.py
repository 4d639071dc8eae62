"""Official holiday schedules for years the calendar library lacks: in the package or a shared folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.errors import CalendarError, InputError
from engine.evaluate import workdays
from engine.evaluate.workdays import CALENDAR_ENV, package_calendar

YEAR = 2031  # far beyond chinese-calendar's coverage
SCHEDULE = f"year: {YEAR}\nholidays: [{YEAR}-01-01, {YEAR}-10-01, {YEAR}-10-02, {YEAR}-10-03]\nworkdays: [{YEAR}-09-28]\n"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(CALENDAR_ENV, raising=False)
    monkeypatch.setattr(workdays, "SHARED_DIRS", [])


def _pkg(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "ledgers").mkdir(parents=True)
    return tmp_path / "pkg"


def test_without_schedule_the_error_names_date_and_remedy(tmp_path):
    cal = package_calendar(_pkg(tmp_path))
    with pytest.raises(CalendarError) as exc:
        cal.workdays_between(dt.date(YEAR, 9, 25), dt.date(YEAR, 10, 8))
    text = str(exc.value)
    assert f"{YEAR}-09-25" in text and f"calendar/{YEAR}.yaml" in text and CALENDAR_ENV in text and "--calendar" in text



def test_schedule_in_package(tmp_path):
    pkg = _pkg(tmp_path)
    (pkg / "calendar").mkdir()
    (pkg / "calendar" / f"{YEAR}.yaml").write_text(SCHEDULE, encoding="utf-8")
    cal = package_calendar(pkg)
    assert cal.is_workday(dt.date(YEAR, 9, 28)) and not cal.is_workday(dt.date(YEAR, 10, 1))
    # 9-27 Sat off, 9-28 Sun make-up, 9-29..9-30 Mon-Tue, 10-01..03 holiday, 10-04/05 weekend, 10-06 Mon
    assert cal.workdays_between(dt.date(YEAR, 9, 26), dt.date(YEAR, 10, 6)) == 4


def test_schedule_in_shared_folder_via_env(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / f"{YEAR}.yaml").write_text(SCHEDULE, encoding="utf-8")
    monkeypatch.setenv(CALENDAR_ENV, str(shared))
    cal = package_calendar(_pkg(tmp_path))
    assert cal.covers(YEAR) and not cal.is_workday(dt.date(YEAR, 10, 2))


def test_package_schedule_wins_over_shared(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / f"{YEAR}.yaml").write_text(SCHEDULE, encoding="utf-8")
    pkg = _pkg(tmp_path)
    (pkg / "calendar").mkdir()
    (pkg / "calendar" / f"{YEAR}.yaml").write_text(f"year: {YEAR}\nholidays: []\nworkdays: []\n", encoding="utf-8")
    cal = package_calendar(pkg, [shared])
    assert cal.is_workday(dt.date(YEAR, 10, 1))


def test_cli_calendar_option_and_bad_shared_file(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / f"{YEAR}.yaml").write_text(f"year: {YEAR}\nholidays: [{YEAR + 1}-01-01]\n", encoding="utf-8")
    pkg = _pkg(tmp_path)
    (pkg / "unit.yaml").write_text("name: 某县\ntype: 县\nperiod: {start: 2021-01-01, end: 2022-12-31}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pkg), "--calendar", str(shared)])
    assert result.exit_code == 2, result.output
    assert f"{YEAR}.yaml" in result.output and f"不属于 {YEAR} 年" in result.output
    (shared / f"{YEAR}.yaml").write_text(SCHEDULE, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pkg), "--calendar", str(shared)])
    assert result.exit_code == 0, result.output
    assert workdays.SHARED_DIRS == [shared]


def test_missing_shared_folder_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv(CALENDAR_ENV, str(tmp_path / "nope"))
    with pytest.raises(InputError) as exc:
        package_calendar(_pkg(tmp_path))
    assert "共享节假日安排目录不存在" in exc.value.problems[0].message
