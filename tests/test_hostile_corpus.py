"""Hostile and broken input (issue 12): the corpus of tests/hostile_cases.py, every case in a forked child with an
absolute 1 GB address-space limit (RLIMIT_AS, set before the command's modules are imported) and a 10 s time limit
(tests/hostile_run.py); each child's peak resident size (``ru_maxrss`` from ``os.wait4``) is asserted ≤ 1 GB too.

For every case: the exit code is the expected one (2 for bad input, or a correct result), the message names the
file/row/column/value, no traceback, the package's tree is byte-for-byte unchanged, and nothing outside the package
and the case's own inputs was opened or listed (audit hook), in particular nothing under ``outside/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile_cases import CANARY, CASES, ROOT

FORBIDDEN = ("/etc/passwd", "/etc/shadow")


def tree_hash(root: Path) -> str:
    """Names, types, link targets and contents of everything under ``root``; FIFOs and devices are never opened."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            st = os.lstat(path)
            h.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(f"{stat.S_IFMT(st.st_mode)}:{st.st_rdev}".encode())
            if stat.S_ISLNK(st.st_mode):
                h.update(os.readlink(path).encode("utf-8", "surrogateescape"))
            elif stat.S_ISREG(st.st_mode):
                h.update(path.read_bytes())
    return h.hexdigest()


def _build(base: Path):
    specs = []
    for c in CASES:
        d = base / c.name
        shutil.copytree(ROOT / "examples" / c.example, d / "pkg")
        for sub in ("inputs", "out"):
            (d / sub).mkdir()
        (d / "outside").mkdir()
        (d / "outside" / "secret.txt").write_text(f"{CANARY}\nyear: 2027\n", encoding="utf-8")
        (d / "outside" / "2027.yaml").write_text(f"# {CANARY}\nyear: 2027\n", encoding="utf-8")
        c.setup(d)
        specs.append({"name": c.name, "argv": c.argv, "cwd": str(d), "env": c.env, "stdout": str(d / "stdout.txt"),
                      "stderr": str(d / "stderr.txt"), "opens": str(d / "opens.txt")})
    return specs


def _run(chunk: list[dict], base: Path, index: int) -> list[dict]:
    cases_file, results_file = base / f"chunk{index}.json", base / f"results{index}.json"
    cases_file.write_text(json.dumps(chunk, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, str(ROOT / "tests" / "hostile_run.py"), str(cases_file), str(results_file)],
                   env=env, check=True, timeout=1800)
    return json.loads(results_file.read_text(encoding="utf-8"))


def _allowed(path: str, d: Path) -> str | None:
    """Why an opened path is not allowed, or None."""
    real = os.path.realpath(os.path.join(str(d), path))
    if any(real == f or real.startswith(f + "/") for f in FORBIDDEN):
        return "system file"
    outside = os.path.realpath(d / "outside")
    if real == outside or real.startswith(outside + os.sep):
        return "outside the package"
    if real.startswith(os.path.realpath(d) + os.sep):
        top = Path(real).relative_to(os.path.realpath(d)).parts[0]
        if top not in ("pkg", "inputs", "out", "stdout.txt", "stderr.txt", "opens.txt"):
            return "case folder, not an input"
    return None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    specs = _build(base)
    hashes = {c.name: tree_hash(base / c.name / "pkg") for c in CASES}
    chunks = [specs[i::2] for i in range(2)]  # a pool of 2 drivers, each forking one child per case
    with ThreadPoolExecutor(2) as pool:
        results = [r for part in pool.map(lambda a: _run(*a), [(chunk, base, i) for i, chunk in enumerate(chunks)])
                   for r in part]
    return base, {r["name"]: r for r in results}, hashes


def test_corpus_size_and_coverage():
    assert len(CASES) >= 200, len(CASES)
    assert len({c.name for c in CASES}) == len(CASES)
    assert {cause for c in CASES for cause in c.causes} >= set(range(1, 11))


def test_corpus_memory(corpus):
    """Every case's measured peak resident size is within 1 GB (the address-space limit makes more impossible; this
    reports the figure): printed with ``-s``."""
    _, results, _ = corpus
    peak = max(results.values(), key=lambda r: r["max_rss"])
    print(f"\nhostile corpus: {len(results)} cases, peak RSS {peak['max_rss'] / 2**20:.0f} MB ({peak['name']}), "
          f"driver address space {peak['driver_vm'] / 2**20:.0f} MB")
    over = [(r["name"], r["max_rss"]) for r in results.values() if r["max_rss"] > 1 << 30]
    assert not over, over


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_hostile_case(corpus, c):
    base, results, hashes = corpus
    d = base / c.name
    r = results[c.name]
    stderr = (d / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    stdout = (d / "stdout.txt").read_text(encoding="utf-8", errors="replace")
    assert not r["timed_out"], f"{c.name}: killed after 10 s"
    assert r["signal"] is None, f"{c.name}: killed by signal {r['signal']}\n{stderr[-2000:]}"
    assert r["max_rss"] <= 1 << 30, f"{c.name}: peak resident size {r['max_rss'] >> 20} MB"
    assert "Traceback" not in stderr, stderr[-3000:]
    assert r["exit"] in c.exit, f"exit {r['exit']} not in {c.exit}\n{stderr[-2000:]}"
    messages = stdout + stderr  # `validate` lists problems on stdout, other commands on stderr
    for words in c.stderr:
        assert words in messages, f"{words!r} not in messages:\n{messages[-2000:]}"
    assert tree_hash(d / "pkg") == hashes[c.name], "the evidence package changed"
    opened = [p for p in (d / "opens.txt").read_text(encoding="utf-8", errors="surrogateescape").split("\0") if p]
    bad = [(p, why) for p in opened if (why := _allowed(p, d))]
    assert not bad, bad[:5]
    assert CANARY not in stderr and CANARY not in stdout
    assert "\x1b" not in stdout and "\x1b" not in stderr, "a raw escape sequence reached the terminal"
    if c.check is not None:
        c.check(d, stdout, stderr)
