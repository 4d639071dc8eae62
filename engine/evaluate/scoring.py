"""Scoring: check results -> indicator points -> category and total scores (rules from the YAML).

The score model (README 计分规则):

- An indicator's points are shared among its scored checks by ``weight``: the automatic checks together carry
  ``points × Σ automatic weights ÷ Σ weights``; each review check carries ``points × its weight ÷ Σ weights``
  (not-applicable checks drop out of the sums: automatic ones by an attestation, review ones by a reviewer's
  不适用 verdict with its reason). Only a review check's own share waits for a verdict.
- The automatic part earns its share × the fraction its scoring method gives (all_or_nothing, proportional,
  deduction); a failing veto check makes the whole indicator 0 (and the assessment 一票否决).
- Three figures per indicator, category and unit:
  已确认得分 ``earned``: automatic part + review shares passed by a reviewer; pending review shares count 0;
  预估得分 ``estimated``: pending review shares counted at the automatic part's rate (an estimate, labelled so);
  得分区间 ``[earned, earned_high]``: every pending review share failed ... every pending review share passed.
- An indicator with a check in ``error`` earns nothing, and the evaluation is marked incomplete.
"""

from __future__ import annotations

from engine.results import (
    CategoryResult,
    CheckResult,
    Figure,
    IndicatorResult,
    ScoreRange,
    Summary,
    status_counts,
)
from engine.rules.catalog import Catalog
from engine.rules.model import Indicator

FIGURE_TEXT = {
    "confirmed": "已确认得分:自动检查得分加上已有核查结论的核查项得分;待人工核查的核查项按 0 分计。",
    "estimate": "预估得分(估算,非正式结论):待人工核查的核查项按该指标自动检查部分的得分率估算。",
    "range": "得分区间:下限为全部待核查项均判未通过(即已确认得分),上限为全部待核查项均判通过。",
}
PENDING_POLICY = ("待人工核查的核查项在核查前:已确认得分按 0 分计,预估得分按自动检查得分率计,"
                  "得分区间上限按满分计")


def _r(x: float) -> float:
    return round(x, 4)


def score_indicator(ind: Indicator, checks: list[CheckResult], *, applicable: bool, na_reason: str | None,
                    pending_policy: str | None = None) -> IndicatorResult:
    """Points of one indicator from its check results (``pending_policy`` is accepted for old callers, unused)."""
    base = dict(no=ind.no, category=ind.category, title=ind.title, lead_units=ind.lead_units, points=ind.points,
                scoring=ind.scoring.method, remediation=ind.remediation, checks=checks)
    if not applicable:
        return IndicatorResult(**base, earned=0.0, status="not_applicable", message=na_reason)
    weight = {c.id: c.weight for c in ind.checks}
    automated = [c for c in checks if c.kind != "review"]
    # a review check a reviewer found not applicable (不适用, with a reason) leaves the weights like an attested N/A check
    reviews = [c for c in checks if c.kind == "review" and c.status != "not_applicable"]
    if any(c.status == "error" for c in automated):
        errored = "、".join(c.id for c in automated if c.status == "error")
        return IndicatorResult(**base, earned=0.0, status="error", message=f"检查执行出错({errored}),见检查项说明;本指标未完成评估")
    scored = [c for c in automated if c.status != "not_applicable"]
    if not scored:
        return IndicatorResult(**base, earned=0.0, status="not_applicable", message="各项检查均不适用(已出具情况说明)")
    w_auto = sum(weight.get(c.id, 1.0) for c in scored)
    w_all = w_auto + sum(weight.get(c.id, 1.0) for c in reviews)
    auto_points = ind.points * w_auto / w_all
    for c in reviews:
        c.points = _r(ind.points * weight.get(c.id, 1.0) / w_all)
    vetoed = any(c.veto and c.status in ("fail", "partial") for c in scored)
    fraction = 0.0 if vetoed else min(max(_fraction(ind, scored), 0.0), 1.0)
    automatic = auto_points * fraction
    passed = sum(ind.points * weight.get(c.id, 1.0) / w_all for c in reviews if c.status == "pass")
    pending = [c for c in reviews if c.status == "needs_review"]
    pending_points = sum(ind.points * weight.get(c.id, 1.0) / w_all for c in pending)
    review_failed = any(c.status in ("fail", "partial") for c in reviews)
    if vetoed:
        earned = estimated = high = 0.0
    else:
        earned = min(automatic + passed, ind.points)
        estimated = min(earned + pending_points * fraction, ind.points)
        high = min(earned + pending_points, ind.points)
    statuses = {c.status for c in scored}
    if statuses == {"pass"} and not vetoed:
        if pending:
            status = "needs_review"
        elif review_failed:
            status = "partial" if earned > 0 else "fail"
        else:
            status = "pass"
    elif statuses & {"fail", "partial"}:
        status = "fail" if earned == 0 and fraction == 0 else "partial"
    elif "missing_evidence" in statuses:
        status = "missing_evidence"
    else:
        status = "partial"
    return IndicatorResult(**base, earned=_r(earned), estimated=_r(estimated), earned_high=_r(high), status=status,
                           review_points=_r(ind.points - auto_points), pending_review_points=_r(pending_points),
                           pending_review=bool(pending), vetoed=vetoed, message="一票否决项未通过" if vetoed else None)


def _fraction(ind: Indicator, scored: list[CheckResult]) -> float:
    """Share (0..1) of the automatic part earned under the indicator's scoring method."""
    method = ind.scoring.method
    if method == "all_or_nothing":
        return 1.0 if all(c.status == "pass" for c in scored) else 0.0
    if method == "proportional":
        weights = {c.id: c.weight for c in ind.checks}
        total = sum(weights.get(c.id, 1.0) for c in scored)
        got = sum(weights.get(c.id, 1.0) * (c.score if c.status in ("pass", "partial") else 0.0) for c in scored)
        return got / total if total else 0.0
    # deduction: each violation (failing record or year) costs per_violation of the points; missing evidence costs all
    if any(c.status == "missing_evidence" for c in scored):
        return ind.scoring.floor / ind.points
    violations = sum(max(c.violations, 1) if c.status in ("fail", "partial") else 0 for c in scored)
    return max(ind.scoring.floor, ind.points - ind.scoring.per_violation * violations) / ind.points


def summarise(catalog: Catalog, items: list[IndicatorResult], policy: str | None = None) -> tuple[Summary, list[CategoryResult]]:
    def counted(r: IndicatorResult) -> bool:
        if r.status == "not_applicable":
            return False
        if r.waiver is not None and r.waiver.scoring == "excluded":
            return False
        return True

    def total_of(members, attr: str) -> float:
        return _r(sum(getattr(r, attr) for r in members if counted(r)))

    categories = []
    for cat in catalog.edition.categories:
        members = [r for r in items if r.category == cat.no]
        categories.append(CategoryResult(
            no=cat.no, name=cat.name, points=_r(sum(r.points for r in members)),
            applicable_points=_r(sum(r.points for r in members if counted(r))),
            earned=total_of(members, "earned"), estimated=total_of(members, "estimated"),
            earned_high=total_of(members, "earned_high"), indicators=len(members),
            status_counts=status_counts(r.status for r in members),
        ))
    applicable = _r(sum(r.points for r in items if counted(r)))
    earned, estimated, high = (total_of(items, a) for a in ("earned", "estimated", "earned_high"))
    total = catalog.edition.total_points

    def scaled(points: float) -> float:
        return round(points / applicable * total, 2) if applicable else 0.0

    vetoes = sorted(r.no for r in items if r.vetoed)
    errors = sorted(r.no for r in items if r.status == "error")
    pending = _r(sum(r.pending_review_points for r in items if counted(r)))
    if errors:
        verdict = "评估未完成:指标 " + "、".join(map(str, errors)) + " 的检查出错,得分不完整"
    elif vetoes:
        verdict = "一票否决"
    elif pending:
        verdict = "存在待核查事项"
    else:
        verdict = "已完成评估"
    score = scaled(earned)
    summary = Summary(
        score=score, total_points=total, earned=earned, applicable_points=applicable,
        max_points=_r(sum(r.points for r in items)), pending_review_points=pending, pending_review_policy=PENDING_POLICY,
        formula=catalog.edition.formula, vetoed=bool(vetoes), veto_indicators=vetoes,
        status_counts=status_counts(r.status for r in items), verdict=verdict,
        confirmed=Figure(name="已确认得分", score=score, earned=earned, explanation=FIGURE_TEXT["confirmed"]),
        estimate=Figure(name="预估得分", score=scaled(estimated), earned=estimated, explanation=FIGURE_TEXT["estimate"]),
        range=ScoreRange(low=score, high=scaled(high), explanation=FIGURE_TEXT["range"]),
        complete=not errors, error_indicators=errors,
    )
    return summary, categories
