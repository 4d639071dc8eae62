"""Results store benchmark (issue 14). Prints figures, exit code 1 when a target is missed.

    python bench/bench_store.py [--units 1000] [--skip-pg]

- store: the W3 batch (``--units`` W1-sized units: 4 generated W1 packages hard-linked under distinct unit names,
  see bench.py) stored as 评估 rounds into SQLite and into PostgreSQL (a throwaway cluster, as in the tests):
  every unit's files archived by SHA-256, the result JSON, 87 indicator rows, the check rows, the archived-file
  rows and the rectification items. The four packages are scored once each and their results stored under each
  unit's name (scoring 1,000 packages is bench.py's W3, not the store's cost). Figures: wall time, units/s, rows/s,
  database size, archive size.
- ranking: ``queries.ranking`` over all units (each with 87 indicator rows), median of 5 (target ≤ 1 s).
- history: ``queries.history`` of one unit with 5 rounds, median of 20 (target ≤ 50 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

RANKING_TARGET, HISTORY_TARGET = 1.0, 0.050


def scored_variants():
    import bench
    from engine.evaluate import load_rules, score
    from engine.evaluate.backends import get_backend
    from evidence.package import load_package

    rules = load_rules()
    out = []
    for seed in (1, 2, 3, 4):
        pkg = load_package(bench.w1_package(seed), rules.ledgers)
        out.append(score(pkg, rules, get_backend()))
    return rules, out


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def table_rows(store) -> int:
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        return sum(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                   for t in ("units", "assessments", "indicator_results", "check_results", "assessment_files",
                             "rectification_items"))


def run_backend(label: str, url: str, archive: Path, w3: Path, units: int, rules, variants) -> dict:
    import sqlalchemy as sa

    from engine.rules.catalog import DEFAULT_RULES
    from engine.rules.profiles import resolve_profile
    from engine.store.db import init_db, open_store
    from engine.store.queries import history, ranking
    from engine.store.record import RoundInput, record_round

    init_db(url)
    store = open_store(url, archive)
    profile = resolve_profile("base")
    t0 = time.perf_counter()
    for i in range(1, units + 1):
        base = variants[i % len(variants)]
        scored = base.model_copy(update={"unit": base.unit.model_copy(update={"name": f"基准{i:04d}县人民政府"})})
        record_round(store, RoundInput(package=w3 / f"u{i:04d}", scored=scored, rules_dir=DEFAULT_RULES,
                                       profile_file=profile, kind="评估", register=True), rules.catalog)
        if i % 100 == 0:
            print(f"  {label}:已存入 {i} 个单位({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    wall = time.perf_counter() - t0
    rows = table_rows(store)
    # four more rounds of unit 1 for the history query: 5 rounds in all
    uid = f"{variants[0].unit.region}/基准0001县人民政府"
    for kind, start, end in (("自评", "2021-01-01", "2022-12-31"), ("复核", "2021-01-01", "2022-12-31"),
                             ("自评", "2023-01-01", "2024-12-31"), ("评估", "2023-01-01", "2024-12-31")):
        scored = variants[1].model_copy(deep=True)
        scored.unit.name, scored.unit.period_start, scored.unit.period_end = "基准0001县人民政府", start, end
        record_round(store, RoundInput(package=w3 / "u0001", scored=scored, rules_dir=DEFAULT_RULES, profile_file=profile,
                                       kind=kind), rules.catalog)
    rank_times, hist_times = [], []
    for _ in range(5):
        with store.session() as s:
            t = time.perf_counter()
            ranked = ranking(s, "评估")
            rank_times.append(time.perf_counter() - t)
    for _ in range(20):
        with store.session() as s:
            t = time.perf_counter()
            _, rounds = history(s, uid)
            hist_times.append(time.perf_counter() - t)
    assert len(ranked) == units and len(rounds) == 5, (len(ranked), len(rounds))
    if url.startswith("postgresql"):
        with store.engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    else:
        size = Path(url).stat().st_size
    store.dispose()
    return {"label": label, "wall": wall, "rows": rows, "size": size, "archive": du(archive),
            "ranking": statistics.median(rank_times), "history": statistics.median(hist_times)}


def main() -> None:
    ap = argparse.ArgumentParser(description="结果库性能基准")
    ap.add_argument("--units", type=int, default=1000, help="W3 单位数(默认 1000)")
    ap.add_argument("--skip-pg", action="store_true", help="不测 PostgreSQL")
    args = ap.parse_args()
    import bench

    print(f"准备 W3({args.units} 个单位)与 4 个 W1 证据包的评分结果……", file=sys.stderr, flush=True)
    w3 = bench.w3_packages(args.units)
    rules, variants = scored_variants()
    results = []
    with tempfile.TemporaryDirectory(prefix="scorecard-bench-store-") as tmp:
        tmp = Path(tmp)
        results.append(run_backend("SQLite", str(tmp / "bench.db"), tmp / "sqlite.archive", w3, args.units, rules, variants))
        if not args.skip_pg:
            from store_support import start_cluster

            server = start_cluster()
            if server is None:
                print("未找到 PostgreSQL 服务器程序(initdb、pg_ctl),跳过 PostgreSQL", file=sys.stderr)
            else:
                try:
                    url = server.create_database()
                    results.append(run_backend("PostgreSQL", url, tmp / "pg.archive", w3, args.units, rules, variants))
                finally:
                    server.stop()
    print(f"结果库基准:{args.units} 个单位(W3),每个单位 87 项指标;2 核机器,{time.strftime('%Y-%m-%d')}")
    print(f"{'数据库':<12}{'入库耗时 s':>10}{'单位/s':>9}{'行数':>11}{'行/s':>10}{'库大小 MB':>11}{'归档 MB':>9}"
          f"{'排名 ms':>9}{'历史 ms':>9}")
    missed = []
    for r in results:
        print(f"{r['label']:<12}{r['wall']:>10.1f}{args.units / r['wall']:>9.1f}{r['rows']:>11,}{r['rows'] / r['wall']:>10,.0f}"
              f"{r['size'] / 2**20:>11.1f}{r['archive'] / 2**20:>9.1f}{r['ranking'] * 1000:>9.1f}{r['history'] * 1000:>9.2f}")
        if r["ranking"] > RANKING_TARGET:
            missed.append(f"{r['label']} 排名查询 {r['ranking']:.2f} s > {RANKING_TARGET} s")
        if r["history"] > HISTORY_TARGET:
            missed.append(f"{r['label']} 历史查询 {r['history'] * 1000:.1f} ms > {HISTORY_TARGET * 1000:.0f} ms")
    print("目标:排名查询 ≤1 s,单位历史(5 轮)≤50 ms。" + ("全部达标。" if not missed else "未达标:" + ";".join(missed)))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
