"""The audit's defects (shared audit indicators-2026-12-01, D1-D27), one boundary test (or more) per fix.

Each test fails on the rules/engine as audited (commit 35bf6b6) and passes on the fix.
"""

from __future__ import annotations

import datetime as dt

from conftest import score_records

from engine.evaluate import load_rules
from engine.rules.catalog import load_catalog


def item(result, no: int):
    return next(i for i in result.indicators if i.no == no)


# ---------------------------------------------------------------- D8: no one-vote veto in the base edition


def test_d8_base_edition_has_no_veto_and_a_profile_can_enable_one(tmp_path, rules):
    assert not [(i.no, c.id) for i in load_catalog().indicators for c in i.checks if c.veto]
    incident = {"incidents": [{"incident_id": "I-1", "type": "领导班子成员严重违法犯罪", "date": dt.date(2022, 5, 1),
                               "description": "副县长受贿被追究刑事责任"}]}
    base = score_records(tmp_path / "a", rules, incident)
    assert not base.summary.vetoed and item(base, 82).status in ("fail", "partial")
    profile = tmp_path / "veto.yaml"
    profile.write_text(
        "id: veto-example\ntitle: 否决示例\nbase: base-87\noverrides:\n  - no: 82\n"
        "    reason: 依据某省法治政府示范创建评估办法(示例出处)\n    checks:\n      no_leadership_crime: {veto: true}\n",
        encoding="utf-8")
    tailored = load_rules(profile=profile)
    vetoed = score_records(tmp_path / "b", tailored, incident)
    assert vetoed.summary.vetoed and vetoed.summary.veto_indicators == [82] and item(vetoed, 82).earned == 0
