"""Working days (工作日) on the official Chinese calendar, 调休 make-up days included.

Backed by ``chinese-calendar`` (State Council schedules); years it does not cover can be supplied
as data (``extra`` schedules: holidays and make-up workdays), otherwise a clear ``CalendarError``.
Counting is O(1) per query from a cumulative index built once per calendar.
"""

from __future__ import annotations

import datetime as dt
import os
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import chinese_calendar

from engine.errors import CalendarError, InputError, Problem
from engine.files import PACKAGE, SHARED_CALENDAR_DIR, list_dir, read_bytes
from engine.yamlio import parse_yaml_bytes


@dataclass
class YearSchedule:
    year: int
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)  # make-up working days on weekends (调休上班)
    source: str = ""  # the file it was read from (for messages)


def _library_years() -> tuple[int, int]:
    days = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
    return min(d.year for d in days), max(d.year for d in days)


_CUM_CACHE: dict[tuple, list[int]] = {}  # schedules -> cumulative working-day index (read-only once built)


class WorkCalendar:
    def __init__(self, extra: list[YearSchedule] | None = None, overridden: list[tuple[int, str, str]] | None = None):
        self.first_year, self.last_year = _library_years()
        self.extra = {s.year: s for s in (extra or [])}
        # covered years whose official schedule a file replaced (allowed by the profile): (year, file, cited source)
        self.overridden = list(overridden or [])
        self._origin: dt.date | None = None
        self._cum: list[int] = []

    def covers(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year or year in self.extra

    def is_workday(self, day: dt.date) -> bool:
        if day.year in self.extra:
            s = self.extra[day.year]
            if day in s.workdays:
                return True
            if day in s.holidays:
                return False
            return day.weekday() < 5
        if not self.covers(day.year):
            raise self._error(day)
        return chinese_calendar.is_workday(day)

    def _error(self, day: dt.date) -> CalendarError:
        return CalendarError(
            f"日期 {day.isoformat()} 超出法定节假日日历的覆盖范围({self.first_year}–{self.last_year}年),无法计算工作日。"
            f"请在证据包中添加 calendar/{day.year}.yaml(国务院办公厅公布的 {day.year} 年放假安排:holidays 放假日期、"
            f"workdays 调休上班日期),或放入共享目录并用 --calendar 目录 或环境变量 {CALENDAR_ENV} 指定;格式见 evidence/FORMAT.md。"
        )

    def _ensure(self, day: dt.date) -> None:
        if not self.covers(day.year):
            raise self._error(day)
        if self._cum:  # built for every covered year at once; schedules do not change after construction
            return
        years = [y for y in range(self.first_year, self.last_year + 1)] + sorted(self.extra)
        lo, hi = min(years), max(years)
        origin = dt.date(lo, 1, 1)
        if self._origin == origin and len(self._cum) == (dt.date(hi, 12, 31) - origin).days + 2:
            return
        key = (origin, hi, self.first_year, self.last_year,
               tuple((y, frozenset(e.holidays), frozenset(e.workdays)) for y, e in sorted(self.extra.items())))
        cached = _CUM_CACHE.get(key)
        if cached is not None:  # same schedules, same index: built once per process, not once per package
            self._origin, self._cum = origin, cached
            return
        self._origin = origin
        total = (dt.date(hi, 12, 31) - origin).days + 1
        cum = [0] * (total + 1)
        running = 0
        # The library's own tables, read directly (its is_workday validates every date: ~20 µs a day).
        lib_holidays, lib_workdays = chinese_calendar.holidays, chinese_calendar.workdays
        for i in range(total):
            d = origin + dt.timedelta(days=i)
            if d.year in self.extra:
                running += self.is_workday(d)
            elif self.first_year <= d.year <= self.last_year:
                running += d in lib_workdays or (d not in lib_holidays and d.weekday() < 5)
            cum[i + 1] = running
        self._cum = cum
        _CUM_CACHE[key] = cum

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (the start day is not counted).

        Negative when ``end`` is before ``start``.
        """
        if end < start:
            return -self.workdays_between(end, start)
        self._ensure(start)
        self._ensure(end)
        a = (start - self._origin).days + 1
        b = (end - self._origin).days + 1
        return self._cum[b] - self._cum[a]

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start``."""
        self._ensure(start)
        target = self._cum[(start - self._origin).days + 1] + n
        index = bisect_right(self._cum, target - 1)
        day = self._origin + dt.timedelta(days=index - 1)
        self._ensure(day)
        return day


CALENDAR_ENV = "SCORECARD_CALENDAR_DIR"
SHARED_DIRS: list[Path] = []  # set by ``--calendar DIR`` on the command line


def shared_calendar_dirs() -> list[Path]:
    """Shared schedule folders: ``--calendar DIR`` first, then ``$SCORECARD_CALENDAR_DIR`` (os.pathsep-separated)."""
    dirs = list(SHARED_DIRS)
    for part in os.environ.get(CALENDAR_ENV, "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part.strip()))
    return dirs


def package_calendar(root: Path, shared: list[Path] | None = None,
                     overrides: dict[int, str] | None = None) -> WorkCalendar:
    """Calendar for a package: the library, then shared folders, then the package's own ``calendar/``
    (a year given in the package wins over the same year in a shared folder).

    Schedule files may only add years the official calendar (chinese-calendar) lacks: a file for a covered year
    would silently replace the State Council schedule, so it is a located error — unless ``overrides`` (the
    profile's ``calendar_overrides``: year -> cited source) names that year; the calendar then records the
    override (year, file, source) for the report.
    """
    overrides = overrides or {}
    schedules: dict[int, YearSchedule] = {}
    for directory in (shared if shared is not None else shared_calendar_dirs()):
        if not directory.is_dir():
            raise InputError(Problem(str(directory), "共享节假日安排目录不存在", expected="含 <年份>.yaml 的目录(--calendar 或 "
                                     f"{CALENDAR_ENV})", code="calendar"))
        for s in load_schedules(directory):
            schedules[s.year] = s
    own: dict[int, YearSchedule] = {}
    for s in load_schedules(root / "calendar", root):
        if s.year in own:
            raise InputError(Problem(s.source, f"{s.year} 年的放假安排重复提供(另见 {own[s.year].source})", code="calendar"))
        own[s.year] = s
    schedules.update(own)
    first, last = _library_years()
    covered = [s for s in schedules.values() if first <= s.year <= last]
    refused = [s for s in covered if s.year not in overrides]
    if refused:
        raise InputError([Problem(s.source, f"{s.year} 年已由官方法定节假日日历({first}–{last}年)覆盖,不能用文件替换",
                                  expected=f"只为 {last + 1} 年及以后(官方日历尚未收录的年份)提供放假安排;确需替换的,在评估方案"
                                  f"(profile)的 calendar_overrides 中写明 year: {s.year}、source(国务院办公厅通知的标题和文号)"
                                  "和 issued(通知日期)", code="calendar")
                          for s in sorted(refused, key=lambda s: s.year)])
    overridden = [(s.year, s.source, overrides[s.year]) for s in sorted(covered, key=lambda s: s.year)]
    return WorkCalendar(sorted(schedules.values(), key=lambda s: s.year), overridden)


def load_schedules(directory: Path, display_root: Path | None = None) -> list[YearSchedule]:
    """Read ``<dir>/<year>.yaml`` files: ``{year: 2027, holidays: [dates], workdays: [dates]}``."""
    out = []
    if not os.path.lexists(directory):
        return out
    root = display_root if display_root is not None else directory
    scope = PACKAGE if display_root is not None else SHARED_CALENDAR_DIR
    shown_dir = directory.relative_to(display_root).as_posix() + "/" if display_root else str(directory)
    for path in list_dir(root, directory, shown_dir, scope):
        if path.suffix.lower() not in (".yaml", ".yml") or path.name.startswith("."):
            continue
        rel = path.relative_to(display_root).as_posix() if display_root else str(path)
        data, _ = parse_yaml_bytes(read_bytes(root, path, rel, scope=scope), rel)
        data = data if data is not None else {}
        try:
            if not isinstance(data, dict):
                raise TypeError("内容应为映射")
            year = int(data["year"])
            if not 1900 <= year <= 2200:
                raise ValueError(f"年份 {year} 不合理")
            if path.stem != str(year):
                raise ValueError(f"文件名 {path.name} 与 year: {year} 不一致")
            for key in ("holidays", "workdays"):
                if not isinstance(data.get(key) or [], list):
                    raise TypeError(f"{key} 应为日期列表")
            hol = {_as_date(d) for d in data.get("holidays") or []}
            work = {_as_date(d) for d in data.get("workdays") or []}
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            detail = f"缺少 {exc}" if isinstance(exc, KeyError) else str(exc)[:200]
            raise InputError(Problem(rel, f"节假日安排文件格式错误:{detail}", expected="year: 年份; holidays: [日期]; workdays: [日期]",
                                     code="calendar")) from None
        if hol & work:
            raise InputError(Problem(rel, f"日期 {min(hol & work)} 同时列为放假日和调休上班日", code="calendar"))
        bad = [d for d in hol | work if d.year != year]
        if bad:
            raise InputError(Problem(rel, f"日期 {min(bad)} 不属于 {year} 年", code="calendar"))
        out.append(YearSchedule(year, hol, work, source=rel))
    return out


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, (str, int)):
        raise TypeError("日期应为 YYYY-MM-DD 文本")
    return dt.date.fromisoformat(str(value)[:40])
