"""Store a scored round, record reviewers' verdicts, and re-score an archived round.

A round keeps two results: ``scored_json`` (the automated result) and ``result_json`` (after the verdict log
and the waivers). ``compose`` turns the first into the second; storing, recording verdicts and ``reproduce``
all go through it, so re-scoring the archived files with the archived rules gives byte-identical JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import InputError, Problem
from engine.results import ScoreResult
from engine.review.verdicts import LocatedVerdict, Verdict, apply_verdicts
from engine.review.waivers import apply_waivers, load_waivers
from engine.store.archive import Archive, Stored, package_files
from engine.store.db import Store, sqlite_path
from engine.store.models import (
    ROUND_KINDS,
    ArchivedFile,
    Assessment,
    CheckRow,
    IndicatorRow,
    Unit,
    VerdictLog,
    WaiverRow,
)


def store_problem(message: str, expected: str | None = None, code: str = "store", value: str | None = None) -> InputError:
    return InputError(Problem("结果库", message, value=value, expected=expected, code=code))


def default_uid(result: ScoreResult) -> str:
    return f"{result.unit.region}/{result.unit.name}" if result.unit.region else result.unit.name


def find_unit(session: Session, key: str) -> Unit | None:
    """A unit by its stable id, else by its name (when the name is unique)."""
    unit = session.scalar(select(Unit).where(Unit.uid == key))
    if unit is not None:
        return unit
    found = session.scalars(select(Unit).where(Unit.name == key)).all()
    return found[0] if len(found) == 1 else None


def get_unit(session: Session, key: str) -> Unit:
    unit = find_unit(session, key)
    if unit is None:
        raise store_problem(f"结果库中没有单位「{key}」", "已入库单位的编号(地区/名称)或名称;scorecard ranking 列出全部单位",
                            "unknown_unit", key)
    return unit


def get_assessment(session: Session, ref: str | int, lock: bool = False) -> Assessment:
    try:
        aid = int(str(ref).lstrip("#"))
    except ValueError:
        raise store_problem("评估编号应为数字", "scorecard history 单位 列出的编号", "bad_assessment", str(ref)) from None
    q = select(Assessment).where(Assessment.id == aid)
    if lock:
        q = q.with_for_update()
    a = session.scalar(q)
    if a is None:
        raise store_problem(f"结果库中没有编号为 {aid} 的评估", "scorecard history 单位 列出的编号", "unknown_assessment", str(ref))
    return a


# ------------------------------------------------------------------ compose: scored -> current result


def _located(rows: list[VerdictLog]) -> list[LocatedVerdict]:
    latest: dict[tuple[int, str | None], VerdictLog] = {}
    for r in rows:  # in the order recorded: the latest wins
        latest[(r.indicator, r.check_id)] = r
    out = []
    for key in sorted(latest, key=lambda k: (k[0], k[1] or "")):
        r = latest[key]
        v = Verdict(indicator=r.indicator, check=r.check_id, verdict=r.verdict, points=r.points, reason=r.reason,
                    reviewer=r.reviewer, date=r.date, evidence=list(r.evidence or []))
        out.append(LocatedVerdict(v, r.source or "结果库", None))
    return out


def verdicts_digest(located: list[LocatedVerdict]) -> str:
    data = [lv.verdict.model_dump(mode="json") | {"source": lv.file} for lv in located]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def compose(scored: ScoreResult, catalog, verdicts: list[VerdictLog], waivers: list[tuple[Path, str]],
            as_of: dt.date | None, owned: bool = False) -> ScoreResult:
    """Verdicts (latest per indicator/check) then waivers, as ``engine.review.finalize`` does for files.

    ``owned``: the caller parsed ``scored`` for this call only, so it may be changed in place (no deep copy).

    ``waivers``: (file to read, the path shown in the result). ``as_of``: the stored base date (None when no
    base date mattered).
    """
    located = _located(verdicts)
    if not located and not waivers:  # nothing to apply: no deep copy of a large result
        if as_of is None or scored.run.as_of == as_of.isoformat():
            return scored
        return scored.model_copy(update={"run": scored.run.model_copy(update={"as_of": as_of.isoformat()})})
    result = scored  # apply_verdicts and apply_waivers each return a copy: the scored result is never changed
    if located:
        result = apply_verdicts(result, located, catalog, copy=not owned)
        result.run.review_digest = verdicts_digest(located)
    if waivers:
        entries, digest = load_waivers([p for p, _ in waivers])
        names = {str(p): shown for p, shown in waivers}
        entries = [(e, names.get(file, file), row) for e, file, row in entries]
        day = as_of or dt.date.today()
        profile = getattr(catalog, "profile", None)
        result = apply_waivers(result, entries, catalog, day, profile.waiver_scoring if profile else "excluded")
        result.run.waivers_digest = digest
    if as_of is not None:
        result.run.as_of = as_of.isoformat()
    return result


def effective_as_of(scored: ScoreResult, given: dt.date | None, has_waivers: bool) -> dt.date | None:
    """The base date recorded with the round (None when nothing depends on it), as finalize decides it."""
    inspection = scored.unit.inspection_date
    if given is not None:
        return given
    if inspection:
        return dt.date.fromisoformat(inspection)
    return dt.date.today() if has_waivers else None


# ------------------------------------------------------------------ rows for queries


def _summary_columns(a: Assessment, result: ScoreResult, text: str | None = None) -> None:
    s = result.summary
    a.score, a.earned, a.applicable_points = s.score, s.earned, s.applicable_points
    a.pending_review_points, a.verdict, a.vetoed = s.pending_review_points, s.verdict, s.vetoed
    a.estimate_score, a.range_high, a.complete = s.estimate.score, s.range.high, s.complete
    a.summary_json = s.model_dump(mode="json")
    a.categories_json = {str(c.no): {"name": c.name, "earned": c.earned, "points": c.points,
                                     "applicable_points": c.applicable_points} for c in result.categories}
    text = text if text is not None else result.to_json()
    a.result_json = None if a.scored_json == text else text


def _write_rows(session: Session, aid: int, result: ScoreResult, replace: bool) -> None:
    if replace:
        session.execute(delete(CheckRow).where(CheckRow.assessment_id == aid))
        session.execute(delete(IndicatorRow).where(IndicatorRow.assessment_id == aid))
        session.execute(delete(WaiverRow).where(WaiverRow.assessment_id == aid))
    session.execute(insert(IndicatorRow), [
        {"assessment_id": aid, "no": i.no, "category": i.category, "status": i.status, "points": i.points,
         "earned": i.earned, "pending_review": i.pending_review, "lead_units": list(i.lead_units)}
        for i in result.indicators])
    session.execute(insert(CheckRow), [
        {"assessment_id": aid, "indicator_no": i.no, "check_id": c.id, "kind": c.kind, "status": c.status,
         "score": c.score, "violations": c.violations, "actual": c.actual, "required": c.required}
        for i in result.indicators for c in i.checks])
    waived = [{"assessment_id": aid, "indicator": i.no, "justification": i.waiver.justification,
               "approver": i.waiver.approver, "expires": dt.date.fromisoformat(i.waiver.expires),
               "scoring": i.waiver.scoring, "source": i.waiver.source} for i in result.indicators if i.waiver]
    if waived:
        session.execute(insert(WaiverRow), waived)


# ------------------------------------------------------------------ storing a round


@dataclass
class RoundInput:
    package: Path
    scored: ScoreResult
    rules_dir: Path
    profile_file: Path | None
    kind: str = "自评"
    assessor: str = ""
    uid: str | None = None
    parent: str | None = None
    register: bool = False
    verdicts: list[LocatedVerdict] | None = None
    waiver_files: tuple[Path, ...] = ()
    as_of: dt.date | None = None


def archive_round(archive: Archive, rin: RoundInput) -> list[Stored]:
    files: list[Stored] = []
    for rel, path in package_files(rin.package):
        sha, size = archive.put_file(path, rin.package, rel)
        files.append(Stored("package", rel, sha, size))
    for path in sorted(Path(rin.rules_dir).glob("*.yaml")):
        sha, size = archive.put_file(path)
        files.append(Stored("rules", path.name, sha, size))
    if rin.profile_file is not None:
        sha, size = archive.put_file(rin.profile_file)
        files.append(Stored("profile", Path(rin.profile_file).name, sha, size))
    for k, path in enumerate(rin.waiver_files):
        sha, size = archive.put_file(path)
        files.append(Stored("waivers", f"{k}/{Path(path).name}|{path}", sha, size))
    return files


def _waiver_sources(files: list[Stored], root: Path) -> list[tuple[Path, str]]:
    out = []
    for f in files:
        if f.role == "waivers":
            stored, shown = f.path.split("|", 1)
            out.append((root / "waivers" / stored, shown))
    return out


def _restore_stored(files: list[Stored]) -> list[Stored]:
    """Archive paths as written on disk (a waiver's shown path is kept after '|')."""
    return [Stored(f.role, f.path.split("|", 1)[0], f.sha256, f.size) for f in files]


def check_location(url: str, archive_dir: Path | None, package: Path) -> None:
    """The database file and the archive are never inside the evidence package being stored (it is read-only)."""
    from engine.files import check_output, protect

    protect(root=package)
    for target in (archive_dir, sqlite_path(url)):
        if target is not None:
            check_output(target, f"结果库 {target}")


def record_round(store: Store, rin: RoundInput, catalog) -> tuple[int, ScoreResult]:
    """Archive the files, then in one transaction: the unit (if new), the round, its rows and verdicts."""
    if rin.kind not in ROUND_KINDS:
        raise store_problem(f"未知的评估轮次「{rin.kind}」", "、".join(ROUND_KINDS), "bad_round", rin.kind)
    if store.archive_dir is None:
        raise store_problem("PostgreSQL 结果库需要指定佐证归档目录", "--archive 目录,或环境变量 SCORECARD_ARCHIVE", "no_archive")
    check_location(store.url, store.archive_dir, rin.package)
    archive = Archive(store.archive_dir)
    files = archive_round(archive, rin)
    scored = rin.scored
    uid = rin.uid or default_uid(scored)
    as_of = effective_as_of(scored, rin.as_of, bool(rin.waiver_files))
    scored_text = scored.to_json()
    period = (dt.date.fromisoformat(scored.unit.period_start), dt.date.fromisoformat(scored.unit.period_end))
    with tempfile.TemporaryDirectory() as tmp:
        archive.restore(_restore_stored([f for f in files if f.role == "waivers"]), Path(tmp))
        waivers = _waiver_sources(files, Path(tmp))
        try:
            with store.transaction() as session:
                unit = session.scalar(select(Unit).where(Unit.uid == uid))
                if unit is None:
                    if rin.kind != "自评" and not rin.register:
                        raise store_problem(f"结果库中没有单位「{uid}」,不能登记其「{rin.kind}」轮次",
                                            "先登记该单位的自评轮次,或加 --register 登记新单位", "unknown_unit", uid)
                    parent = get_unit(session, rin.parent) if rin.parent else None
                    unit = Unit(uid=uid, name=scored.unit.name, type=scored.unit.type, region=scored.unit.region,
                                parent_id=parent.id if parent else None)
                    session.add(unit)
                    session.flush()
                elif unit.name != scored.unit.name or unit.type != scored.unit.type:
                    raise store_problem(f"证据包的单位({scored.unit.name},{scored.unit.type})与结果库中的单位「{uid}」"
                                        f"({unit.name},{unit.type})不一致", "unit.yaml 的名称与类型与已入库单位相同,或用 --unit 指定其他编号",
                                        "unit_mismatch", uid)
                dup = session.scalar(select(Assessment).where(
                    Assessment.unit_id == unit.id, Assessment.kind == rin.kind,
                    Assessment.period_start == period[0], Assessment.period_end == period[1]))
                if dup is not None:
                    raise _duplicate(uid, rin.kind, period, dup.id)
                log = [VerdictLog(indicator=lv.verdict.indicator, check_id=lv.verdict.check, verdict=lv.verdict.verdict,
                                  points=lv.verdict.points, reason=lv.verdict.reason, reviewer=lv.verdict.reviewer,
                                  date=lv.verdict.date, evidence=list(lv.verdict.evidence), source=lv.source)
                       for lv in rin.verdicts or []]
                result = compose(scored, catalog, log, waivers, as_of)
                a = Assessment(unit_id=unit.id, kind=rin.kind, period_start=period[0], period_end=period[1],
                               rules_edition=scored.run.rules_edition, rules_digest=scored.run.rules_digest,
                               profile=scored.run.profile, profile_digest=scored.run.profile_digest,
                               evidence_digest=scored.run.evidence_digest, assessor=rin.assessor, as_of=as_of,
                               scored_json=scored_text)
                _summary_columns(a, result, scored_text if result is scored else None)
                session.add(a)
                session.flush()
                for row in log:
                    row.assessment_id = a.id
                    session.add(row)
                session.execute(insert(ArchivedFile), [
                    {"assessment_id": a.id, "role": f.role, "path": f.path, "sha256": f.sha256, "size": f.size}
                    for f in files])
                _write_rows(session, a.id, result, replace=False)
                from engine.store import tracking

                tracking.after_round(session, a, result, catalog)
                aid = a.id
        except IntegrityError:
            raise _duplicate(uid, rin.kind, period, None) from None
    return aid, result


def _duplicate(uid: str, kind: str, period, aid: int | None) -> InputError:
    where = f"(编号 {aid})" if aid else ""
    return store_problem(f"单位「{uid}」{period[0]} 至 {period[1]} 的「{kind}」轮次已在结果库中{where}",
                         "每个单位每个创建周期每种轮次只入库一次;核查结论用 scorecard review import 追加", "duplicate_round")


# ------------------------------------------------------------------ archived files and rules


def stored_files(session: Session, aid: int) -> list[Stored]:
    rows = session.scalars(select(ArchivedFile).where(ArchivedFile.assessment_id == aid)
                           .order_by(ArchivedFile.role, ArchivedFile.path)).all()
    return [Stored(r.role, r.path, r.sha256, r.size) for r in rows]


def rules_files_digest(files: list[Stored]) -> str:
    """One digest over a round's archived rules and profile files (names and SHA-256): equal digests, equal rules."""
    parts = sorted(f"{f.role}\0{f.path}\0{f.sha256}" for f in files if f.role in ("rules", "profile"))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def archived_rules(archive: Archive, files: list[Stored], root: Path):
    """The round's own rules and profile, loaded (its waiver files are restored under ``root``).

    The archive is content-addressed, so the digest of the round's rules and profile files names its rules: the
    compiled-rules cache (``engine.rules.cache``) keeps them under that digest, and recording a verdict neither
    restores nor reloads the 87 indicators once they were compiled in this process.
    """
    from engine.evaluate.pipeline import load_rules
    from engine.rules.cache import compiled_rules_for

    archive.restore(_restore_stored([f for f in files if f.role == "waivers"]), root)

    def build():
        archive.restore(_restore_stored([f for f in files if f.role in ("rules", "profile")]), root)
        profile = next((root / "profile" / f.path for f in files if f.role == "profile"), None)
        return load_rules(root / "rules", profile=profile)

    return compiled_rules_for(f"archived-round-rules:{rules_files_digest(files)}", build, disk=False)


# ------------------------------------------------------------------ verdicts recorded later


def record_verdicts(store: Store, ref: str | int, verdicts: list[LocatedVerdict], retries: int = 5) -> ScoreResult:
    """Append verdicts to a round's log and recompute its current result.

    The round's row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers queue on the database
    lock) and carries a version number, so two evaluators recording at once never lose each other's verdicts.
    """
    archive = Archive(store.archive_dir) if store.archive_dir else None
    for attempt in range(retries):
        try:
            with store.transaction() as session:
                a = get_assessment(session, ref, lock=True)
                files = stored_files(session, a.id)
                for lv in verdicts:
                    v = lv.verdict
                    session.add(VerdictLog(assessment_id=a.id, indicator=v.indicator, check_id=v.check, verdict=v.verdict,
                                           points=v.points, reason=v.reason, reviewer=v.reviewer, date=v.date,
                                           evidence=list(v.evidence), source=lv.source))
                session.flush()
                log = session.scalars(select(VerdictLog).where(VerdictLog.assessment_id == a.id)
                                      .order_by(VerdictLog.id)).all()
                with tempfile.TemporaryDirectory() as tmp:
                    rules = archived_rules(_need(archive), files, Path(tmp))
                    scored = ScoreResult.model_validate_json(a.scored_json)
                    result = compose(scored, rules.catalog, list(log), _waiver_sources(files, Path(tmp)), a.as_of,
                                     owned=True)
                _summary_columns(a, result)
                flag_modified(a, "summary_json")  # the version moves with every verdict, even one that changes nothing
                _write_rows(session, a.id, result, replace=True)
                from engine.store import tracking

                tracking.after_round(session, a, result, rules.catalog)
                return result
        except StaleDataError:
            if attempt == retries - 1:
                raise store_problem("其他评估人员同时在修改该评估,多次重试后仍未成功", "稍后重试", "conflict") from None
    raise AssertionError("unreachable")


def _need(archive: Archive | None) -> Archive:
    if archive is None:
        raise store_problem("PostgreSQL 结果库需要指定佐证归档目录", "--archive 目录,或环境变量 SCORECARD_ARCHIVE", "no_archive")
    return archive


# ------------------------------------------------------------------ reproduce


def reproduce(store: Store, ref: str | int, backend: str = "auto") -> tuple[str, str]:
    """Re-score the archived files with the archived rules; returns (stored JSON, reproduced JSON)."""
    from engine.evaluate.backends import get_backend
    from engine.evaluate.pipeline import score
    from evidence.package import load_package

    archive = _need(Archive(store.archive_dir) if store.archive_dir else None)
    with store.session() as session:
        a = get_assessment(session, ref)
        files = stored_files(session, a.id)
        log = list(session.scalars(select(VerdictLog).where(VerdictLog.assessment_id == a.id)
                                      .order_by(VerdictLog.id)).all())
        stored, as_of = a.current_json, a.as_of
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rules = archived_rules(archive, files, root)
        archive.restore([f for f in files if f.role == "package"], root)
        pkg = load_package(root / "package", rules.ledgers)
        scored = score(pkg, rules, get_backend(backend))
        result = compose(scored, rules.catalog, log, _waiver_sources(files, root), as_of)
    return stored, result.to_json()
