"""Review verdicts (人工核查) merged into a ScoreResult, with XCCDF "override" semantics.

A verdict file (YAML, or an ``.xlsx`` review sheet filled in by the evaluator) lists verdicts::

    verdicts:
      - indicator: 22          # required
        check: judge           # optional: a single check of the indicator (pass/fail only)
        verdict: pass          # pass | fail | partial | not_applicable (also 通过 / 未通过 / 部分通过 / 不适用)
        points: 2              # earned points; required for partial; default full (pass) or 0 (fail)
        reason: 机制健全,见审核台账   # required when it overrides an automated result
        reviewer: 张三
        date: 2026-11-20
        evidence: [D-001]      # what the reviewer consulted

Rules:
- an indicator in ``needs_review`` takes the verdict (reason optional);
- any other automated status (pass, fail, partial, missing_evidence, error, not_applicable) may be
  overridden only with a reason; otherwise InputError located at the verdict (a verdict that confirms the
  automated status and points needs no reason, and is recorded as the reviewer's confirmation);
- a verdict for an indicator (or check) not in the scored set is an error;
- 不适用 (not_applicable) always needs a reason and takes no points: the reviewer's dated, named statement is
  the explicit statement that makes the item N/A (missing evidence never does). On a whole indicator it leaves
  the applicable points like an attested N/A indicator; on a check it takes the check out of its indicator's
  weights like an attested N/A check (the indicator's points are shared by its other checks);
- a check-level verdict sets that check; the indicator is re-scored with the same scoring rule, and an
  indicator waiting for review becomes pass (every review check passed) or fail (any review check failed).
The result keeps ``automated_status`` / ``automated_earned`` and an ``override`` {verdict, by, date, reason}.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from engine.errors import InputError, Problem
from engine.evaluate.scoring import score_indicator, summarise
from engine.results import STATUS_ZH, CheckResult, IndicatorResult, Override, ScoreResult
from engine.rules.model import Strict
from engine.yamlio import line_of, parse_yaml_bytes, validation_problems

VERDICT_WORDS = {"pass": "pass", "fail": "fail", "partial": "partial", "not_applicable": "not_applicable",
                 "通过": "pass", "未通过": "fail", "不通过": "fail", "部分通过": "partial", "不适用": "not_applicable"}
NA = "not_applicable"


class Verdict(Strict):
    indicator: int
    check: str | None = None
    verdict: Literal["pass", "fail", "partial", "not_applicable"]
    points: float | None = Field(default=None, ge=0)
    reason: str | None = None
    reviewer: str = Field(min_length=1)
    date: dt.date
    evidence: list[str] = Field(default_factory=list)

    @field_validator("verdict", mode="before")
    @classmethod
    def _words(cls, value: Any):
        return VERDICT_WORDS.get(str(value).strip(), value) if value is not None else value

    @field_validator("reason", mode="before")
    @classmethod
    def _blank(cls, value: Any):
        return None if value is None or not str(value).strip() else str(value).strip()

    @field_validator("evidence", mode="before")
    @classmethod
    def _split(cls, value: Any):
        if isinstance(value, str):
            return [s.strip() for s in value.replace(";", ";").replace("、", ";").split(";") if s.strip()]
        return value

    @model_validator(mode="after")
    def _na_needs_reason(self):
        if self.verdict == NA and self.reason is None:
            raise ValueError("结论为不适用时必须填写理由(reason):说明为何该项不适用")
        if self.verdict == NA and self.points is not None:
            raise ValueError("结论为不适用时不填得分(points):该项不计入适用分值")
        return self


@dataclass
class LocatedVerdict:
    verdict: Verdict
    file: str
    row: int | None
    sheet: str | None = None

    @property
    def source(self) -> str:
        where = self.file + (f" 工作表「{self.sheet}」" if self.sheet else "") + (f" 第{self.row}行" if self.row else "")
        return where

    def problem(self, message: str, column: str | None = None, value: str | None = None) -> Problem:
        return Problem(self.file, message, row=self.row, column=column, value=value, sheet=self.sheet, code="review")


def read_verdicts_yaml(path: Path, raw: bytes) -> list[LocatedVerdict]:
    shown = str(path)
    data, node = parse_yaml_bytes(raw, shown)
    prefix: tuple = ()
    if isinstance(data, dict) and "verdicts" in data:
        data, prefix = data["verdicts"], ("verdicts",)
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError(Problem(shown, "核查结论文件应为列表,或含 verdicts 列表的映射", row=1, code="review"))
    out, problems = [], []
    for k, item in enumerate(data):
        loc = prefix + (k,)
        try:
            v = Verdict.model_validate(item)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, shown, node, prefix=loc))
            continue
        out.append(LocatedVerdict(v, shown, line_of(node, loc)))
    if problems:
        raise InputError(problems)
    return out


def apply_verdicts(result: ScoreResult, verdicts: list[LocatedVerdict], catalog, copy: bool = True) -> ScoreResult:
    """Return a new ScoreResult with the verdicts merged and the totals recomputed (``copy=False``: a caller that
    owns ``result``, e.g. one it just parsed, lets it be changed in place instead of paying for a deep copy)."""
    if copy:
        result = result.model_copy(deep=True)
    by_no = {r.no: r for r in result.indicators}
    problems: list[Problem] = []
    grouped: dict[int, list[LocatedVerdict]] = {}
    for lv in verdicts:
        v = lv.verdict
        item = by_no.get(v.indicator)
        if item is None:
            problems.append(lv.problem(f"核查结论针对的指标 {v.indicator} 不在本次评估的指标中", "indicator", str(v.indicator)))
            continue
        if v.check is not None and not any(c.id == v.check for c in item.checks):
            problems.append(lv.problem(f"指标 {v.indicator} 没有检查项 {v.check}", "check", v.check))
            continue
        if v.points is not None and v.points > item.points:
            problems.append(lv.problem(f"得分 {v.points:g} 超过指标 {v.indicator} 的分值 {item.points:g}", "points",
                                       str(v.points)))
            continue
        if v.check is None and v.verdict == "partial" and v.points is None:
            problems.append(lv.problem("部分通过(partial)须填写得分 points", "points"))
            continue
        if v.check is not None and v.verdict == "partial":
            problems.append(lv.problem("检查项的核查结论只能是通过或未通过;部分通过请对整个指标作出结论", "verdict"))
            continue
        grouped.setdefault(v.indicator, []).append(lv)
    for no, group in grouped.items():
        item = by_no[no]
        whole = [lv for lv in group if lv.verdict.check is None]
        if whole and len(group) > 1:
            problems.append(whole[0].problem(f"指标 {no} 同时有整项结论和检查项结论,只能保留一种", "check"))
            continue
        try:
            new = _apply_indicator(item, whole[0] if whole else None, [lv for lv in group if lv.verdict.check],
                                   catalog)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        by_no[no] = new
    if problems:
        raise InputError(problems)
    result.indicators = [by_no[r.no] for r in result.indicators]
    return resummarise(result, catalog)


def resummarise(result: ScoreResult, catalog) -> ScoreResult:
    summary, categories = summarise(catalog, result.indicators)
    result.summary, result.categories = summary, categories
    return result


def _override(lv: LocatedVerdict, points: float | None) -> Override:
    v = lv.verdict
    return Override(verdict=v.verdict, points=points, by=v.reviewer, date=v.date.isoformat(), reason=v.reason,
                    evidence=list(v.evidence), source=lv.source)


def _needs_reason(lv: LocatedVerdict, automated: str, what: str) -> None:
    if lv.verdict.reason is None:
        raise InputError(lv.problem(
            f"{what}的自动评估结论为「{STATUS_ZH.get(automated, automated)}」,人工核查改变自动结论时必须填写理由(reason)", "reason"))


def _apply_indicator(item: IndicatorResult, whole: LocatedVerdict | None, checks: list[LocatedVerdict],
                     catalog) -> IndicatorResult:
    item = item.model_copy(deep=True)
    automated_status, automated_earned = item.status, item.earned
    if whole is not None:
        v = whole.verdict
        points = v.points if v.points is not None else (item.points if v.verdict == "pass" else 0.0)
        if item.status != "needs_review" and (v.verdict != item.status or round(points - item.earned, 4) != 0):
            _needs_reason(whole, item.status, f"指标 {item.no} ")
        item.automated_status, item.automated_earned = automated_status, automated_earned
        if v.verdict == NA:  # out of the applicable points, as an attested N/A indicator
            item.status, item.earned, item.estimated, item.earned_high = NA, 0.0, 0.0, 0.0
            item.pending_review, item.pending_review_points, item.review_points = False, 0.0, 0.0
            item.vetoed = False
            item.message = f"核查人员认定不适用({v.reviewer},{v.date.isoformat()}):{v.reason}"
            item.override = _override(whole, None)
            return item
        item.status, item.earned = v.verdict, round(points, 4)
        item.estimated = item.earned_high = item.earned
        item.pending_review, item.pending_review_points = False, 0.0
        item.override = _override(whole, item.earned)
        return item
    ind = catalog.get(item.no)
    by_id = {c.id: c for c in item.checks}
    for lv in checks:
        v = lv.verdict
        check: CheckResult = by_id[v.check]
        if check.kind != "review" and check.status != v.verdict:
            _needs_reason(lv, check.status, f"指标 {item.no} 检查项 {check.id} ")
        check.automated_status = check.status
        check.status = v.verdict
        if v.verdict == NA:  # out of the indicator's weights, as an attested N/A check
            check.score, check.violations, check.points = 0.0, 0, 0.0
        elif check.kind != "review":
            check.score = 1.0 if v.verdict == "pass" else 0.0
            check.violations = 0 if v.verdict == "pass" else max(check.violations, 1)
        check.override = _override(lv, v.points)
    rescored = score_indicator(ind, item.checks, applicable=item.status != "not_applicable", na_reason=item.message)
    rescored.automated_status, rescored.automated_earned = automated_status, automated_earned
    last = max(checks, key=lambda lv: (lv.verdict.date, lv.verdict.check or ""))
    rescored.override = _override(last, rescored.earned)
    rescored.override.reason = "；".join(f"{lv.verdict.check}:{lv.verdict.reason}" for lv in checks if lv.verdict.reason) or None
    return rescored
