"""Tables of the results store (SQLAlchemy 2 declarative models).

The schema is created and changed only by the Alembic revisions in ``migrations/versions``; a test keeps
these models equal to the migrated schema. Portable types only: the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import true

from engine.store.vocabulary import ITEM_STATUSES, OPEN_STATUSES, ROUND_KINDS  # noqa: F401 (re-exported)

FILE_ROLES = ("package", "rules", "profile", "waivers")

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Unit(Base):
    """An assessed unit. ``uid`` is its stable identifier (default: 地区/名称 from unit.yaml)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    region: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessments: Mapped[list[Assessment]] = relationship(back_populates="unit")


class Assessment(Base):
    """One assessment round (自评 / 评估 / 复核) of a unit over a creation period."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("unit_id", "kind", "period_start", "period_end", name="uq_assessments_round"),
        CheckConstraint("kind IN ('自评', '评估', '复核')", name="kind"),
        Index("ix_assessments_kind_unit", "kind", "unit_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    rules_edition: Mapped[str] = mapped_column(String(100))
    rules_digest: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(100))
    profile_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    evidence_digest: Mapped[str] = mapped_column(String(64))
    assessor: Mapped[str] = mapped_column(String(100), default="")
    scored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # summary figures for queries (the full summary is in summary_json)
    score: Mapped[float] = mapped_column(Float)
    earned: Mapped[float] = mapped_column(Float)
    applicable_points: Mapped[float] = mapped_column(Float)
    pending_review_points: Mapped[float] = mapped_column(Float, default=0.0)
    verdict: Mapped[str] = mapped_column(String(50))
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    # revision 0003: the other named figures (score above is 已确认得分)
    estimate_score: Mapped[float | None] = mapped_column(Float, nullable=True)  # 预估得分
    range_high: Mapped[float | None] = mapped_column(Float, nullable=True)  # 得分区间上限
    complete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    summary_json: Mapped[dict] = mapped_column(JSON)
    categories_json: Mapped[dict] = mapped_column(JSON)
    # the automated result (before verdicts and waivers) and the current result (after them), canonical JSON;
    # result_json is NULL while it equals scored_json (no verdicts, no waivers): half the space for most rounds
    scored_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # revision 0002: optimistic lock (two evaluators recording verdicts at once never overwrite each other)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    unit: Mapped[Unit] = relationship(back_populates="assessments")
    indicators: Mapped[list[IndicatorRow]] = relationship(cascade="all, delete-orphan", order_by="IndicatorRow.no")
    __mapper_args__ = {"version_id_col": version}

    @property
    def current_json(self) -> str:
        """The round's current result (after verdicts and waivers), canonical JSON."""
        return self.result_json if self.result_json is not None else self.scored_json


class IndicatorRow(Base):
    __tablename__ = "indicator_results"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    no: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    points: Mapped[float] = mapped_column(Float)
    earned: Mapped[float] = mapped_column(Float)
    pending_review: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_units: Mapped[list] = mapped_column(JSON)


class CheckRow(Base):
    __tablename__ = "check_results"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    indicator_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    violations: Mapped[int] = mapped_column(Integer, default=0)
    actual: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[str] = mapped_column(Text, default="")


class VerdictLog(Base):
    """Reviewers' verdicts, append-only: the latest per (indicator, check) wins, earlier ones stay as history."""

    __tablename__ = "verdicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    indicator: Mapped[int] = mapped_column(Integer)
    check_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    verdict: Mapped[str] = mapped_column(String(20))  # pass | fail | partial | not_applicable (revision 0005)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    date: Mapped[dt.date] = mapped_column(Date)
    evidence: Mapped[list] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArchivedFile(Base):
    """A file behind a round (package file, rules, profile, waivers), kept in the archive by its SHA-256."""

    __tablename__ = "assessment_files"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)


# ---- revision 0002: optimistic version, waivers, rectification tracking


class WaiverRow(Base):
    __tablename__ = "waivers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    indicator: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str] = mapped_column(Text)
    approver: Mapped[str] = mapped_column(String(100))
    expires: Mapped[dt.date] = mapped_column(Date)
    scoring: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(300), default="")


class RectificationItem(Base):
    """One 整改事项 per (indicator, lead unit) of an 评估 round; co-lead units get their own item."""

    __tablename__ = "rectification_items"
    __table_args__ = (
        UniqueConstraint("source_assessment_id", "indicator_no", "lead_unit", name="uq_rectification_items_item"),
        CheckConstraint("status IN ('待整改', '整改中', '已整改', '已销号', '逾期')", name="status"),
        Index("ix_rectification_items_lead_unit", "lead_unit"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    source_assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    indicator_no: Mapped[int] = mapped_column(Integer)
    indicator_title: Mapped[str] = mapped_column(String(500))
    lead_unit: Mapped[str] = mapped_column(String(200))
    co_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(20))  # 整改 / 补充材料
    problem: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(100), default="")
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="待整改")
    closing_evidence: Mapped[str] = mapped_column(Text, default="")
    closed_by_assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    notes: Mapped[list[RectificationNote]] = relationship(order_by="RectificationNote.id", cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version}


class RectificationNote(Base):
    __tablename__ = "rectification_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_items.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    status_from: Mapped[str | None] = mapped_column(String(10), nullable=True)
    status_to: Mapped[str | None] = mapped_column(String(10), nullable=True)



# ---- revision 0004: accounts of the web workspace (engine.store.accounts)


class User(Base):
    """A web account: admin (管理员), evaluator (评估人员, with scopes) or unit (单位用户, with its unit's uid)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'evaluator', 'unit')", name="role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(20))
    unit_uid: Mapped[str | None] = mapped_column(String(200), nullable=True)
    scopes: Mapped[list] = mapped_column(JSON)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Setting(Base):
    """Server settings kept in the database (e.g. the key that signs session cookies)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# ---- revision 0006: upload jobs of the web workspace (their state outlives the process that ran them)


class UploadJob(Base):
    """A 填报 upload being validated and scored: its stage and outcome, readable by any server process."""

    __tablename__ = "upload_jobs"
    __table_args__ = (CheckConstraint("state IN ('running', 'failed', 'done')", name="state"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_uid: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    stage: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="running")
    problems: Mapped[list] = mapped_column(JSON)
    assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
