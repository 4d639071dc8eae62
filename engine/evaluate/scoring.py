"""Scoring: check results -> indicator points -> category and total scores (rules from the YAML)."""

from __future__ import annotations

from engine.results import CategoryResult, CheckResult, IndicatorResult, Summary, status_counts
from engine.rules.catalog import Catalog
from engine.rules.model import Indicator


def score_indicator(ind: Indicator, checks: list[CheckResult], *, applicable: bool, na_reason: str | None,
                    pending_policy: str) -> IndicatorResult:
    base = dict(no=ind.no, category=ind.category, title=ind.title, lead_units=ind.lead_units, points=ind.points,
                scoring=ind.scoring.method, remediation=ind.remediation, checks=checks)
    if not applicable:
        return IndicatorResult(**base, earned=0.0, status="not_applicable", message=na_reason)
    automated = [c for c in checks if c.kind != "review"]
    reviews = [c for c in checks if c.kind == "review"]
    if any(c.status == "error" for c in automated):
        return IndicatorResult(**base, earned=0.0, status="error", message="检查执行出错,见检查项说明")
    scored = [c for c in automated if c.status != "not_applicable"]
    if not scored:
        return IndicatorResult(**base, earned=0.0, status="not_applicable", message="各项检查均不适用(已出具情况说明)")
    vetoed = any(c.veto and c.status in ("fail", "partial") for c in scored)
    earned = _earned(ind, scored)
    if vetoed:
        earned = 0.0
    earned = round(min(max(earned, 0.0), ind.points), 4)
    statuses = {c.status for c in scored}
    if earned >= ind.points and statuses == {"pass"}:
        status = "needs_review" if reviews else "pass"
    elif statuses & {"fail", "partial"}:
        status = "fail" if earned == 0 else "partial"
    elif "missing_evidence" in statuses:
        status = "missing_evidence"
    else:
        status = "partial"
    pending = status == "needs_review"
    if pending and pending_policy != "full":
        earned = 0.0
    return IndicatorResult(**base, earned=earned, status=status, pending_review=pending, vetoed=vetoed,
                           message="一票否决项未通过" if vetoed else None)


def _earned(ind: Indicator, scored: list[CheckResult]) -> float:
    method = ind.scoring.method
    if method == "all_or_nothing":
        return ind.points if all(c.status == "pass" for c in scored) else 0.0
    if method == "proportional":
        weights = {c.id: w for c, w in _weights(ind, scored)}
        total = sum(weights.values())
        got = sum(weights[c.id] * (c.score if c.status in ("pass", "partial") else 0.0) for c in scored)
        return ind.points * got / total if total else 0.0
    # deduction: each violation (failing record or year) costs per_violation; missing evidence costs everything
    if any(c.status == "missing_evidence" for c in scored):
        return ind.scoring.floor
    violations = sum(max(c.violations, 1) if c.status in ("fail", "partial") else 0 for c in scored)
    return max(ind.scoring.floor, ind.points - ind.scoring.per_violation * violations)


def _weights(ind: Indicator, scored: list[CheckResult]):
    by_id = {c.id: c for c in ind.checks}
    return [(c, by_id[c.id].weight) for c in scored]


def summarise(catalog: Catalog, items: list[IndicatorResult], policy: str) -> tuple[Summary, list[CategoryResult]]:
    def counted(r: IndicatorResult) -> bool:
        if r.status == "not_applicable":
            return False
        if r.waiver is not None and r.waiver.scoring == "excluded":
            return False
        if r.pending_review and policy == "excluded":
            return False
        return True

    categories = []
    for cat in catalog.edition.categories:
        members = [r for r in items if r.category == cat.no]
        categories.append(CategoryResult(
            no=cat.no, name=cat.name, points=round(sum(r.points for r in members), 4),
            applicable_points=round(sum(r.points for r in members if counted(r)), 4),
            earned=round(sum(r.earned for r in members if counted(r)), 4), indicators=len(members),
            status_counts=status_counts(r.status for r in members),
        ))
    applicable = round(sum(r.points for r in items if counted(r)), 4)
    earned = round(sum(r.earned for r in items if counted(r)), 4)
    total = catalog.edition.total_points
    score = round(earned / applicable * total, 2) if applicable else 0.0
    vetoes = sorted(r.no for r in items if r.vetoed)
    pending = round(sum(r.points for r in items if r.pending_review), 4)
    verdict = "一票否决" if vetoes else ("存在待核查事项" if pending else "已完成自动评估")
    summary = Summary(
        score=score, total_points=total, earned=earned, applicable_points=applicable,
        max_points=round(sum(r.points for r in items), 4), pending_review_points=pending,
        pending_review_policy={"zero": "待核查指标在核查前按 0 分计", "full": "待核查指标在核查前按满分计",
                               "excluded": "待核查指标在核查前不计入分子和分母"}[policy],
        formula=catalog.edition.formula, vetoed=bool(vetoes), veto_indicators=vetoes,
        status_counts=status_counts(r.status for r in items), verdict=verdict,
    )
    return summary, categories
