"""Initial schema: units, assessment rounds, indicator and check rows, the verdict log, archived files.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("region", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name="fk_units_parent_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_units"),
        sa.UniqueConstraint("uid", name="uq_units_uid"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rules_edition", sa.String(100), nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("profile_digest", sa.String(64), nullable=True),
        sa.Column("evidence_digest", sa.String(64), nullable=False),
        sa.Column("assessor", sa.String(100), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("earned", sa.Float(), nullable=False),
        sa.Column("applicable_points", sa.Float(), nullable=False),
        sa.Column("pending_review_points", sa.Float(), nullable=False),
        sa.Column("verdict", sa.String(50), nullable=False),
        sa.Column("vetoed", sa.Boolean(), nullable=False),
        sa.Column("summary_json", sa.JSON(), nullable=False),
        sa.Column("categories_json", sa.JSON(), nullable=False),
        sa.Column("scored_json", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('自评', '评估', '复核')", name="ck_assessments_kind"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_assessments_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.UniqueConstraint("unit_id", "kind", "period_start", "period_end", name="uq_assessments_round"),
    )
    op.create_index("ix_assessments_unit_id", "assessments", ["unit_id"])
    op.create_index("ix_assessments_kind_unit", "assessments", ["kind", "unit_id"])
    op.create_table(
        "indicator_results",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("earned", sa.Float(), nullable=False),
        sa.Column("pending_review", sa.Boolean(), nullable=False),
        sa.Column("lead_units", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name="fk_indicator_results_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("assessment_id", "no", name="pk_indicator_results"),
    )
    op.create_table(
        "check_results",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("indicator_no", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("actual", sa.Text(), nullable=False),
        sa.Column("required", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], name="fk_check_results_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("assessment_id", "indicator_no", "check_id", name="pk_check_results"),
    )
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(100), nullable=True),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], name="fk_verdicts_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("id", name="pk_verdicts"),
    )
    op.create_index("ix_verdicts_assessment_id", "verdicts", ["assessment_id"])
    op.create_table(
        "assessment_files",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name="fk_assessment_files_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("assessment_id", "role", "path", name="pk_assessment_files"),
    )
    op.create_index("ix_assessment_files_sha256", "assessment_files", ["sha256"])


def downgrade() -> None:
    for table in ("assessment_files", "verdicts", "check_results", "indicator_results", "assessments", "units"):
        op.drop_table(table)
