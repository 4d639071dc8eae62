"""scorecard benchmarks (issue 6). Run through ``bench/run``; prints figures, not pass/fail tests.

Workloads
  W1  one typical unit (~25k ledger rows) scored end to end by the CLI, HTML report written
  W2  the same shape with 1,000,000 enforcement rows
  W3  a batch of W1-sized units (1,000; ``--quick``: 50) with ``scorecard batch -j 1`` and ``-j 2``

Every figure is measured in a child process (``os.wait4`` gives that process's peak RSS, including its
own workers). "parse floor" is a process that only imports and runs ``load_package`` on the same files.
"naive durable" is durable_rules used naively: for every predicate (one check condition at a time), a
fresh session, every record of every ledger posted as a fact with all its fields, matches decoded from
the action JSON. It is implemented here only, never in the engine. When it would exceed
``--naive-budget`` seconds it stops and the total is extrapolated from the share of predicates done
(marked "~").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
sys.path.insert(0, str(ROOT))

UNIT = {"name": "基准县人民政府", "type": "县", "region": "某省", "period": {"start": "2021-01-01", "end": "2022-12-31"}}
W1_SIZES = {"normative_documents": 300, "major_decisions": 30, "enforcement_cases": 20000, "disclosure_requests": 500,
            "litigation": 100, "emergencies": 5, "training_records": 500}
SCORECARD = [sys.executable, "-c", "from engine.cli import main; main()"]
W2_ROWS = 1_000_000
BIG_LIMITS = {"SCORECARD_MAX_FILE_MB": "4000", "SCORECARD_MAX_PACKAGE_MB": "5000"}  # W4's ledger is about 1.5 GB


# ---------------------------------------------------------------- data


def rules_digest() -> str:
    from engine.evaluate import load_rules

    return load_rules().digest[:12]


def w1_package(seed: int = 1) -> Path:
    from engine import synth
    from engine.evaluate import load_rules

    rules = load_rules()
    out = DATA / f"w1-{rules.digest[:12]}-s{seed}"
    if not (out / "unit.yaml").exists():
        tmp = Path(tempfile.mkdtemp(dir=DATA))
        synth.generate(rules, tmp, unit=dict(UNIT), sizes=W1_SIZES, seed=seed, violation_share=0.05)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out


def w2_package(rows: int, seed: int = 1) -> Path:
    """The W1 shape with ``rows`` enforcement decisions, every row generated (no repeated rows)."""
    from engine import synth
    from engine.evaluate import load_rules

    rules = load_rules()
    out = DATA / f"w2-{rules.digest[:12]}-s{seed}-{rows}-gen"
    if not (out / "unit.yaml").exists():
        print(f"生成 W2({rows:,} 行执法决定,约 90 秒/百万行,仅首次)……", file=sys.stderr, flush=True)
        tmp = Path(tempfile.mkdtemp(dir=DATA))
        synth.generate(rules, tmp, unit=dict(UNIT), sizes=dict(W1_SIZES, enforcement_cases=rows), seed=seed,
                       violation_share=0.05)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out


def w4_package(rows: int) -> Path:
    """W2's package with its enforcement ledger repeated to ``rows`` rows, case numbers made distinct per copy
    (EC-00001 -> EC1-00001 ...). Written line blocks at a time: 10,000,000 rows in about half a minute."""
    src = w2_package(W2_ROWS)
    out = DATA / f"w4-{rules_digest()}-{rows}"
    if (out / "unit.yaml").exists():
        return out
    print(f"生成 W4({rows:,} 行执法决定,由 W2 复制而成,仅首次)……", file=sys.stderr, flush=True)
    tmp = Path(tempfile.mkdtemp(dir=DATA))
    (tmp / "ledgers").mkdir()
    for f in (src / "ledgers").iterdir():
        if f.name != "enforcement_cases.csv":
            os.link(f, tmp / "ledgers" / f.name)
    shutil.copy(src / "unit.yaml", tmp / "unit.yaml")
    with open(src / "ledgers" / "enforcement_cases.csv", "rb") as fh:
        header = fh.readline()
        body = fh.read()
    lines = body.count(b"\n")
    written = 0
    with open(tmp / "ledgers" / "enforcement_cases.csv", "wb") as out_fh:
        out_fh.write(header)
        copy = 0
        while written < rows:
            block = body if copy == 0 else b"\n" + body[:-1]
            if copy:
                block = block.replace(b"\nEC-", b"\nEC%d-" % copy)[1:] + b"\n"
            take = min(lines, rows - written)
            if take < lines:
                block = b"".join(block.splitlines(keepends=True)[:take])
            out_fh.write(block)
            written += take
            copy += 1
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def w3_packages(units: int) -> Path:
    """``units`` unit directories: 4 generated W1 variants (seeds 1-4) hard-linked under distinct unit names."""
    out = DATA / f"w3-{rules_digest()}-{units}"
    if (out / f"u{units:04d}" / "unit.yaml").exists():
        return out
    import yaml

    variants = [w1_package(seed) for seed in (1, 2, 3, 4)]
    shutil.rmtree(out, ignore_errors=True)
    for i in range(1, units + 1):
        src = variants[i % len(variants)]
        dst = out / f"u{i:04d}"
        (dst / "ledgers").mkdir(parents=True)
        for f in (src / "ledgers").iterdir():
            os.link(f, dst / "ledgers" / f.name)
        unit = dict(UNIT, name=f"基准{i:04d}县人民政府")
        (dst / "unit.yaml").write_text(yaml.safe_dump(unit, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def count_rows(pkg: Path) -> int:
    n = 0
    for f in (pkg / "ledgers").iterdir():
        if f.suffix == ".csv":
            with open(f, "rb") as fh:
                n += max(0, sum(1 for line in fh if line.strip()) - 1)
    return n


# ---------------------------------------------------------------- measuring a child process


# As installed: Python reads the modules' cached bytecode (pip compiles a wheel's modules at install time, Python writes
# them on a first run). This machine's PYTHONDONTWRITEBYTECODE=1 would have every run compile every engine module from
# source (about 60 ms of W1) when the checkout has none: the first run writes them (git-ignored __pycache__ folders).
INSTALLED_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
W1_RUNS = 5  # W1 is short: the median of this many runs (after a warm-up run), as bench/bench_startup.py does
# the parse floor and the polars read are each a fraction of a second: their ratio is the median of this many runs of
# each, alternating (one pair of single runs moved it by 0.15x from run to run on this machine)
FLOOR_RUNS = 5


def measure(cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> dict:
    """Run ``cmd``; wall seconds, peak RSS (MB) of the process and the children it waited for, its stdout.

    Run from this process, which never holds a package (data is generated in a child): a child's ru_maxrss starts
    from its parent's at fork, so a large parent would inflate every figure."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env={**INSTALLED_ENV, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    # CPU of the process and the descendants it reaped (Linux wait4 includes them): batch workers count
    return {"wall": wall, "rss": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime, "rc": proc.returncode,
            "stdout": stdout, "stderr": stderr}


def _median(runs: list[dict]) -> dict:
    """The run of median wall time (of an odd number of runs)."""
    return sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]


def child_parse(pkg: str) -> None:
    """Import the intake and read the package: the ledger definitions come from evidence/ledgers.yaml (the catalog
    ``load_rules().ledgers`` holds, checked equal by ``test_parse_floor_reads_the_catalog_the_rules_use``), not
    through the rule engine, whose import (~150 ms) is no part of reading. The process is run as the command line
    runs one (``engine.process``: OpenBLAS on one thread, the collector paused for the imports, frozen at exit)."""
    t = time.perf_counter()
    from engine import process

    process.limit_blas()
    process.pause_gc()
    process.freeze_at_exit()
    from evidence.package import load_ledger_catalog, load_package

    catalog = load_ledger_catalog()
    process.resume_gc()
    t1 = time.perf_counter()
    p = load_package(Path(pkg), catalog)
    print(json.dumps({"load": time.perf_counter() - t1, "import": t1 - t, "rows": sum(len(x.records) for x in p.ledgers.values())}))


def child_polars_read(pkg: str) -> None:
    """What a columnar read of the same files costs: polars reads every CSV ledger, every column as text."""
    t = time.perf_counter()
    import polars as pl

    t1 = time.perf_counter()
    rows = sum(pl.read_csv(f, infer_schema=False).height for f in sorted((Path(pkg) / "ledgers").glob("*.csv")))
    print(json.dumps({"read": time.perf_counter() - t1, "import": t1 - t, "rows": rows}))


def child_naive(pkg: str, budget: float) -> None:
    """durable_rules used naively: per predicate, a fresh session with every record of every ledger as a fact."""
    from durable.engine import durable_rules_engine as core

    from engine.evaluate import load_rules
    from engine.rules.conditions import normalise_value
    from evidence.package import load_package

    rules = load_rules()
    package = load_package(Path(pkg), rules.ledgers)
    start = time.perf_counter()
    records = []
    for name in sorted(package.ledgers):
        code = rules.ledger_code(name)
        for i, rec in enumerate(package.ledgers[name].records):
            fact = {k: normalise_value(v) for k, v in rec.items() if v is not None}
            fact["_l"], fact["_i"] = code, i
            records.append(fact)
    definition = rules.durable_ruleset()
    done = 0
    matches = 0
    asserted = 0
    out_of_time = False
    for p in rules.predicates:
        rule = f"p{p.index}"
        handle = core.create_ruleset(f"naive_{p.index}", json.dumps({rule: definition[rule]}, ensure_ascii=False))
        sid = f"s{p.index}"
        for fid, fact in enumerate(records):
            if fid % 10000 == 0 and time.perf_counter() - start > budget:
                out_of_time = True
                break
            asserted += 1
            code, state = core.assert_fact(handle, json.dumps({**fact, "sid": sid, "id": fid}, ensure_ascii=False))
            if code == 0:
                action = core.start_action_for_state(handle, state)
                while action:
                    for _, m in json.loads(action[1]).items():
                        matches += len(m) if isinstance(m, list) else 1
                    following = core.complete_and_start_action(handle, state)
                    action = (None, following) if following else None
        if out_of_time:
            break
        done += 1  # sessions are left in place: durable's delete_state segfaulted here on some rulesets
        if time.perf_counter() - start > budget:
            break
    elapsed = time.perf_counter() - start
    total = len(rules.predicates)
    share = asserted / (total * max(1, len(records)))  # of all (predicate, record) assertions
    print(json.dumps({"match": elapsed / share if share else 0.0, "ran": elapsed, "extrapolated": share < 1, "done": done, "predicates": total,
                      "facts": len(records), "matches": matches}), flush=True)
    os._exit(0)  # durable's C core can crash at interpreter exit after many rulesets; the figure is already out


# ---------------------------------------------------------------- workloads


def run_unit(label: str, pkg: Path, naive_budget: float, tmp: Path, env: dict | None = None, naive: bool = True,
             floor: bool = True) -> dict:
    rows = count_rows(pkg)
    print(f"{label} ……", file=sys.stderr, flush=True)
    cmd = SCORECARD + ["score", str(pkg), "--format", "html", "-o", str(tmp / f"{label}.html")]
    e2e = measure(cmd, env=env)
    if e2e["rc"] != 0:
        raise SystemExit(f"{label} 评分失败:{e2e['stderr'][-2000:]}")
    if label == "W1":  # the run above was the warm-up
        runs = sorted((measure(cmd, env=env) for _ in range(W1_RUNS)), key=lambda r: r["wall"])
        e2e = {**runs[len(runs) // 2], "rss": max(r["rss"] for r in runs)}
    out = {"label": label, "rows": rows, "wall": e2e["wall"], "rss": e2e["rss"], "parse": None, "naive": None,
           "naive_extrapolated": False, "naive_note": "未运行", "naive_rss": 0, "parse_load": None, "parse_rss": 0,
           "polars": None}
    if floor:
        parses, polars = [], []
        for _ in range(FLOOR_RUNS):
            parse = measure([sys.executable, __file__, "--child-parse", str(pkg)], env=env)
            parses.append({**parse, **json.loads(parse["stdout"])})
            pol = measure([sys.executable, __file__, "--child-polars-read", str(pkg)], env=env)
            if pol["rc"] == 0:
                polars.append({**pol, **json.loads(pol["stdout"])})
        parse = _median(parses)
        out.update(parse=parse["wall"], parse_rss=max(p["rss"] for p in parses), parse_load=parse["load"],
                   parse_walls=[p["wall"] for p in parses])
        if polars:
            pol = _median(polars)
            out.update(polars=pol["wall"], polars_read=pol["read"], polars_walls=[p["wall"] for p in polars])
    if naive:
        nr = measure([sys.executable, __file__, "--child-naive", str(pkg), "--naive-budget", str(naive_budget)])
        nv = json.loads(nr["stdout"]) if nr["stdout"].strip() else None
        if nv:
            # process wall minus the matching actually run, plus the (possibly extrapolated) full matching time
            out["naive"] = nr["wall"] - nv["ran"] + nv["match"]
        out.update(naive_rss=nr["rss"], naive_extrapolated=bool(nv and nv["extrapolated"]),
                   naive_note=f"{nv['done']}/{nv['predicates']} 条谓词" if nv else nr["stderr"][-300:])
    return out


def side_by_side(pkg: Path) -> dict:
    """The engine (all 87 indicators) and a polars and a pandas script of 5 checks, each a whole process."""
    out = {}
    for kind in ("engine", "polars", "pandas"):
        print(f"对照 {kind} ……", file=sys.stderr, flush=True)
        r = measure([sys.executable, str(HERE / "side_by_side.py"), kind, str(pkg)])
        if r["rc"] != 0:
            out[kind] = {"error": r["stderr"][-500:]}
            continue
        out[kind] = {**json.loads(r["stdout"].strip().splitlines()[-1]), "wall": r["wall"], "rss": r["rss"]}
    return out


def run_batch(label: str, parent: Path, jobs: int, tmp: Path) -> dict:
    out = tmp / f"{label}-j{jobs}"
    r = measure(SCORECARD + ["batch", str(parent), "-j", str(jobs), "-o", str(out), "--no-progress", "--top", "0"])
    if r["rc"] != 0:
        raise SystemExit(f"{label} 批量评分失败:{r['stderr'][-2000:]}")
    return r


def fmt_s(x: float | None, approx: bool = False) -> str:
    if x is None:
        return "—"
    return ("~" if approx else "") + (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description="scorecard 性能基准(W1/W2/W3)")
    ap.add_argument("--quick", action="store_true", help="W3 只评 50 个单位(默认 1000)")
    ap.add_argument("--w3-units", type=int, help="W3 单位数(覆盖 --quick)")
    ap.add_argument("--w2-rows", type=int, default=1_000_000, help="W2 执法决定行数(默认 1,000,000)")
    ap.add_argument("--naive-budget", type=float, default=60.0, help="朴素 durable 每个负载最多运行的秒数,超出则外推")
    ap.add_argument("--skip", default="", help="跳过的负载,如 W2,W3")
    ap.add_argument("--w4-rows", type=int, default=10_000_000, help="W4 执法决定行数(默认 10,000,000)")
    ap.add_argument("--child-parse")
    ap.add_argument("--child-polars-read")
    ap.add_argument("--child-naive")
    ap.add_argument("--child-prepare", action="store_true")
    args = ap.parse_args()
    if args.child_parse:
        return child_parse(args.child_parse)
    if args.child_naive:
        return child_naive(args.child_naive, args.naive_budget)
    if args.child_polars_read:
        return child_polars_read(args.child_polars_read)

    DATA.mkdir(parents=True, exist_ok=True)
    skip = {s.strip().upper() for s in args.skip.split(",") if s.strip()}
    units = args.w3_units or (50 if args.quick else 1000)
    if args.child_prepare:
        paths = [w1_package(), w2_package(args.w2_rows) if "W2" not in skip else None,
                 w3_packages(units) if "W3" not in skip else None, w4_package(args.w4_rows) if "W4" not in skip else None]
        print(json.dumps([str(p) if p else None for p in paths]))
        return None
    t0 = time.perf_counter()
    print("准备数据(engine/synth.py 生成,缓存于 bench/.data)……", file=sys.stderr, flush=True)
    # Generated in a child process: a child forked later from a parent that once held the million-row package
    # would report the parent's peak as its own ru_maxrss (Linux keeps the pre-exec high-water mark).
    prep = subprocess.run([sys.executable, __file__, "--child-prepare", "--w2-rows", str(args.w2_rows), "--skip",
                           args.skip, "--w4-rows", str(args.w4_rows)] + (["--w3-units", str(units)]),
                          stdout=subprocess.PIPE, text=True, check=True)
    w1, w2, w3, w4 = (Path(p) if p else None for p in json.loads(prep.stdout.strip().splitlines()[-1]))
    print(f"数据就绪 {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    lines = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        results = [run_unit("W1", w1, args.naive_budget, tmp)]
        if w2:
            results.append(run_unit("W2", w2, args.naive_budget, tmp))
        if w4:
            results.append(run_unit("W4", w4, args.naive_budget, tmp, env=BIG_LIMITS, naive=False, floor=False))
        sbs = side_by_side(w2) if w2 and "SBS" not in skip else None
        batch = {}
        if w3:
            for jobs in (1, 2):
                print(f"W3 -j {jobs} ……", file=sys.stderr, flush=True)
                batch[jobs] = run_batch("W3", w3, jobs, tmp)

    cpu = os.cpu_count()
    lines.append(f"scorecard 基准  规则 {rules_digest()}  Python {sys.version.split()[0]}  CPU {cpu} 核")
    head = (f"{'负载':<6}{'行数':>12}{'耗时 s':>8}{'峰值RSS MB':>11}{'行/秒':>11}{'解析下限 s':>10}{'polars读 s':>11}"
            f"{'下限/polars':>12}{'朴素durable s':>14}{'朴素/本引擎':>11}  目标")
    lines.append(head)
    lines.append("-" * 140)
    # (wall s, peak MB, parse floor / polars read); issue 16
    targets = {"W1": (0.4, 200, None), "W2": (4.0, 400, 1.5), "W4": (60.0, 2048, None)}
    missed: list[str] = []
    for r in results:
        t_wall, t_rss, t_pol = targets[r["label"]]
        pol_x = r["parse"] / r["polars"] if r["parse"] and r["polars"] else None
        naive_x = r["naive"] / r["wall"] if r["naive"] else None
        ok = [r["wall"] <= t_wall, r["rss"] <= t_rss] + ([pol_x <= t_pol] if t_pol and pol_x else []) + \
            ([naive_x > 1] if naive_x else [])
        tgt = (f"≤{t_wall:g} s, ≤{t_rss} MB" + (f", 下限 ≤{t_pol:g}×polars 读" if t_pol else "")
               + (", 快于朴素" if r["naive"] else ""))
        lines.append(f"{r['label']:<6}{r['rows']:>12,}{r['wall']:>8.2f}{r['rss']:>11.0f}{r['rows'] / r['wall']:>11,.0f}"
                     f"{fmt_s(r['parse']):>10}{fmt_s(r['polars']):>11}{(f'{pol_x:.2f}×' if pol_x else '—'):>12}"
                     f"{fmt_s(r['naive'], r['naive_extrapolated']):>14}{(f'{naive_x:.1f}×' if naive_x else '—'):>11}"
                     f"  {tgt}  {'达标' if all(ok) else '未达标'}")
        if not all(ok):
            missed.append(r["label"])
    same = True
    if sbs:
        eng, pol, pan = sbs["engine"], sbs["polars"], sbs["pandas"]
        if any("error" in x for x in (eng, pol, pan)):
            lines.append("对照:运行失败 " + "; ".join(f"{k}: {v['error']}" for k, v in sbs.items() if "error" in v))
            missed.append("对照")
            same = False
        else:
            same = eng["results"] == pol["results"] == pan["results"]
            ratio = eng["wall"] / pol["wall"]
            lines.append(f"对照(W2,同一批文件,整个进程):本引擎 87 项 {eng['wall']:.2f} s({eng['rss']:.0f} MB);"
                         f"polars 脚本 5 项 {pol['wall']:.2f} s({pol['rss']:.0f} MB);pandas 脚本 5 项 {pan['wall']:.2f} s"
                         f"({pan['rss']:.0f} MB)")
            lines.append(f"  本引擎/polars {ratio:.2f}×(目标 ≤2×,{'达标' if ratio <= 2 else '未达标'});"
                         f"本引擎/pandas {eng['wall'] / pan['wall']:.2f}×;pandas/polars {pan['wall'] / pol['wall']:.2f}×;"
                         f"5 项结果一致:{'是' if same else '否'}")
            lines.append("  5 项结果:" + json.dumps(eng["results"], ensure_ascii=False))
            if not same:
                lines.append("  polars:" + json.dumps(pol["results"], ensure_ascii=False))
                lines.append("  pandas:" + json.dumps(pan["results"], ensure_ascii=False))
            if ratio > 2 or not same:
                missed.append("对照")
    if batch:
        rows1 = count_rows(next(iter(sorted(w3.iterdir())))) * units
        for jobs, r in batch.items():
            lines.append(f"{'W3 -j' + str(jobs):<8}{rows1:>12,}{r['wall']:>9.2f}{r['rss']:>12.0f}{rows1 / r['wall']:>11,.0f}"
                         f"{'':>11}{'':>7}{'':>15}{'':>12}  {units} 个单位;≤600 s(1000 个单位);"
                         f"CPU 合计 {r['cpu']:.1f} s,每单位 {r['cpu'] / units * 1000:.0f} ms")
        if 1 in batch and 2 in batch:
            speedup = batch[1]["wall"] / batch[2]["wall"]
            per_unit = batch[2]["wall"] / units
            est = per_unit * 1000
            lines.append(f"W3 加速比 1→2 进程:{speedup:.2f}×(目标 ≥1.8×,{'达标' if speedup >= 1.8 else '未达标'});"
                         f"按 -j 2 折算 1000 个单位约 {est:.0f} s(目标 ≤600 s,{'达标' if est <= 600 else '未达标'})"
                         + (f";本次为 --quick({units} 个单位)" if units < 1000 else ""))
            if speedup < 1.8 or est > 600:
                missed.append("W3")
    lines.append("说明:耗时与峰值 RSS 为子进程整体(含 Python 启动与导入、读规则、写报告;W1 为预热后 "
                 f"{W1_RUNS} 次的中位数;各进程读已缓存的模块字节码,不受 PYTHONDONTWRITEBYTECODE 影响,如安装后的第二次运行);"
                 f"解析下限为只 load_package 的进程(与 polars 读交替各运行 {FLOOR_RUNS} 次,取中位数);"
                 "朴素 durable = 每条谓词一个会话、每条记录(全部字段)逐条作为事实断言;~ 为按已完成谓词比例外推。")
    lines.append("  下限/polars = 只 import 并 load_package 的进程 ÷ 只 import polars 并读全部 CSV(全部列为文本)的进程。"
                 "W4 的台账约 1.5 GB,以 SCORECARD_MAX_FILE_MB=4000、SCORECARD_MAX_PACKAGE_MB=5000 运行。")
    for r in results:
        if r["parse_load"] is not None:
            spread = "、".join(f"{w:.2f}" for w in r["parse_walls"])
            pol_spread = "、".join(f"{w:.2f}" for w in r.get("polars_walls", []))
            lines.append(f"  {r['label']}: 解析下限进程内 load_package {r['parse_load']:.2f} s(RSS {r['parse_rss']:.0f} MB);"
                         f"polars 进程内读 {r.get('polars_read', 0):.2f} s;朴素 durable 完成 {r['naive_note']},"
                         f"RSS {r['naive_rss']:.0f} MB")
            lines.append(f"     各次:解析下限进程 {spread} s;polars 读进程 {pol_spread} s")
    lines.append("结论:" + ("全部达标" if not missed else "未达标:" + "、".join(missed)))
    print("\n".join(lines))
    assert same, "对照:本引擎与 polars/pandas 脚本的 5 项结果不一致(见上)"
    sys.exit(1 if missed else 0)  # a missed target fails the run (exit code 1), as a failing test would


if __name__ == "__main__":
    main()
