"""Read side of the store: a unit's history, the ranking of units, and the export of one round."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from engine.results import ScoreResult
from engine.store.models import Assessment, IndicatorRow, Unit, VerdictLog
from engine.store.record import get_assessment, get_unit, stored_files

FAILING = ("fail", "partial", "error")
TYPE_ORDER = ("县", "区", "镇", "街道", "部门")


def _type_key(unit_type: str) -> tuple[int, str]:
    return (TYPE_ORDER.index(unit_type), "") if unit_type in TYPE_ORDER else (len(TYPE_ORDER), unit_type or "")
ROUND_ORDER = {"自评": 0, "评估": 1, "复核": 2}


def history(session: Session, key: str) -> tuple[Unit, list[dict]]:
    unit = get_unit(session, key)
    failing = func.sum(case((IndicatorRow.status.in_(FAILING), 1), else_=0))
    missing = func.sum(case((IndicatorRow.status == "missing_evidence", 1), else_=0))
    review = func.sum(case((IndicatorRow.status == "needs_review", 1), else_=0))
    q = (select(Assessment.id, Assessment.kind, Assessment.period_start, Assessment.period_end, Assessment.scored_at,
                Assessment.assessor, Assessment.score, Assessment.earned, Assessment.applicable_points,
                Assessment.pending_review_points, Assessment.verdict, Assessment.summary_json, failing, missing, review,
                Assessment.estimate_score, Assessment.range_high, Assessment.complete)
         .join(IndicatorRow, IndicatorRow.assessment_id == Assessment.id)
         .where(Assessment.unit_id == unit.id)
         .group_by(Assessment.id)
         .order_by(Assessment.period_start, Assessment.scored_at, Assessment.id))
    rows = []
    for r in session.execute(q).all():
        rows.append({"id": r.id, "kind": r.kind, "period": f"{r.period_start}~{r.period_end}",
                     "scored_at": r.scored_at.strftime("%Y-%m-%d %H:%M"), "assessor": r.assessor, "score": r.score,
                     "earned": r.earned, "applicable_points": r.applicable_points,
                     "pending_review_points": r.pending_review_points, "verdict": r.verdict,
                     "failing": int(r[12] or 0), "missing_evidence": int(r[13] or 0), "needs_review": int(r[14] or 0),
                     "estimate": r.estimate_score, "range": [r.score, r.range_high], "complete": r.complete,
                     "summary": r.summary_json})
    return unit, rows


RANK_BY = {"confirmed": "已确认得分", "estimate": "预估得分", "high": "得分区间上限"}


def ranking(session: Session, kind: str | None = None, unit_type: str | None = None, region: str | None = None,
            rank_by: str = "confirmed") -> list[dict]:
    """Each unit's latest round (of ``kind``, or of any kind), ranked within its unit type (县, 区, 镇, 街道 and 部门
    are not compared with each other, as in ``scorecard batch``) by a named figure (``RANK_BY``), ties by name."""
    latest = select(Assessment.unit_id, func.max(Assessment.id).label("aid"))
    if kind:
        latest = latest.where(Assessment.kind == kind)
    latest = latest.group_by(Assessment.unit_id).subquery()
    failing = func.sum(case((IndicatorRow.status.in_(FAILING), 1), else_=0))
    missing = func.sum(case((IndicatorRow.status == "missing_evidence", 1), else_=0))
    q = (select(Unit.uid, Unit.name, Unit.type, Unit.region, Assessment.id, Assessment.kind, Assessment.score,
                Assessment.verdict, Assessment.categories_json, failing, missing, Assessment.estimate_score,
                Assessment.range_high)
         .join(latest, latest.c.unit_id == Unit.id)
         .join(Assessment, Assessment.id == latest.c.aid)
         .join(IndicatorRow, IndicatorRow.assessment_id == Assessment.id)
         .group_by(Unit.id, Assessment.id))
    if unit_type:
        q = q.where(Unit.type == unit_type)
    if region:
        q = q.where(Unit.region.startswith(region, autoescape=True))
    rows = [{"uid": r.uid, "unit": r.name, "type": r.type, "region": r.region, "assessment": r.id, "kind": r.kind,
             "score": r.score, "verdict": r.verdict, "categories": r.categories_json, "failing": int(r[9] or 0),
             "missing_evidence": int(r[10] or 0), "estimate": r.estimate_score, "high": r.range_high}
            for r in session.execute(q).all()]
    key = {"confirmed": "score", "estimate": "estimate", "high": "high"}[rank_by]
    for r in rows:
        if r[key] is None:
            r[key] = r["score"]
    rows.sort(key=lambda r: (_type_key(r["type"]), -r[key], r["unit"], r["uid"]))
    pos = 0
    for n, r in enumerate(rows):
        same_type = n > 0 and rows[n - 1]["type"] == r["type"]
        pos = pos + 1 if same_type else 1
        r["rank"] = rows[n - 1]["rank"] if same_type and rows[n - 1][key] == r[key] else pos
    return rows


def export(session: Session, ref: str, output: Path) -> Path:
    """A zip: result.json, report.md, report.html, manifest.json (evidence manifest + archived files), verdicts."""
    from engine.files import write_atomic
    from engine.output.reports import render_report

    a = get_assessment(session, ref)
    result = ScoreResult.model_validate_json(a.current_json)
    files = stored_files(session, a.id)
    verdicts = session.scalars(select(VerdictLog).where(VerdictLog.assessment_id == a.id).order_by(VerdictLog.id)).all()
    manifest = {
        "assessment": a.id, "unit": a.unit.uid, "kind": a.kind, "period": [str(a.period_start), str(a.period_end)],
        "rules": {"edition": a.rules_edition, "digest": a.rules_digest, "profile": a.profile,
                  "profile_digest": a.profile_digest},
        "evidence_digest": a.evidence_digest, "evidence": result.evidence.model_dump(mode="json"),
        "archived_files": [{"role": f.role, "path": f.path.split("|", 1)[-1] if f.role == "waivers" else f.path,
                            "sha256": f.sha256, "size": f.size} for f in files],
    }
    log = [{"id": v.id, "indicator": v.indicator, "check": v.check_id, "verdict": v.verdict, "points": v.points,
            "reason": v.reason, "reviewer": v.reviewer, "date": v.date.isoformat(), "evidence": v.evidence,
            "source": v.source, "recorded_at": v.recorded_at.isoformat()} for v in verdicts]
    fixed = (2000, 1, 1, 0, 0, 0)
    day = a.scored_at.date()

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in (("result.json", a.current_json), ("report.md", render_report(result, "md", None, day)),
                               ("report.html", render_report(result, "html", None, day)),
                               ("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"),
                               ("verdicts.json", json.dumps(log, ensure_ascii=False, indent=2) + "\n")):
                zf.writestr(zipfile.ZipInfo(name, fixed), text.encode("utf-8"), zipfile.ZIP_DEFLATED)

    write_atomic(output, writer=write)
    return output

