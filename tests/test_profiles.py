"""Profiles (tailoring): the same package under two profiles differs exactly where the profile says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_package

from engine.cli import main
from engine.errors import InputError
from engine.evaluate import load_rules, score
from engine.evaluate.backends import get_backend
from engine.rules.catalog import load_catalog
from engine.rules.profiles import PROFILES_DIR, apply_profile, load_profile
from evidence.package import load_package

ROOT = Path(__file__).resolve().parent.parent
WEAK = ROOT / "examples" / "weak-town"


def officer_package(tmp_path: Path, rules) -> Path:
    """One enforcement officer, certified, 45 hours of legal training in each year of the period."""
    staff = [{"person_id": "S-1", "name": "执法员甲", "role": "执法人员", "certified": True, "exam_passed": True}]
    training = [{"record_id": f"T-{y}", "person_id": "S-1", "date": f"{y}-06-01", "hours": 45,
                 "topic_type": "专门法律知识"} for y in (2021, 2022)]
    return build_package(tmp_path / "pkg", rules, {"staff": staff, "training_records": training})


def by_no(result):
    return {i.no: i for i in result.indicators}


def test_base_and_provincial_differ_exactly_where_the_profile_says(tmp_path):
    base_rules = load_rules(profile="base")
    prov_rules = load_rules(profile="provincial-example")
    path = officer_package(tmp_path, base_rules)
    a = score(load_package(path, base_rules.ledgers), base_rules, get_backend("python"))
    b = score(load_package(path, prov_rules.ledgers), prov_rules, get_backend("python"))
    ia, ib = by_no(a), by_no(b)
    assert set(ib) - set(ia) == {88, 89, 90} and set(ia) <= set(ib)
    hours_a = next(c for c in ia[60].checks if c.id == "training_hours")
    hours_b = next(c for c in ib[60].checks if c.id == "training_hours")
    assert hours_a.status == "pass" and hours_b.status == "fail"  # 45 h: passes 40, fails 60
    differing = {no for no in ia if ia[no].model_dump() != ib[no].model_dump()}
    assert differing == {60}
    assert ib[60].earned < ia[60].earned  # the training-hours check carries weight 2 of the proportional score
    others_a = [c.model_dump() for c in ia[60].checks if c.id != "training_hours"]
    others_b = [c.model_dump() for c in ib[60].checks if c.id != "training_hours"]
    assert others_a == others_b
    assert a.run.profile == "base" and b.run.profile == "provincial-example"
    assert b.run.profile_digest == hashlib.sha256((PROFILES_DIR / "provincial-example.yaml").read_bytes()).hexdigest()
    assert a.run.rules_digest == b.run.rules_digest  # same rules; the profile is recorded separately
    assert b.summary.max_points == 103 and b.summary.total_points == 100
    assert "103" in b.summary.formula


def test_township_profile_marks_county_items_not_applicable():
    base_rules = load_rules(profile="base")
    town_rules = load_rules(profile="township")
    a = score(load_package(WEAK, base_rules.ledgers), base_rules, get_backend("python"))
    b = score(load_package(WEAK, town_rules.ledgers), town_rules, get_backend("python"))
    ia, ib = by_no(a), by_no(b)
    differing = {no for no in ia if ia[no].model_dump() != ib[no].model_dump()}
    assert differing == {10, 17, 42}
    for no in differing:
        assert ib[no].status == "not_applicable" and "剪裁方案" in ib[no].message
    assert b.summary.applicable_points == a.summary.applicable_points - sum(ia[n].points for n in differing
                                                                            if ia[n].status != "not_applicable")


def test_every_shipped_profile_applies_to_the_87_items():
    catalog = load_catalog()
    for path in sorted(PROFILES_DIR.glob("*.yaml")):
        tailored = apply_profile(catalog, load_profile(path))
        assert tailored.profile_digest == hashlib.sha256(path.read_bytes()).hexdigest()
    base = apply_profile(catalog, load_profile("base"))
    assert [i.model_dump() for i in base.indicators] == [i.model_dump() for i in catalog.indicators]
    assert base.edition.formula == catalog.edition.formula


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, row, words", [
    ("id: x\ntitle: t\nbase: base-87\noverrides:\n  - no: 60\n    reason: r\n    checks:\n      nope: {value: 1}\n", 8, "nope"),
    ("id: x\ntitle: t\ndisable:\n  - {no: 500, reason: r}\n", 4, "500"),
    ("id: x\ntitle: t\nbase: other-edition\n", 3, "other-edition"),
    ("id: x\ntitle: t\noverrides:\n  - no: 60\n    reason: r\n    checks:\n      training_hours: {kind: rate}\n", 6, "kind"),
    ("id: x\ntitle: t\noverrides:\n  - no: 60\n    reason: r\n    checks:\n      training_hours: {op: '=>'}\n", 7, "调整后不合法"),
    ("id: x\ntitle: t\npoints_total: 3\n", 3, "不认识"),
])
def test_bad_profiles_are_located(tmp_path, text, row, words):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        apply_profile(load_catalog(), load_profile(path))
    problem = exc.value.problems[0]
    assert problem.file == str(path) and problem.row == row, exc.value
    assert words in problem.format()


def test_cli_lists_the_tailored_set_and_reports_name_the_profile(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["indicators", "list", "--profile", "provincial-example"])
    assert res.exit_code == 0, res.output
    assert "共 90 项,满分 103 分" in res.output and "评理说事点覆盖率" in res.output
    res = runner.invoke(main, ["indicators", "list", "--profile", "township", "--format", "json"])
    data = json.loads(res.output)
    assert data["profile"] == "township" and len(data["profile_changes"]) == 3
    res = runner.invoke(main, ["indicators", "list", "--profile", "nosuch"])
    assert res.exit_code == 2 and "nosuch" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["score", str(WEAK), "--backend", "python", "--profile", "township"])
    assert res.exit_code == 0, res.output
    run = json.loads(res.stdout)["run"]
    assert run["profile"] == "township"
    assert run["profile_digest"] == hashlib.sha256((PROFILES_DIR / "township.yaml").read_bytes()).hexdigest()
