"""Read side used by the web workspace: units with their rounds, one round with its files and verdict log,
the rounds waiting for review, one rectification item. Plain rows (dicts) or model objects; no HTML here.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, joinedload

from engine.store.models import ArchivedFile, Assessment, RectificationItem, Unit, VerdictLog

ROUND_COLUMNS = (Assessment.id, Assessment.unit_id, Assessment.kind, Assessment.period_start, Assessment.period_end,
                 Assessment.scored_at, Assessment.assessor, Assessment.score, Assessment.earned,
                 Assessment.applicable_points, Assessment.pending_review_points, Assessment.verdict, Assessment.vetoed,
                 Assessment.summary_json, Assessment.categories_json)


def figures(summary: dict) -> dict:
    """已确认得分 / 预估得分 / 得分区间 from a stored summary (older results: all equal to the score)."""
    score = summary.get("score", 0.0)
    confirmed = (summary.get("confirmed") or {}).get("score", score)
    estimate = (summary.get("estimate") or {}).get("score", confirmed)
    rng = summary.get("range") or {}
    return {"confirmed": confirmed, "estimate": estimate, "low": rng.get("low", confirmed),
            "high": rng.get("high", confirmed), "total": summary.get("total_points", 100.0)}


def _round(r) -> dict:
    return {"id": r.id, "unit_id": r.unit_id, "kind": r.kind, "period_start": r.period_start, "period_end": r.period_end,
            "year": r.period_end.year, "scored_at": r.scored_at, "assessor": r.assessor, "score": r.score,
            "earned": r.earned, "applicable_points": r.applicable_points,
            "pending_review_points": r.pending_review_points, "verdict": r.verdict, "vetoed": r.vetoed,
            "summary": r.summary_json, "figures": figures(r.summary_json or {}), "categories": r.categories_json}


def units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.region, Unit.name, Unit.uid)).all())


def unit(session: Session, unit_id: int) -> Unit | None:
    return session.get(Unit, unit_id)


def unit_by_uid(session: Session, uid: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.uid == uid))


def rounds(session: Session, unit_ids: list[int] | None = None) -> dict[int, list[dict]]:
    """Every round (summary figures only) per unit id, oldest first."""
    q = select(*ROUND_COLUMNS).order_by(Assessment.period_start, Assessment.scored_at, Assessment.id)
    if unit_ids is not None:
        if not unit_ids:
            return {}
        q = q.where(Assessment.unit_id.in_(unit_ids))
    out: dict[int, list[dict]] = {}
    for r in session.execute(q).all():
        out.setdefault(r.unit_id, []).append(_round(r))
    return out


def assessment(session: Session, aid: int) -> Assessment | None:
    """A round with its unit, without its two result texts (hundreds of kB each; ``current_json`` reads them)."""
    return session.get(Assessment, aid, options=[defer(Assessment.scored_json), defer(Assessment.result_json),
                                                 joinedload(Assessment.unit)])


def current_json(session: Session, aid: int) -> str | None:
    """The round's current result text (after verdicts and waivers) in one query."""
    return session.scalar(select(func.coalesce(Assessment.result_json, Assessment.scored_json))
                          .where(Assessment.id == aid))


def verdict_log(session: Session, aid: int) -> list[VerdictLog]:
    return list(session.scalars(select(VerdictLog).where(VerdictLog.assessment_id == aid)
                                .order_by(VerdictLog.id.desc())).all())


def archived_file(session: Session, aid: int, sha256: str) -> ArchivedFile | None:
    """A package file of round ``aid`` with this digest (None when the round has no such file)."""
    return session.scalars(select(ArchivedFile).where(ArchivedFile.assessment_id == aid, ArchivedFile.role == "package",
                                                      ArchivedFile.sha256 == sha256)
                           .order_by(ArchivedFile.path).limit(1)).first()


def package_files(session: Session, aid: int) -> list[ArchivedFile]:
    return list(session.scalars(select(ArchivedFile).where(ArchivedFile.assessment_id == aid,
                                                           ArchivedFile.role == "package")
                                .order_by(ArchivedFile.path)).all())


def awaiting_review(session: Session) -> list[tuple[dict, Unit]]:
    """Rounds with points still waiting for a reviewer's verdict, with their unit."""
    q = (select(*ROUND_COLUMNS, Unit).join(Unit, Unit.id == Assessment.unit_id)
         .where(Assessment.pending_review_points > 0).order_by(Unit.region, Unit.name, Assessment.id))
    return [(_round(r), r.Unit) for r in session.execute(q).all()]


def rectification_item(session: Session, item_id: int) -> tuple[RectificationItem, Unit] | None:
    row = session.execute(select(RectificationItem, Unit).join(Unit, Unit.id == RectificationItem.unit_id)
                          .where(RectificationItem.id == item_id)).first()
    return (row[0], row[1]) if row else None


# ------------------------------------------------------------------ ranking position for unit users (per round kind)

UNIT_RANK_KEY = "ranking.unit_position:{}"  # a row of ``settings`` per round kind: "on" lets unit users see their rank


def unit_rank_rounds(session: Session) -> dict[str, bool]:
    """For each round kind (自评, 评估, 复核): whether unit users may see their own position in its ranking
    (default: no)."""
    from engine.store.models import ROUND_KINDS, Setting

    keys = {kind: UNIT_RANK_KEY.format(kind) for kind in ROUND_KINDS}
    values = dict(session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys.values()))).all())
    return {kind: values.get(key) == "on" for kind, key in keys.items()}


def set_unit_rank(session: Session, kind: str, on: bool) -> None:
    from engine.errors import InputError, Problem
    from engine.store.models import ROUND_KINDS, Setting

    if kind not in ROUND_KINDS:
        raise InputError(Problem("结果库", f"未知的评估轮次「{kind}」", value=kind, expected="、".join(ROUND_KINDS),
                                 code="bad_round"))
    key = UNIT_RANK_KEY.format(kind)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value="on" if on else "off"))
    else:
        row.value = "on" if on else "off"


def unit_position(session: Session, unit: Unit, kind: str) -> dict | None:
    """The unit's own position in the ranking of ``kind`` among units of its type: rank, number of units ranked,
    and its own figures only (never another unit's name or score). None when it has no round of that kind."""
    from engine.store.queries import ranking

    rows = ranking(session, kind, unit.type)
    own = next((r for r in rows if r["uid"] == unit.uid), None)
    if own is None:
        return None
    return {"kind": kind, "rank": own["rank"], "units": len(rows), "type": unit.type, "assessment": own["assessment"],
            "score": own["score"], "estimate": own["estimate"], "high": own["high"], "verdict": own["verdict"],
            "failing": own["failing"], "missing_evidence": own["missing_evidence"]}


# ------------------------------------------------------------------ upload jobs (填报)

JOBS_KEPT_DAYS = 30


def save_job(session: Session, job_id: str, *, owner: int, unit_uid: str, filename: str, stage: int, state: str,
             problems: list, assessment: int | None, message: str, new: bool = False) -> None:
    """Insert (``new``) or update an upload job; jobs older than ``JOBS_KEPT_DAYS`` are dropped on insert."""
    import datetime as dt

    from sqlalchemy import delete

    from engine.store.models import UploadJob, utcnow

    now = utcnow()
    if new:
        session.execute(delete(UploadJob).where(UploadJob.created_at < now - dt.timedelta(days=JOBS_KEPT_DAYS)))
        session.add(UploadJob(id=job_id, owner_id=owner, unit_uid=unit_uid, filename=filename, stage=stage, state=state,
                              problems=problems, assessment_id=assessment, message=message, created_at=now,
                              updated_at=now))
        return
    row = session.get(UploadJob, job_id)
    if row is not None:
        row.stage, row.state, row.problems, row.assessment_id, row.message = stage, state, problems, assessment, message
        row.updated_at = now


def upload_job(session: Session, job_id: str):
    from engine.store.models import UploadJob

    return session.get(UploadJob, job_id)
