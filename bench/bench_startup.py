"""Start-up figures (issue 16), printed with their targets: ``scorecard --help`` against a bare interpreter
(``python -c pass``), and W1 as the issue states it: ``scorecard score <W1 package> --format html -o …``, one typical
unit (the ~21k-row package bench/bench.py generates into bench/.data, generated here when missing) end to end with
the HTML report; ``score examples/weak-town`` beside it. Whole processes, run interleaved; medians (and minima) of
``--runs`` runs after one warm-up run each (which fills the compiled-rules and template caches and writes the modules'
bytecode, as any second run finds them). On a shared machine compare the ratio within one run rather than the
absolute times.

Python writes each module's compiled bytecode on first import and reads it afterwards (pip compiles an installed
wheel's modules at install time). A ``PYTHONDONTWRITEBYTECODE=1`` in the environment (this development machine sets
it) would make every run of a checkout that has none compile all engine modules from source again (about 60 ms of
W1), which no installation does; it is dropped for the measured commands (the warm-up run writes the bytecode, into
the git-ignored ``__pycache__`` folders).

Usage: python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_HELP, TARGET_W1 = 0.15, 0.40
W1 = "W1 score html"


def w1_package() -> Path:
    """The W1 package of bench/bench.py (generated into bench/.data on first use, in a child process)."""
    code = "import sys; sys.path.insert(0, 'bench'); import bench; print(bench.w1_package())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


def scorecard() -> list[str]:
    script = Path(sys.executable).with_name("scorecard")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from engine.cli import main; main()"]


INSTALLED_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # see the docstring


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=INSTALLED_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"失败:{' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description="scorecard 启动时间与 W1(单个单位含 HTML 报告)")
    ap.add_argument("--runs", type=int, default=15, help="每条命令运行次数(取中位数,默认 15)")
    args = ap.parse_args()
    w1 = w1_package()
    with tempfile.TemporaryDirectory() as tmp:
        html = str(Path(tmp) / "w1.html")
        cmds = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "scorecard --help": scorecard() + ["--help"],
            W1: scorecard() + ["score", str(w1), "--format", "html", "-o", html],
            "score weak-town html": scorecard() + ["score", "examples/weak-town", "--format", "html", "-o", html],
        }
        for cmd in cmds.values():
            run(cmd)  # warm-up
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                times[name].append(run(cmd))
    med = {name: statistics.median(w for w, _ in ts) for name, ts in times.items()}
    low = {name: min(w for w, _ in ts) for name, ts in times.items()}
    cpu = {name: statistics.median(c for _, c in ts) for name, ts in times.items()}
    base = med["python -c pass"]
    print(f"启动时间(整个进程,{args.runs} 次交替运行的中位数;括号内为最小值与 CPU 时间中位数;"
          f"负载 {os.getloadavg()[0]:.2f};W1 = {w1.name})")
    for name in cmds:
        print(f"  {name:<30}{med[name] * 1000:8.0f} ms  (最小 {low[name] * 1000:.0f} ms,CPU {cpu[name] * 1000:.0f} ms)"
              f"  = {med[name] / base:5.1f}× python -c pass")
    ok_help, ok_w1 = med["scorecard --help"] <= TARGET_HELP, med[W1] <= TARGET_W1
    print(f"  scorecard --help 目标 ≤{TARGET_HELP:g} s:{'达标' if ok_help else '未达标'};"
          f"W1 目标 ≤{TARGET_W1:g} s:{'达标' if ok_w1 else '未达标'}")
    sys.exit(0 if ok_help and ok_w1 else 1)


if __name__ == "__main__":
    main()
