"""Packaging: a wheel built from the source tree carries the rules, templates, profiles and ledger definitions,
and the installed `scorecard` scores an example from an unrelated directory (no source tree on the path).

Slow (builds a wheel, makes a venv, installs the dependencies): marked ``wheel``, deselected by default and run
by CI (`.ci/run`) with ``python -m pytest tests -m wheel``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.wheel


def _source_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                         capture_output=True, check=True).stdout.decode()
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


def test_wheel_installs_and_scores_outside_the_source_tree(tmp_path):
    src = tmp_path / "src"
    for rel in _source_files():  # a clean copy: the build writes build/ and *.egg-info next to its sources
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, src / rel)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)], check=True,
                   timeout=600)
    wheel = next(dist.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("engine/_data/indicators/edition.yaml", "engine/_data/templates/report.md.j2",
                     "engine/_data/templates/rectify.html.j2", "engine/_data/profiles/base.yaml",
                     "engine/_data/profiles/township.yaml", "evidence/ledgers.yaml", "evidence/FORMAT.intro.md"):
        assert required in names, required
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=900)
    work = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "examples" / "weak-town", work / "weak-town")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = subprocess.run([str(bindir / "scorecard"), "score", "weak-town", "--format", "json", "--profile", "township",
                          "-o", "out/r.json"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads((work / "out" / "r.json").read_text(encoding="utf-8"))
    assert result["unit"]["name"] == "柳溪镇人民政府"
    assert len(result["indicators"]) == 87
    # the installed package, not the checkout, was used
    where = subprocess.run([str(bindir / "python"), "-c", "import engine, sys; print(engine.__file__)"], cwd=work,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert str(env_dir) in where and str(ROOT) not in where
    for cmd in (["score", "weak-town", "--format", "md", "-o", "out/r.md"],
                ["rectify", "weak-town", "--format", "html", "-o", "out/z.html"],
                ["indicators", "show", "73"]):
        run = subprocess.run([str(bindir / "scorecard"), *cmd], cwd=work, env=env, capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0, (cmd, run.stderr)
