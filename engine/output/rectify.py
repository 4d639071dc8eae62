"""整改清单 (rectification list): a pure function from a ScoreResult to rows.

Which indicators get a row (one row per indicator, in indicator order):

- status ``fail``, ``partial`` or ``error`` -> kind 整改 (rectify), state 待整改;
- status ``missing_evidence`` -> kind 补充材料 (supply the missing material), state 待补充材料.

An item a reviewer failed (a whole-indicator verdict, or a review check judged 未通过) is ``fail`` or ``partial``
and so gets a row; the reviewer's name and reason are in its problem text.
``needs_review``, ``pass`` and ``not_applicable`` indicators get no row: a reviewer decides those first
(the score report lists them separately).

整改时限 (deadline), in order of precedence: an explicit deadline; ``issued + days`` when days is given;
the unit's ``inspection_date`` from ``unit.yaml`` when set and not before ``issued``; otherwise ``issued + 30``
days. ``issued`` is the
list's date (the CLI's ``--date``, default today), so the output is deterministic for a given date.

Grouping by lead unit (``group_by="lead-unit"``) gives one row per (indicator, lead unit): an indicator led
jointly by 党政办 and 司法所 appears once under each, so every co-lead unit gets its items. Groups are in order
of first appearance. ``split`` makes one list per lead unit (``scorecard rectify --split DIR``).

Every row starts in state 待整改; the tracking workbook (XLSX) lets the unit move it through ``STATES``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from engine.results import STATUS_ZH, CheckResult, IndicatorResult, ScoreResult
from evidence.codes import replace_codes

DEFAULT_DAYS = 30
RECTIFY_STATUSES = ("fail", "partial", "error")
SUPPLY_STATUSES = ("missing_evidence",)
FAILING_CHECK = ("fail", "partial", "error", "missing_evidence")
GROUP_CHOICES = ("none", "lead-unit")
COLUMNS = ("序号", "指标", "类别", "问题描述", "整改措施", "牵头单位", "整改时限", "状态")
TRACK_COLUMNS = ("责任人", "进展情况", "完成日期", "佐证材料")
STATES = ("待整改", "整改中", "已整改", "已销号", "逾期")
NO_UNIT = "未指定"


@dataclass(frozen=True)
class Finding:
    """One failing check of an indicator, as text plus its cited records."""

    check_id: str
    title: str
    status: str
    text: str
    evidence: tuple[str, ...] = ()
    evidence_more: int = 0


@dataclass(frozen=True)
class Tracking:
    """What the unit has filled in for an item (from the results store): 责任人, 进展情况, 完成日期, 佐证材料."""

    owner: str = ""
    progress: str = ""
    done: dt.date | None = None
    evidence: str = ""


@dataclass(frozen=True)
class Row:
    no: int
    indicator_no: int
    indicator: str
    indicator_status: str
    kind: str
    problem: str
    measures: str
    lead_units: tuple[str, ...]
    deadline: dt.date
    state: str
    findings: tuple[Finding, ...] = ()
    lead_unit: str | None = None  # the unit this row is for, when rows are per lead unit
    tracking: Tracking | None = None  # filled in from the results store (``rectify --from-store``)

    @property
    def units(self) -> str:
        if self.lead_unit is None:
            return "、".join(self.lead_units) or NO_UNIT
        others = [u for u in self.lead_units if u != self.lead_unit]
        return self.lead_unit + (f"(与{'、'.join(others)}共同牵头)" if others else "")

    @property
    def group(self) -> str:
        if self.lead_unit is not None:
            return self.lead_unit
        return self.lead_units[0] if self.lead_units else NO_UNIT

    def cells(self) -> list[str]:
        """The row as the column texts, in ``COLUMNS`` order."""
        return [str(self.no), self.indicator, self.kind, self.problem, self.measures, self.units,
                self.deadline.isoformat(), self.state]


@dataclass(frozen=True)
class Group:
    name: str
    rows: tuple[Row, ...]


@dataclass
class RectifyList:
    title: str
    unit_name: str
    unit_type: str
    period: str
    issued: dt.date
    deadline_rule: str
    rows: list[Row] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    grouped: bool = False
    evidence_digest: str = ""
    rules: str = ""
    lead_unit: str | None = None  # set on the lists made by ``split``

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS


def resolve_deadline(result: ScoreResult, issued: dt.date, deadline: dt.date | None = None,
                     days: int | None = None) -> tuple[dt.date, str]:
    """The deadline and a Chinese sentence saying where it comes from."""
    if deadline is not None:
        return deadline, "指定整改时限"
    if days is not None:
        return issued + dt.timedelta(days=days), f"自清单日期起 {days} 日内"
    if result.unit.inspection_date and dt.date.fromisoformat(result.unit.inspection_date) >= issued:
        return dt.date.fromisoformat(result.unit.inspection_date), "下次检查日期前(unit.yaml inspection_date)"
    return issued + dt.timedelta(days=DEFAULT_DAYS), f"自清单日期起 {DEFAULT_DAYS} 日内(默认)"


def cite(c) -> str:
    where = c.file + (f" 第{c.row}行" if c.row is not None else "")
    text = f"{where} {c.id}"
    return text + (f"({c.note})" if c.note else "")


def finding_of(check: CheckResult) -> Finding:
    label = STATUS_ZH.get(check.status, check.status)
    if check.status == "missing_evidence":
        text = f"{check.title}:{label}" + (f"——{check.message}" if check.message else "")
    else:
        parts = [f"实际 {check.actual}" if check.actual else "", f"要求 {check.required}" if check.required else ""]
        text = f"{check.title}({label}):" + ";".join(p for p in parts if p)
        if check.message and not (check.kind == "review" and check.override is not None):
            text += f";{check.message}"
        if check.override is not None:
            o = check.override
            text += f";人工核查结论:{STATUS_ZH.get(o.verdict, o.verdict)}(核查人 {o.by},{o.date})"
            if o.reason:
                text += f",理由:{o.reason}"
        years = [f"{y.year}年 实际 {y.actual},要求 {y.required}" for y in check.years if y.status == "fail"]
        if years:
            text += "(未达标年度:" + ";".join(years) + ")"
    more = max(check.evidence_total - len(check.evidence), 0)
    return Finding(check.id, check.title, check.status, text, tuple(cite(c) for c in check.evidence), more)


def problem_text(ind: IndicatorResult, findings: list[Finding]) -> str:
    head = f"【{STATUS_ZH.get(ind.status, ind.status)},得 {_num(ind.earned)}/{_num(ind.points)} 分】"
    if ind.message:
        head += ind.message
    o = ind.override
    if o is not None and not any(c.override is not None for c in ind.checks):  # a verdict on the whole indicator
        head += f"人工核查结论:{STATUS_ZH.get(o.verdict, o.verdict)}(核查人 {o.by},{o.date})" + (f",理由:{o.reason}" if o.reason else "")
    lines = [head]
    for i, f in enumerate(findings, 1):
        line = f"{i}. {f.text}"
        if f.evidence:
            line += "。涉及记录:" + ";".join(f.evidence)
            if f.evidence_more:
                line += f";另有 {f.evidence_more} 条"
        lines.append(line)
    return "\n".join(lines)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


def needs_row(ind: IndicatorResult) -> bool:
    return ind.status in RECTIFY_STATUSES or ind.status in SUPPLY_STATUSES


def build(result: ScoreResult, issued: dt.date, deadline: dt.date | None = None, days: int | None = None,
          group_by: str = "none") -> RectifyList:
    """Rows of the 整改清单 for ``result`` (see the module docstring for the rules)."""
    if group_by not in GROUP_CHOICES:
        raise ValueError(f"group_by must be one of {GROUP_CHOICES}")
    due, rule = resolve_deadline(result, issued, deadline, days)
    drafts: list[tuple[IndicatorResult, list[Finding], str | None]] = []
    for ind in result.indicators:
        if needs_row(ind):
            findings = [finding_of(c) for c in ind.checks if c.status in FAILING_CHECK]
            if group_by == "lead-unit":
                for unit in dict.fromkeys(ind.lead_units or [NO_UNIT]):
                    drafts.append((ind, findings, unit))
            else:
                drafts.append((ind, findings, None))
    if group_by == "lead-unit":
        order: dict[str, int] = {}
        for _, _, unit in drafts:
            order.setdefault(unit, len(order))
        drafts.sort(key=lambda d: order[d[2]])  # stable: indicator order within each unit
    rows = []
    for n, (ind, findings, unit) in enumerate(drafts, 1):
        supply = ind.status in SUPPLY_STATUSES
        measures = replace_codes(ind.remediation.strip())
        if supply:
            measures = "补充提交相关材料(台账、文件或情况说明)。" + measures
        rows.append(Row(no=n, indicator_no=ind.no, indicator=f"{ind.no}. {ind.title}", indicator_status=ind.status,
                        kind="补充材料" if supply else "整改", problem=problem_text(ind, findings), measures=measures,
                        lead_units=tuple(ind.lead_units), deadline=due, state=STATES[0],
                        findings=tuple(findings), lead_unit=unit))
    return RectifyList(
        title=f"{result.unit.name}法治政府建设示范创建整改清单",
        unit_name=result.unit.name, unit_type=result.unit.type,
        period=f"{result.unit.period_start} 至 {result.unit.period_end}",
        issued=issued, deadline_rule=rule, rows=rows, groups=_groups(rows), grouped=group_by == "lead-unit",
        evidence_digest=result.run.evidence_digest, rules=f"{result.run.rules_name}({result.run.rules_edition})",
    )


def _groups(rows: list[Row]) -> list[Group]:
    groups: list[Group] = []
    for row in rows:
        if groups and groups[-1].name == row.group:
            groups[-1] = Group(row.group, groups[-1].rows + (row,))
        else:
            groups.append(Group(row.group, (row,)))
    return groups


def split(rlist: RectifyList) -> dict[str, RectifyList]:
    """One list per lead unit (``rlist`` built with ``group_by="lead-unit"``), rows renumbered from 1."""
    if not rlist.grouped:
        raise ValueError("split needs a list built with group_by='lead-unit'")
    out: dict[str, RectifyList] = {}
    for group in rlist.groups:
        rows = [replace(r, no=i) for i, r in enumerate(group.rows, 1)]
        out[group.name] = replace(rlist, title=f"{rlist.title}({group.name})", rows=rows, groups=_groups(rows),
                                  grouped=False, lead_unit=group.name)
    return out
