"""Pydantic schema of the indicator rule files (``indicators/*.yaml``).

An indicator is data: official text, category, lead units, points, checks, scoring rule,
applicability and remediation. Checks are instances of a small set of generic kinds; Python
exists per kind (``engine.checks``), never per indicator.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Op = Literal[">=", ">", "<=", "<", "=="]
UnitType = Literal["县", "区", "镇", "街道", "部门"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class RefValue(Strict):
    """A threshold taken from reference data (e.g. last year's national average), never hard-coded."""

    reference: str
    year_offset: int = 0


Threshold = Union[float, RefValue]


class YearSpec(Strict):
    """Which period year a record belongs to: the year of a date field, or an int field, plus an offset."""

    field: str
    offset: int = 0


class AnnualDate(Strict):
    """A fixed day of a year derived from a record, e.g. 31 January of (subject_year + 1)."""

    year_field: str
    year_offset: int = 0
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class CheckBase(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    veto: bool = False
    weight: float = Field(default=1.0, gt=0)
    na_if_attested: str | None = None
    note: str | None = None


class LedgerScope(Strict):
    """Records of one ledger satisfying ``where``. ``in_post``: only people in post on the check's reference day (the
    ledger must declare its ``tenure`` columns in evidence/ledgers.yaml); see RatioCheck for the reference day."""

    ledger: str
    where: dict[str, Any] = Field(default_factory=dict)
    in_post: bool = False


class RateCheck(CheckBase):
    """Share of records (in ``where``) satisfying ``condition`` compared with a threshold.

    ``condition_is_violation``: the condition describes the bad state (e.g. 败诉, for a loss rate that must stay at or
    below a reference); the records it matches are then the violations cited as evidence, not the others.
    """

    kind: Literal["rate"]
    ledger: str
    where: dict[str, Any] = Field(default_factory=dict)
    condition: dict[str, Any]
    condition_is_violation: bool = False
    op: Op = ">="
    value: Threshold = 1.0
    per_year: bool = False
    year: YearSpec | None = None
    within_period: bool = True


class DeadlineCheck(CheckBase):
    """Per-record elapsed time between two fields (hours, calendar days or working days)."""

    kind: Literal["deadline"]
    ledger: str
    where: dict[str, Any] = Field(default_factory=dict)
    start: str | AnnualDate
    end: str
    unit: Literal["hours", "days", "working_days", "months"]  # months: calendar months, end day clamped (1-31 -> 2-28)
    op: Literal["<=", "<", ">=", ">"] = "<="
    limit: float
    required_rate: float = Field(default=1.0, ge=0, le=1)
    per_year: bool = False
    year: YearSpec | None = None
    within_period: bool = True


class CountCheck(CheckBase):
    """Number of records (activities, documents ...) per year, per N years, or over the period."""

    kind: Literal["count"]
    ledger: str
    where: dict[str, Any] = Field(default_factory=dict)
    op: Op = ">="
    value: float = 1
    per_year: bool = True
    every_years: int | None = Field(default=None, ge=2)
    year: YearSpec | None = None
    within_period: bool = True


class DocumentCheck(CheckBase):
    """A document of one of ``types`` exists in the catalog (dated in the period; published if required).

    ``each_type``: every listed type must be there (``min_count`` of each), not any one of them.
    """

    kind: Literal["document"]
    types: list[str] = Field(min_length=1)
    published: bool = False
    min_count: int = 1
    per_year: bool = False
    within_period: bool = True
    before_period: bool = False  # documents dated before the period also count (standing systems)
    each_type: bool = False

    @model_validator(mode="after")
    def _each_type_once(self):
        if self.each_type and self.per_year:
            raise ValueError("each_type 不能与 per_year 同用")
        return self


class ValueCheck(CheckBase):
    """Every record's ``field`` satisfies the threshold; with ``per_year`` each period year needs a record.

    ``percent``: the field holds a share written any of the usual ways, read by one rule (evidence/FORMAT.md):
    ``95%`` and ``0.95`` are 95%; a plain number above 1 is a percentage (``95`` is 95%, ``5`` is 5%); the threshold
    is a share (0.10 = 10%). A plain ``1`` could mean 100% or 1%: it is read as 100% and ``validate`` flags it.
    """

    kind: Literal["value"]
    ledger: str
    where: dict[str, Any] = Field(default_factory=dict)
    field: str
    percent: bool = False
    op: Op = ">="
    value: Threshold
    per_year: bool = False
    year: YearSpec | None = None
    within_period: bool = True


class RatioCheck(CheckBase):
    """count(numerator) / count(denominator) compared with a threshold.

    ``group_by``: a field of both ledgers; the ratio is computed per group (e.g. per agency) and every group present
    in the denominator must reach the threshold: one group cannot mask another. A blank group cell forms its own group
    「未填写…」, so it never helps a named group. ``per_year``: once per period year. The reference day of an ``in_post``
    scope is the last day of each period year (per_year; the period end in its last year) or the period end.
    """

    kind: Literal["ratio"]
    numerator: LedgerScope
    denominator: LedgerScope
    op: Op = ">="
    value: Threshold
    group_by: str | None = None
    per_year: bool = False


class GroupSumCheck(CheckBase):
    """Sum of ``sum`` per ``group_by`` (and per year) compared with a threshold, for every member of a population.

    A population scope with ``in_post: true`` (its ledger declares ``tenure`` in evidence/ledgers.yaml, as a ratio's
    in-post scope does): a member counts in a year only for the days it is in post; the year's threshold follows the
    edition's partial-year rule (``partial_years``) for a member in post part of a year, and a member out of post all
    year is not required.
    """

    kind: Literal["group_sum"]
    ledger: str
    where: dict[str, Any] = Field(default_factory=dict)
    group_by: str
    sum: str
    op: Op = ">="
    value: Threshold
    per_year: bool = True
    year: YearSpec | None = None
    population: LedgerScope | None = None
    population_key: str | None = None


class NoIncidentCheck(CheckBase):
    """No record of a kind of incident; an attestation saying so is required to pass."""

    kind: Literal["no_incident"]
    ledger: str = "incidents"
    where: dict[str, Any] = Field(default_factory=dict)
    attestation: str


class ReviewCheck(CheckBase):
    """Judgement by an evaluator: yields needs_review with the evidence gathered for the reviewer.

    Its ``weight`` (default 1, like one automatic check) sets its share of the indicator's points:
    ``points × weight ÷ Σ weights of the indicator's scored checks``. Only that share waits for a verdict.
    """

    kind: Literal["review"]
    prompt: str
    # automatic checks of the same indicator that pre-decide part of this review: their results are shown with the
    # review item (report and review sheet), the reviewer judges the rest
    prechecks: list[str] = Field(default_factory=list)
    gather: list[LedgerScope] = Field(default_factory=list)
    document_types: list[str] = Field(default_factory=list)


Check = Annotated[
    Union[RateCheck, DeadlineCheck, CountCheck, DocumentCheck, ValueCheck, RatioCheck, GroupSumCheck, NoIncidentCheck, ReviewCheck],
    Field(discriminator="kind"),
]


class Scoring(Strict):
    """How check outcomes become points.

    all_or_nothing: full points when every scored check passes.
    proportional: points x weighted share of passed checks (a per-year check counts its passed years).
    deduction: points - per_violation x violations (failing records / years), not below floor.
    A check with ``veto: true`` that fails sets the item to 0 and vetoes the whole assessment (一票否决).
    """

    method: Literal["all_or_nothing", "proportional", "deduction"] = "all_or_nothing"
    per_violation: float | None = Field(default=None, gt=0)
    floor: float = 0

    @model_validator(mode="after")
    def _deduction(self):
        if self.method == "deduction" and self.per_violation is None:
            raise ValueError("deduction 计分须给出 per_violation(每处扣分)")
        return self


class Applicability(Strict):
    """Where an indicator applies. 街道 (sub-district) follows 镇 (township): listing 镇 includes 街道."""

    unit_types: list[UnitType] = Field(default_factory=lambda: ["县", "区", "镇", "街道", "部门"])
    not_applicable_if_attested: str | None = None

    @model_validator(mode="after")
    def _street_follows_township(self):
        if "镇" in self.unit_types and "街道" not in self.unit_types:
            self.unit_types = [*self.unit_types, "街道"]
        return self


class Indicator(Strict):
    no: int = Field(ge=1)
    category: int = Field(ge=1)
    title: str
    text: str
    lead_units: list[str] = Field(min_length=1)
    points: float = Field(gt=0)
    checks: list[Check] = Field(min_length=1)
    scoring: Scoring = Field(default_factory=Scoring)
    applicability: Applicability = Field(default_factory=Applicability)
    remediation: str
    source: str | None = None

    @model_validator(mode="after")
    def _checks(self):
        ids = [c.id for c in self.checks]
        if len(ids) != len(set(ids)):
            raise ValueError(f"检查项 id 重复:{ids}")
        if all(c.kind == "review" for c in self.checks):
            raise ValueError("每个指标至少要有一个自动检查(review 之外)")
        automatic = {c.id for c in self.checks if c.kind != "review"}
        for c in self.checks:
            unknown = [p for p in getattr(c, "prechecks", []) if p not in automatic]
            if unknown:
                raise ValueError(f"核查项 {c.id} 的 prechecks 须为本指标的自动检查项:{unknown}")
        return self

    @field_validator("text", "remediation")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class Category(Strict):
    no: int
    name: str
    count: int


class ReferenceSource(Strict):
    """Where an edition's reference table comes from, and whether anyone checked it against the publication."""

    source: str
    verified: bool = False


PartialYears = Literal["pro_rata", "exempt", "full"]
PARTIAL_YEARS_ZH = {"pro_rata": "按比例折算", "exempt": "不作要求", "full": "按全年要求"}
PARTIAL_YEARS_TEXT = {
    "pro_rata": "创建周期首末不足整年的年度(及执法人员只在岗部分年度的),每年的数量要求(次数、份数、学时)按在周期内(在岗)"
                "的天数折算:要求 × 天数 ÷ 全年天数,四舍五入到整数;折算为 0 的年度不作要求,不计入逐年得分。"
                "比率和数值要求不折算;每年一条的年度数值在该年折算为 0 时可不填报,已填报的照常检查。",
    "exempt": "创建周期首末不足整年的年度(及执法人员只在岗部分年度的)不作每年的数量要求,不计入逐年得分;"
              "比率和数值要求不折算,已填报的年度数值照常检查。整个创建周期不足一个整年时按比例折算。",
    "full": "创建周期首末不足整年的年度(及执法人员只在岗部分年度的)同样按全年的数量要求检查。",
}


class Edition(Strict):
    """``indicators/edition.yaml``: the edition's metadata, categories, total and formula.

    ``partial_years``: how every per-year quota treats a year only partly inside the creation period (and an officer
    in post only part of a year): ``pro_rata`` (quota × days ÷ days of the year, rounded; 0 = not required),
    ``exempt`` (not required) or ``full`` (the full quota). A profile may set it.
    """

    id: str
    name: str
    source: str
    total_points: float
    formula: str
    categories: list[Category]
    references: dict[str, dict[int, float]] = Field(default_factory=dict)
    reference_sources: dict[str, ReferenceSource] = Field(default_factory=dict)
    partial_years: PartialYears = "pro_rata"
