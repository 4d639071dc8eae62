"""Cases for the report and rectification tests: the examples under examples/ when present, else a
package built here; plus a hand-made ScoreResult with failing, partial and missing-evidence items."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine.results import (
    CategoryResult,
    CheckResult,
    Citation,
    IndicatorResult,
    RunInfo,
    ScoreResult,
    Summary,
    UnitSummary,
    YearResult,
    status_counts,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATE = dt.date(2026, 3, 1)
FAILING = ("fail", "partial", "error", "missing_evidence")


def example_dirs() -> list[Path]:
    if not EXAMPLES.is_dir():
        return []
    return sorted(p for p in EXAMPLES.iterdir() if (p / "unit.yaml").is_file())


def package_cases(tmp_path_factory, rules) -> list[Path]:
    """examples/* when present, else a package with empty ledgers built in a temporary directory."""
    found = example_dirs()
    if found:
        return found
    from conftest import build_package

    return [build_package(tmp_path_factory.mktemp("pkg") / "pkg", rules, {})]


def _check(cid: str, status: str, actual: str = "", required: str = "", evidence=(), message=None, years=()):
    return CheckResult(id=cid, kind="rate", title=f"检查{cid}", status=status, actual=actual, required=required,
                       message=message, years=list(years), evidence=list(evidence), evidence_total=len(evidence))


def handmade(unit_name: str = "样例县人民政府", title: str = "合法性审核率", note: str = "是否经合法性审核:否",
             remediation: str = "建立合法性审核台账,补齐审核。", lead: str = "司法局") -> ScoreResult:
    cite = Citation(ledger="normative_documents", file="ledgers/normative_documents.csv", row=3, id="A-2", note=note)
    inds = [
        IndicatorResult(no=22, category=2, title=title, lead_units=[lead, "党政办"], points=2, earned=0, status="fail",
                        scoring="all_or_nothing", remediation=remediation,
                        checks=[_check("rate", "fail", "99.2%(124/125)", "≥ 100%", [cite],
                                       years=[YearResult(year=2021, status="fail", actual="99.2%", required="≥ 100%")]),
                                _check("mech", "pass", "已建立", "建立机制")]),
        IndicatorResult(no=73, category=5, title="突发事件信息发布", lead_units=["应急管理局"], points=2, earned=1,
                        status="partial", scoring="proportional", remediation="5 小时内首次发布。",
                        checks=[_check("first", "partial", "最长 7 小时", "每条记录 ≤ 5 小时",
                                       [Citation(ledger="emergencies", file="ledgers/emergencies.xlsx", row=8,
                                                 id="E-07", sheet="突发事件", note="首次发布 7.0 小时 > 5 小时")])]),
        IndicatorResult(no=65, category=5, title="行政诉讼败诉率", lead_units=["司法局"], points=2, earned=0,
                        status="missing_evidence", scoring="all_or_nothing", remediation="报送诉讼台账。",
                        checks=[_check("loss", "missing_evidence", message="证据包中没有台账「行政诉讼案件」")]),
        IndicatorResult(no=80, category=8, title="述法", lead_units=["党政办"], points=1, earned=0,
                        status="needs_review", scoring="all_or_nothing", remediation="开展述法。",
                        checks=[_check("r", "needs_review", "已收集 2 条材料", "评估人员核查判定", message="核查述法质量")]),
        IndicatorResult(no=1, category=1, title="权责清单", lead_units=["编办"], points=1, earned=1, status="pass",
                        scoring="all_or_nothing", remediation="无。", checks=[_check("a", "pass", "有", "有")]),
    ]
    cats = [CategoryResult(no=c, name=n, points=p, applicable_points=p, earned=e, indicators=k,
                           status_counts=status_counts([i.status for i in inds if i.category == c]))
            for c, n, p, e, k in [(1, "依法全面履行政府职能", 1, 1, 1), (2, "依法行政制度体系", 2, 0, 1),
                                  (5, "行政权力制约和监督", 4, 1, 2), (8, "法治政府建设组织领导", 1, 0, 1)]]
    return ScoreResult(
        run=RunInfo(tool="scorecard", version="0", rules_edition="test", rules_name="测试规则", rules_digest="0" * 64,
                    profile="base", evidence_digest="a" * 64),
        unit=UnitSummary(name=unit_name, type="县", region="某省", period_start="2021-01-01", period_end="2022-12-31"),
        summary=Summary(score=2, total_points=8, earned=2, applicable_points=8, max_points=8, pending_review_points=1,
                        pending_review_policy="待核查指标在核查前按 0 分计", formula="得分 ÷ 适用分值 × 100",
                        vetoed=False, veto_indicators=[], status_counts=status_counts(i.status for i in inds),
                        verdict="未达到示范标准"),
        categories=cats, indicators=inds)


def failing_numbers(result: ScoreResult) -> list[int]:
    return [i.no for i in result.indicators if i.status in FAILING]
