"""整改跟踪: rectification items from an 评估 round, progress, and closing by a 复核 round.

- An 评估 round gets one item per (indicator, lead unit) for every indicator the 整改清单 lists (failing
  checks, reviewer-failed items, missing evidence), co-lead units included (``co_lead``). Recording verdicts
  on the round again adds items for newly failing indicators and drops untouched items that now pass.
- A 复核 round closes each open item of the unit whose checks now pass: 已整改, awaiting 销号 by an evaluator;
  the others stay open. An item from failing automated checks closes when none of the indicator's checks fails
  any more (a check still waiting for review does not keep it open); an item a reviewer failed (核查未通过)
  closes only when the indicator passes.
- 逾期 (overdue) is decided by date when items are read: an open item past its deadline shows as 逾期.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.errors import InputError, Problem
from engine.output.rectify import FAILING_CHECK
from engine.results import ScoreResult
from engine.store.models import OPEN_STATUSES, Assessment, RectificationItem, RectificationNote, Unit, utcnow

SETTABLE = ("待整改", "整改中", "已整改", "已销号")
REVIEW_FAILED = "核查未通过"  # item kind: a reviewer failed the indicator (automated checks did not)


def effective_status(item: RectificationItem, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    if item.status in ("待整改", "整改中") and item.deadline < today:
        return "逾期"
    return item.status


def after_round(session: Session, a: Assessment, result: ScoreResult, catalog) -> None:
    if a.kind == "评估":
        sync_items(session, a, result)
    elif a.kind == "复核":
        close_items(session, a, result)


def sync_items(session: Session, a: Assessment, result: ScoreResult) -> None:
    from engine.output.rectify import build

    issued = (a.scored_at or utcnow()).date()
    rlist = build(result, issued, group_by="lead-unit")  # one row per (indicator, lead unit), co-leads included
    by_no = {i.no: i for i in result.indicators}
    wanted: dict[tuple[int, str], tuple] = {}
    for row in rlist.rows:
        ind = by_no[row.indicator_no]
        if ind.override is not None and ind.automated_status not in FAILING_CHECK and ind.status in FAILING_CHECK:
            row = replace(row, kind=REVIEW_FAILED)
        lead = row.lead_unit or "未指定"
        wanted[(row.indicator_no, lead)] = (row, bool(row.lead_units) and lead != row.lead_units[0])
    existing = {(i.indicator_no, i.lead_unit): i for i in session.scalars(
        select(RectificationItem).where(RectificationItem.source_assessment_id == a.id)).all()}
    for key, item in existing.items():
        if key not in wanted and item.status == "待整改" and not item.notes:
            session.delete(item)
    for (no, lead), (row, co) in wanted.items():
        item = existing.get((no, lead))
        if item is None:
            session.add(RectificationItem(unit_id=a.unit_id, source_assessment_id=a.id, indicator_no=no,
                                          indicator_title=row.indicator, lead_unit=lead, co_lead=co, kind=row.kind,
                                          problem=row.problem, measures=row.measures, deadline=row.deadline,
                                          status="待整改", responsible="", closing_evidence=""))
        elif item.status == "待整改" and item.problem != row.problem:
            item.problem = row.problem
            item.updated_at = utcnow()


def rectified(ind, item: RectificationItem) -> bool:
    """Whether a 复核 result shows the item's problem gone (see the module docstring)."""
    if ind is None:
        return False
    if ind.status == "pass" or item.kind == REVIEW_FAILED:
        return ind.status == "pass"
    return ind.status in ("needs_review",) and not any(c.status in FAILING_CHECK for c in ind.checks)


def close_items(session: Session, a: Assessment, result: ScoreResult) -> None:
    by_no = {i.no: i for i in result.indicators}
    items = session.scalars(select(RectificationItem).where(RectificationItem.unit_id == a.unit_id)
                            .order_by(RectificationItem.id)).all()
    for item in items:
        passed = rectified(by_no.get(item.indicator_no), item)
        if item.status in OPEN_STATUSES and passed:
            _note(item, "已整改", f"复核评估(编号 {a.id})该指标通过,待评估人员销号", "系统")
            item.closing_evidence = f"复核评估编号 {a.id}:指标 {item.indicator_no} 通过(证据摘要 {a.evidence_digest[:12]})"
            item.closed_by_assessment_id = a.id
        elif item.status == "已整改" and item.closed_by_assessment_id == a.id and not passed:
            _note(item, "待整改", f"复核评估(编号 {a.id})的核查结论改为未通过,重新打开", "系统")
            item.closing_evidence = ""
            item.closed_by_assessment_id = None


def _note(item: RectificationItem, to: str | None, text: str, author: str) -> None:
    item.notes.append(RectificationNote(author=author, text=text, status_from=item.status if to else None, status_to=to))
    if to:
        item.status = to
    item.updated_at = utcnow()


def update_item(session: Session, item_id: int, *, author: str = "", status: str | None = None,
                responsible: str | None = None, deadline: dt.date | None = None, note: str | None = None,
                evidence: str | None = None) -> RectificationItem:
    item = session.get(RectificationItem, item_id, with_for_update=True)
    if item is None:
        raise InputError(Problem("结果库", f"没有编号为 {item_id} 的整改事项", expected="scorecard rectify --from-store 列出的编号",
                                 code="unknown_item"))
    if status is not None:
        if status not in SETTABLE:
            raise InputError(Problem("结果库", f"不能把整改事项设为「{status}」", value=status,
                                     expected="、".join(SETTABLE) + "(逾期按整改时限自动判断)", code="bad_status"))
        if status == "已销号" and item.status != "已整改":
            raise InputError(Problem("结果库", f"整改事项 {item_id} 当前为「{item.status}」,只有「已整改」的事项才能销号",
                                     expected="先由复核评估或评估人员确认已整改", code="bad_status"))
        if status == "已整改" and not (evidence or item.closing_evidence):
            raise InputError(Problem("结果库", "标记为已整改需要提供整改佐证", expected="--evidence 佐证说明或文件摘要",
                                     code="bad_status"))
    if responsible is not None:
        item.responsible = responsible
    if deadline is not None:
        item.deadline = deadline
    if evidence:
        item.closing_evidence = evidence
    changed = status is not None and status != item.status
    if changed or note or responsible is not None or deadline is not None:
        text = note or ""
        if responsible is not None:
            text += f"(责任人:{responsible})"
        if deadline is not None:
            text += f"(整改时限:{deadline.isoformat()})"
        _note(item, status if changed else None, text.strip(), author)
    return item


def list_items(session: Session, unit: Unit | None = None, lead_unit: str | None = None, open_only: bool = False,
               today: dt.date | None = None) -> list[dict]:
    # the notes of all items in one more query (selectinload), not one query per item
    q = (select(RectificationItem, Unit).join(Unit, Unit.id == RectificationItem.unit_id)
         .options(selectinload(RectificationItem.notes)))
    if unit is not None:
        q = q.where(RectificationItem.unit_id == unit.id)
    if lead_unit:
        q = q.where(RectificationItem.lead_unit == lead_unit)
    q = q.order_by(Unit.uid, RectificationItem.lead_unit, RectificationItem.indicator_no)
    out = []
    for item, u in session.execute(q).all():
        shown = effective_status(item, today)
        if open_only and shown not in OPEN_STATUSES:
            continue
        out.append({"id": item.id, "unit": u.name, "uid": u.uid, "indicator_no": item.indicator_no,
                    "indicator": item.indicator_title, "lead_unit": item.lead_unit, "co_lead": item.co_lead,
                    "kind": item.kind, "problem": item.problem, "measures": item.measures,
                    "responsible": item.responsible, "deadline": item.deadline, "status": shown,
                    "closing_evidence": item.closing_evidence, "source_assessment": item.source_assessment_id,
                    "closed_by": item.closed_by_assessment_id,
                    "notes": [f"{n.at:%Y-%m-%d} {n.author} {n.text}".strip() for n in item.notes]})
    return out
