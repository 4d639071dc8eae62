"""The engine (all 87 indicators) against what an analyst would write instead: a polars and a pandas script of 5 checks.

Usage: python bench/side_by_side.py {engine|polars|pandas} PACKAGE   (bench/run runs each in its own process and
compares). Each prints one JSON line: the 5 checks' figures and the seconds spent after start-up.

The 5 checks, as the indicators define them (creation period from unit.yaml; a record counts when its ledger date is
inside the period):
  legal_review_rate         major enforcement decisions (是否重大执法决定=是) with legality review (是否经法制审核=是)
  license_penalty_within_7  licence/penalty decisions published within 7 working days (official calendar with
                            adjusted working days, chinese_calendar; the decision day not counted; no date = late)
  first_release_5h          特别重大/重大 emergencies with authoritative information within 5 hours
  training_hours            each enforcement officer (staff, 岗位类别=执法人员) ≥ 40 hours of legal training a year
                            (培训类别 one of the four legal categories; the generated staff are in post all year)
  legal_study_sessions      ≥ 4 法治专题学习 activities a year
The scripts read the files as an analyst would (clean CSV: ISO dates, 是/否); the engine reads them as it reads any
package. Both figures must be equal (bench/run asserts it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

LEGAL_TRAINING = ["公共法律知识", "专门法律知识", "新法律法规", "其他法律知识"]
CHECKS = ("legal_review_rate", "license_penalty_within_7", "first_release_5h", "training_hours", "legal_study_sessions")


def _period(pkg: Path) -> tuple[dt.date, dt.date]:
    import yaml

    unit = yaml.safe_load((pkg / "unit.yaml").read_text(encoding="utf-8"))
    p = unit["period"]
    as_date = lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))  # noqa: E731
    return as_date(p["start"]), as_date(p["end"])


def _workday_table(first: dt.date, last: dt.date) -> tuple[list[dt.date], list[int]]:
    """Days from first to last and the number of working days up to and including each (chinese_calendar)."""
    import chinese_calendar

    days, cum, n = [], [], 0
    day = first
    while day <= last:
        n += chinese_calendar.is_workday(day)
        days.append(day)
        cum.append(n)
        day += dt.timedelta(days=1)
    return days, cum


# ------------------------------------------------------------------------------------------------------ engine


def engine(pkg: Path) -> dict:
    from engine.evaluate import load_rules, score
    from engine.evaluate.backends import get_backend
    from evidence.package import load_package

    rules = load_rules()
    result = score(load_package(pkg, rules.ledgers), rules, get_backend("auto"))
    checks = {c.id: c for ind in result.indicators for c in ind.checks if c.id in CHECKS}
    out: dict = {}
    m = re.match(r"[\d.]+%[((](\d+)/(\d+)[))]", checks["legal_review_rate"].actual)
    out["legal_review_rate"] = [int(m.group(1)), int(m.group(2))]
    for cid in ("license_penalty_within_7", "first_release_5h"):
        m = re.match(r"符合 (\d+)/(\d+) 条[((][^))]*[))](?:[,,]最长 ([\d.-]+))?", checks[cid].actual)
        out[cid] = [int(m.group(1)), int(m.group(2)), float(m.group(3)) if m.group(3) else None]
    out["training_hours"] = {str(y.year): [int(x) for x in re.match(r"(\d+)/(\d+)", y.actual).groups()]
                             for y in checks["training_hours"].years}
    out["legal_study_sessions"] = {str(y.year): int(re.search(r"(\d+) 次", y.actual).group(1))
                                   for y in checks["legal_study_sessions"].years}
    return out


# ------------------------------------------------------------------------------------------------------ polars


def polars_script(pkg: Path) -> dict:
    import polars as pl

    start, end = _period(pkg)
    led = pkg / "ledgers"
    read = lambda name: pl.read_csv(led / f"{name}.csv", infer_schema=False)  # noqa: E731
    out: dict = {}
    ec = read("enforcement_cases").with_columns(
        pl.col("执法决定日期").str.to_date("%Y-%m-%d", strict=False).alias("d"),
        pl.col("信息公示日期").str.to_date("%Y-%m-%d", strict=False).alias("p"))
    ec = ec.filter(pl.col("d").is_between(start, end))
    major = ec.filter(pl.col("是否重大执法决定") == "是")
    out["legal_review_rate"] = [major.filter(pl.col("是否经法制审核") == "是").height, major.height]
    lp = ec.filter(pl.col("执法类别").is_in(["行政许可", "行政处罚"]))
    first = min(lp["d"].min(), lp["p"].min() or lp["d"].min())
    last = max(lp["d"].max(), lp["p"].max() or lp["d"].max())
    days, cum = _workday_table(first, last)
    cal = pl.DataFrame({"day": days, "cum": cum})
    lp = (lp.join(cal.rename({"day": "d", "cum": "cd"}), on="d", how="left")
            .join(cal.rename({"day": "p", "cum": "cp"}), on="p", how="left")
            .with_columns((pl.col("cp") - pl.col("cd")).alias("wd")))
    ok = lp.filter(pl.col("wd").is_between(0, 7)).height
    out["license_penalty_within_7"] = [ok, lp.height, float(lp["wd"].max()) if lp["wd"].max() is not None else None]
    em = read("emergencies").with_columns(
        pl.col("事件发生时间").str.to_datetime("%Y-%m-%d %H:%M", strict=False).alias("o"),
        pl.col("首次发布权威信息时间").str.to_datetime("%Y-%m-%d %H:%M", strict=False).alias("f"))
    em = em.filter(pl.col("事件等级").is_in(["特别重大", "重大"]) & pl.col("o").dt.date().is_between(start, end))
    em = em.with_columns(((pl.col("f") - pl.col("o")).dt.total_seconds() / 3600).alias("h"))
    out["first_release_5h"] = [em.filter(pl.col("h").is_between(0, 5)).height, em.height,
                               float(em["h"].max()) if em["h"].max() is not None else None]
    staff = read("staff").filter(pl.col("岗位类别") == "执法人员").select("人员编号")
    tr = read("training_records").with_columns(pl.col("培训日期").str.to_date("%Y-%m-%d").alias("d"),
                                               pl.col("学时").cast(pl.Float64).alias("h"))
    tr = tr.filter(pl.col("d").is_between(start, end) & pl.col("培训类别").is_in(LEGAL_TRAINING))
    tr = tr.with_columns(pl.col("d").dt.year().alias("y"))
    sums = tr.group_by("人员编号", "y").agg(pl.col("h").sum())
    out["training_hours"] = {}
    for year in range(start.year, end.year + 1):
        per = staff.join(sums.filter(pl.col("y") == year), on="人员编号", how="left").with_columns(pl.col("h").fill_null(0))
        out["training_hours"][str(year)] = [per.filter(pl.col("h") >= 40).height, per.height]
    act = read("activities").with_columns(pl.col("活动日期").str.to_date("%Y-%m-%d").alias("d"))
    act = act.filter((pl.col("活动类型") == "法治专题学习") & pl.col("d").is_between(start, end))
    counts = dict(act.group_by(pl.col("d").dt.year()).len().iter_rows())
    out["legal_study_sessions"] = {str(y): counts.get(y, 0) for y in range(start.year, end.year + 1)}
    return out


# ------------------------------------------------------------------------------------------------------ pandas


def pandas_script(pkg: Path) -> dict:
    import pandas as pd

    start, end = _period(pkg)
    ts, te = pd.Timestamp(start), pd.Timestamp(end)
    led = pkg / "ledgers"
    read = lambda name: pd.read_csv(led / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    out: dict = {}
    ec = read("enforcement_cases")
    ec["d"] = pd.to_datetime(ec["执法决定日期"], format="%Y-%m-%d", errors="coerce")
    ec["p"] = pd.to_datetime(ec["信息公示日期"], format="%Y-%m-%d", errors="coerce")
    ec = ec[(ec["d"] >= ts) & (ec["d"] <= te)]
    major = ec[ec["是否重大执法决定"] == "是"]
    out["legal_review_rate"] = [int((major["是否经法制审核"] == "是").sum()), len(major)]
    lp = ec[ec["执法类别"].isin(["行政许可", "行政处罚"])].copy()
    first = min(lp["d"].min(), lp["p"].min()).date()
    last = max(lp["d"].max(), lp["p"].max()).date()
    days, cum = _workday_table(first, last)
    cal = pd.Series(cum, index=pd.to_datetime(days))
    lp["wd"] = lp["p"].map(cal) - lp["d"].map(cal)
    ok = int(lp["wd"].between(0, 7).sum())
    out["license_penalty_within_7"] = [ok, len(lp), float(lp["wd"].max()) if lp["wd"].notna().any() else None]
    em = read("emergencies")
    em["o"] = pd.to_datetime(em["事件发生时间"], format="%Y-%m-%d %H:%M", errors="coerce")
    em["f"] = pd.to_datetime(em["首次发布权威信息时间"], format="%Y-%m-%d %H:%M", errors="coerce")
    em = em[em["事件等级"].isin(["特别重大", "重大"]) & (em["o"].dt.normalize() >= ts) & (em["o"].dt.normalize() <= te)]
    h = (em["f"] - em["o"]).dt.total_seconds() / 3600
    out["first_release_5h"] = [int(h.between(0, 5).sum()), len(em), float(h.max()) if h.notna().any() else None]
    staff = read("staff")
    staff = staff[staff["岗位类别"] == "执法人员"][["人员编号"]]
    tr = read("training_records")
    tr["d"] = pd.to_datetime(tr["培训日期"], format="%Y-%m-%d")
    tr["h"] = tr["学时"].astype(float)
    tr = tr[(tr["d"] >= ts) & (tr["d"] <= te) & tr["培训类别"].isin(LEGAL_TRAINING)].copy()
    tr["y"] = tr["d"].dt.year
    sums = tr.groupby(["人员编号", "y"])["h"].sum().reset_index()
    out["training_hours"] = {}
    for year in range(start.year, end.year + 1):
        per = staff.merge(sums[sums["y"] == year], on="人员编号", how="left")
        out["training_hours"][str(year)] = [int((per["h"].fillna(0) >= 40).sum()), len(per)]
    act = read("activities")
    act["d"] = pd.to_datetime(act["活动日期"], format="%Y-%m-%d")
    act = act[(act["活动类型"] == "法治专题学习") & (act["d"] >= ts) & (act["d"] <= te)]
    counts = act["d"].dt.year.value_counts().to_dict()
    out["legal_study_sessions"] = {str(y): int(counts.get(y, 0)) for y in range(start.year, end.year + 1)}
    return out


def main() -> None:
    kind, pkg = sys.argv[1], Path(sys.argv[2])
    t = time.perf_counter()
    out = {"engine": engine, "polars": polars_script, "pandas": pandas_script}[kind](pkg)
    print(json.dumps({"kind": kind, "seconds": time.perf_counter() - t, "results": out}, ensure_ascii=False))


if __name__ == "__main__":
    main()
