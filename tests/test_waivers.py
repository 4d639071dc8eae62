"""Waivers (豁免): active waivers mark the item waived and exclude it; expired waivers have no effect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.evaluate import load_rules, score
from engine.evaluate.backends import get_backend
from engine.review import finalize
from evidence.package import load_package

ROOT = Path(__file__).resolve().parent.parent
WEAK = ROOT / "examples" / "weak-town"
WAIVER = """
waivers:
  - indicator: 73
    justification: 突发事件信息由市级统一发布,本镇无发布权限
    approver: 市法治政府建设示范创建办公室
    approved: 2023-01-01
    expires: {expires}
"""


@pytest.fixture(scope="module")
def base():
    rules = load_rules()
    pkg = load_package(WEAK, rules.ledgers)
    return rules, pkg, score(pkg, rules, get_backend("python"))


def waiver_file(tmp_path: Path, expires: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVER.format(expires=expires), encoding="utf-8")
    return path


def item(result, no):
    return next(i for i in result.indicators if i.no == no)


def test_active_waiver_excludes_the_item(base, tmp_path):
    rules, pkg, result = base
    out = finalize(result, rules.catalog, pkg, waivers=[waiver_file(tmp_path, "2023-12-31")], as_of=dt.date(2023, 3, 20))
    r = item(out, 73)
    assert r.waived and r.status == "partial"  # the status enum is unchanged; waived is shown beside it
    assert r.waiver.approver == "市法治政府建设示范创建办公室" and r.waiver.scoring == "excluded"
    assert out.summary.applicable_points == pytest.approx(result.summary.applicable_points - r.points)
    assert out.summary.earned == pytest.approx(result.summary.earned - item(result, 73).earned)
    assert out.run.waivers_digest and out.run.as_of == "2023-03-20"


def test_expired_waiver_has_no_effect_and_is_flagged(base, tmp_path):
    rules, pkg, result = base
    out = finalize(result, rules.catalog, pkg, waivers=[waiver_file(tmp_path, "2023-03-19")])  # as_of = inspection_date
    assert out.run.as_of == "2023-03-20"
    assert [i.model_dump() for i in out.indicators] == [i.model_dump() for i in result.indicators]
    assert out.summary == result.summary
    flagged = [w for w in out.warnings if "过期" in w]
    assert len(flagged) == 1 and "指标 73" in flagged[0] and "2023-03-19" in flagged[0]


def test_waiver_not_yet_approved_has_no_effect(base, tmp_path):
    rules, pkg, result = base
    out = finalize(result, rules.catalog, pkg, waivers=[waiver_file(tmp_path, "2023-12-31")], as_of=dt.date(2022, 12, 1))
    assert not item(out, 73).waived and any("尚未生效" in w for w in out.warnings)


def test_waiver_for_unknown_indicator_is_an_error(base, tmp_path):
    rules, pkg, result = base
    path = tmp_path / "w.yaml"
    path.write_text("- {indicator: 120, justification: x, approver: y, expires: 2030-01-01}\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        finalize(result, rules.catalog, pkg, waivers=[path])
    assert exc.value.problems[0].row == 1 and "120" in exc.value.problems[0].message


def test_waiver_without_expiry_is_rejected_with_location(base, tmp_path):
    rules, pkg, result = base
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - indicator: 73\n    justification: x\n    approver: y\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        finalize(result, rules.catalog, pkg, waivers=[path])
    assert exc.value.problems[0].column == "waivers.0.expires" and exc.value.problems[0].row == 2


def test_profile_can_score_waived_items_full(tmp_path):
    profile = tmp_path / "lenient.yaml"
    profile.write_text("id: lenient\ntitle: 豁免按满分计\nwaiver_scoring: full\n", encoding="utf-8")
    rules = load_rules(profile=profile)
    pkg = load_package(WEAK, rules.ledgers)
    result = score(pkg, rules, get_backend("python"))
    out = finalize(result, rules.catalog, pkg, waivers=[waiver_file(tmp_path, "2023-12-31")])
    r = item(out, 73)
    assert r.waived and r.earned == r.points and r.waiver.scoring == "full"
    assert out.summary.applicable_points == result.summary.applicable_points
    assert out.run.profile == "lenient"
