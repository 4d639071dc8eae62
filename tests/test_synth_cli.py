"""``scorecard synth``: generated packages are valid, sized as asked, deterministic, and never overwrite evidence."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner

from engine.cli import main


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _digest(path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.rglob("*")) if p.is_file()}


def _score(path) -> dict:
    result = _run("score", str(path), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_sizes_seed_and_violations(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert _run("synth", str(a), "--size", "enforcement_cases=400", "--size", "培训学时台账=50", "--seed", "5").exit_code == 0
    assert _run("synth", str(b), "--size", "enforcement_cases=400", "--size", "培训学时台账=50", "--seed", "5").exit_code == 0
    assert _digest(a) == _digest(b)
    rows = (a / "ledgers" / "enforcement_cases.csv").read_text(encoding="utf-8").splitlines()
    assert 350 <= len(rows) - 1 <= 420
    assert _run("synth", str(c), "--size", "enforcement_cases=400", "--violations", "0", "--seed", "5").exit_code == 0
    clean, dirty = _score(c), _score(a)
    assert _run("validate", str(a)).exit_code == 0
    failing = lambda r: sum(1 for i in r["indicators"] if i["status"] in ("fail", "partial"))  # noqa: E731
    assert failing(dirty) > failing(clean)


def test_xlsx_package_scores_like_csv(tmp_path):
    assert _run("synth", str(tmp_path / "x"), "--format", "xlsx", "--seed", "2").exit_code == 0
    assert _run("synth", str(tmp_path / "y"), "--seed", "2").exit_code == 0
    assert sorted(p.suffix for p in (tmp_path / "x" / "ledgers").iterdir()) == [".xlsx"] * len(list((tmp_path / "y" / "ledgers").iterdir()))
    x, y = _score(tmp_path / "x"), _score(tmp_path / "y")
    assert x["summary"] == y["summary"]


def test_refuses_a_non_empty_directory_and_bad_sizes(tmp_path):
    (tmp_path / "unit.yaml").write_text("name: 已有证据\n", encoding="utf-8")
    result = _run("synth", str(tmp_path))
    assert result.exit_code == 2 and "不为空" in result.output
    assert (tmp_path / "unit.yaml").read_text(encoding="utf-8") == "name: 已有证据\n"
    result = _run("synth", str(tmp_path / "new"), "--size", "no_such_ledger=5")
    assert result.exit_code == 2 and "台账=行数" in result.output
    result = _run("synth", str(tmp_path / "new"), "--period", "2022-12-31:2021-01-01")
    assert result.exit_code == 2 and "--period" in result.output
    assert not (tmp_path / "new").exists()
