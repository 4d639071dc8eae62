"""Rebuild the bundled example packages (deterministic): ``python examples/make_examples.py``.

good-county: a fictional county whose automated checks all pass (review items stay pending).
weak-town:   a fictional township built the same way, then with planted failures:
  - E-00001: first authoritative release 7 hours after a 重大 emergency (indicator 73, limit 5 h);
  - ND-00002: a normative document never submitted to legality review (22);
  - 2022 has only 3 法治专题学习 sessions (83, at least 4 a year);
  - the 2021 行政执法统计年报 published on 2022-02-15 (48, by 31 January);
  - officer S-00001 with 35 training hours in 2022 (60, at least 40 a year).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from engine.evaluate import load_rules  # noqa: E402
from engine.synth import generate  # noqa: E402


def edit(path: Path, change) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    body = change(header, body)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])


def set_cell(header, row, column, value):
    row[header.index(column)] = value


def main() -> None:
    rules = load_rules()
    good = HERE / "good-county"
    shutil.rmtree(good, ignore_errors=True)
    generate(rules, good, seed=11, unit={
        "name": "青山县人民政府", "type": "县", "region": "示例省示例市",
        "period": {"start": "2021-01-01", "end": "2022-12-31"}, "inspection_date": "2023-03-15"})

    weak = HERE / "weak-town"
    shutil.rmtree(weak, ignore_errors=True)
    generate(rules, weak, seed=12, unit={
        "name": "柳溪镇人民政府", "type": "镇", "region": "示例省示例市青山县",
        "period": {"start": "2021-01-01", "end": "2022-12-31"}, "inspection_date": "2023-03-20"})
    led = weak / "ledgers"

    def late_release(header, body):
        for row in body:
            if row[0] == "E-00001":
                occurred = dt.datetime.strptime(row[header.index("事件发生时间")], "%Y-%m-%d %H:%M")
                set_cell(header, row, "首次发布权威信息时间", (occurred + dt.timedelta(hours=7)).strftime("%Y-%m-%d %H:%M"))
        return body

    def unreviewed(header, body):
        for row in body:
            if row[0] == "ND-00002":
                set_cell(header, row, "是否经合法性审核", "否")
        return body

    def three_sessions(header, body):
        sessions = [r for r in body if r[header.index("活动类型")] == "法治专题学习" and r[header.index("活动日期")].startswith("2022")]
        drop = {id(r) for r in sessions[3:]}
        return [r for r in body if id(r) not in drop]

    def late_report(header, body):
        for row in body:
            if row[header.index("报告类型")] == "行政执法统计年报" and row[header.index("报告年度")] == "2021":
                set_cell(header, row, "公开日期", "2022-02-15")
        return body

    def short_hours(header, body):
        rows_2022 = [r for r in body if r[header.index("人员编号")] == "S-00001" and r[header.index("培训日期")].startswith("2022")]
        excess = sum(float(r[header.index("学时")]) for r in rows_2022) - 35
        for row in rows_2022:  # take the excess off the first records, never below zero hours
            hours = float(row[header.index("学时")])
            cut = min(hours, excess)
            set_cell(header, row, "学时", f"{hours - cut:g}")
            excess -= cut
        return body

    edit(led / "emergencies.csv", late_release)
    edit(led / "normative_documents.csv", unreviewed)
    edit(led / "activities.csv", three_sessions)
    edit(led / "annual_reports.csv", late_report)
    edit(led / "training_records.csv", short_hours)


if __name__ == "__main__":
    main()
