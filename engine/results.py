"""Result model: what the engine concludes, with the evidence behind each conclusion.

Statuses follow XCCDF-style result states. The JSON form (``to_json``) is canonical: the same
package, rules and profile give byte-identical output whatever the order of records.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field, model_validator

Status = Literal["pass", "fail", "partial", "not_applicable", "needs_review", "missing_evidence", "error"]
STATUSES: tuple[str, ...] = ("pass", "fail", "partial", "not_applicable", "needs_review", "missing_evidence", "error")
STATUS_ZH = {
    "pass": "通过",
    "fail": "未通过",
    "partial": "部分通过",
    "not_applicable": "不适用",
    "needs_review": "待人工核查",
    "missing_evidence": "缺少证据",
    "error": "错误",
}
SCHEMA_VERSION = "1.0"


class Citation(BaseModel):
    """One record behind a finding: ledger file, row in that file, record id, and what it shows."""

    ledger: str
    file: str
    row: int | None = None
    id: str
    sheet: str | None = None
    note: str | None = None


class YearResult(BaseModel):
    year: int
    status: Status
    actual: str
    required: str


class Override(BaseModel):
    """An evaluator's verdict (人工核查) that replaced the automated result (XCCDF override)."""

    verdict: Literal["pass", "fail", "partial", "not_applicable"]
    points: float | None = None
    by: str
    date: str
    reason: str | None = None
    evidence: list[str] = Field(default_factory=list)
    source: str


class Waiver(BaseModel):
    """An active waiver (豁免): the item is shown as waived and scored as ``scoring`` says."""

    justification: str
    approver: str
    expires: str
    scoring: Literal["excluded", "full", "zero"]
    source: str


class CheckResult(BaseModel):
    id: str
    kind: str
    title: str
    status: Status
    actual: str = ""
    required: str = ""
    score: float = 0.0
    violations: int = 0
    veto: bool = False
    message: str | None = None
    years: list[YearResult] = Field(default_factory=list)
    evidence: list[Citation] = Field(default_factory=list)
    evidence_total: int = 0
    automated_status: Status | None = None
    override: Override | None = None
    points: float | None = None  # review checks: the share of the indicator's points this judgement carries


class IndicatorResult(BaseModel):
    no: int
    category: int
    title: str
    lead_units: list[str]
    points: float
    earned: float  # 已确认得分: automatic part + review shares with a verdict; pending review shares at 0
    status: Status
    scoring: str
    estimated: float | None = None  # 预估得分: pending review shares counted at the automatic part's rate
    earned_high: float | None = None  # 得分区间上限: pending review shares counted in full (the lower end is ``earned``)
    review_points: float = 0.0  # the share of ``points`` carried by review checks
    pending_review_points: float = 0.0  # the part of it still waiting for a verdict
    pending_review: bool = False
    vetoed: bool = False
    message: str | None = None
    remediation: str
    checks: list[CheckResult]
    automated_status: Status | None = None
    automated_earned: float | None = None
    override: Override | None = None
    waived: bool = False
    waiver: Waiver | None = None

    @model_validator(mode="after")
    def _figures(self):
        if self.estimated is None:
            self.estimated = self.earned
        if self.earned_high is None:
            self.earned_high = self.earned
        if self.status == "needs_review":
            self.pending_review = True
        return self


class CategoryResult(BaseModel):
    no: int
    name: str
    points: float
    applicable_points: float
    earned: float  # 已确认得分 (points)
    indicators: int
    status_counts: dict[str, int]
    estimated: float | None = None  # 预估得分 (points)
    earned_high: float | None = None  # 得分区间上限 (points)

    @model_validator(mode="after")
    def _figures(self):
        if self.estimated is None:
            self.estimated = self.earned
        if self.earned_high is None:
            self.earned_high = self.earned
        return self


class Figure(BaseModel):
    """One named score figure: its name, the score on the edition's scale, the points behind it and what it means."""

    name: str
    score: float
    earned: float
    explanation: str


class ScoreRange(BaseModel):
    """得分区间: the score if every pending review share fails (low) or passes (high)."""

    name: str = "得分区间"
    low: float
    high: float
    explanation: str


class Summary(BaseModel):
    score: float
    total_points: float
    earned: float
    applicable_points: float
    max_points: float
    pending_review_points: float
    pending_review_policy: str
    formula: str
    vetoed: bool
    veto_indicators: list[int]
    status_counts: dict[str, int]
    verdict: str
    confirmed: Figure | None = None  # 已确认得分 (= score)
    estimate: Figure | None = None  # 预估得分
    range: ScoreRange | None = None  # 得分区间 [confirmed, all pending passed]
    complete: bool = True  # False when any check ended in error: the evaluation is not complete
    error_indicators: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _figures(self):
        if self.confirmed is None:
            self.confirmed = Figure(name="已确认得分", score=self.score, earned=self.earned, explanation="")
        if self.estimate is None:
            self.estimate = Figure(name="预估得分", score=self.score, earned=self.earned, explanation="")
        if self.range is None:
            self.range = ScoreRange(low=self.score, high=self.score, explanation="")
        return self


class UnitSummary(BaseModel):
    name: str
    type: str
    region: str
    period_start: str
    period_end: str
    inspection_date: str | None = None


class CalendarOverrideInfo(BaseModel):
    """A year the official holiday calendar covers whose schedule was replaced by a calendar file, as the profile's
    ``calendar_overrides`` allowed: the year, the file used and the cited source (notice title, number, date)."""

    year: int
    file: str
    source: str


class RunInfo(BaseModel):
    tool: str
    version: str
    rules_edition: str
    rules_name: str
    rules_digest: str
    profile: str
    profile_digest: str | None = None
    evidence_digest: str
    as_of: str | None = None
    review_digest: str | None = None
    waivers_digest: str | None = None
    backend_independent: bool = True
    calendar_overrides: list[CalendarOverrideInfo] = Field(default_factory=list)


class LedgerFile(BaseModel):
    """A ledger as read: its file (and sheet), the file's SHA-256 and how many records were accepted."""

    ledger: str
    title: str
    file: str
    sheet: str | None = None
    sha256: str
    records: int


class AttachmentFile(BaseModel):
    """A file named in the documents catalog (附件路径), with its SHA-256 at the time of scoring."""

    doc_id: str
    path: str
    sha256: str
    size: int


class EvidenceManifest(BaseModel):
    """What was scored, file by file: anyone holding the package can check it is the one behind this result."""

    ledgers: list[LedgerFile] = Field(default_factory=list)
    attachments: list[AttachmentFile] = Field(default_factory=list)


class YearShare(BaseModel):
    """One year of the creation period: how many of its days fall inside the period."""

    year: int
    days: int
    of: int
    partial: bool


class PartialYearRule(BaseModel):
    """不完整年度: the edition's (or profile's) rule for per-year quotas in years only partly inside the period."""

    rule: Literal["pro_rata", "exempt", "full"]
    name: str
    explanation: str
    years: list[YearShare] = Field(default_factory=list)


class ScoreResult(BaseModel):
    schema_version: str = SCHEMA_VERSION
    run: RunInfo
    unit: UnitSummary
    summary: Summary
    categories: list[CategoryResult]
    indicators: list[IndicatorResult]
    warnings: list[str] = Field(default_factory=list)
    evidence: EvidenceManifest = Field(default_factory=EvidenceManifest)
    partial_years: PartialYearRule | None = None

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def json_schema() -> dict:
    """The published JSON Schema (schema/score-result.schema.json); a test keeps the file equal to this."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **ScoreResult.model_json_schema()}
    schema["title"] = "scorecard 评估结果 (ScoreResult)"
    return schema


def write_json_schema(path: str = "schema/score-result.schema.json") -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n")


def status_counts(statuses) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for s in statuses:
        counts[s] += 1
    return counts
