"""Rectification tracking, waivers, and an optimistic version on assessments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("approver", sa.String(100), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("scoring", sa.String(20), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], name="fk_waivers_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("id", name="pk_waivers"),
    )
    op.create_index("ix_waivers_assessment_id", "waivers", ["assessment_id"])
    op.create_table(
        "rectification_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("source_assessment_id", sa.Integer(), nullable=False),
        sa.Column("indicator_no", sa.Integer(), nullable=False),
        sa.Column("indicator_title", sa.String(500), nullable=False),
        sa.Column("lead_unit", sa.String(200), nullable=False),
        sa.Column("co_lead", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(100), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("closing_evidence", sa.Text(), nullable=False),
        sa.Column("closed_by_assessment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.CheckConstraint("status IN ('待整改', '整改中', '已整改', '已销号', '逾期')", name="ck_rectification_items_status"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_rectification_items_unit_id_units"),
        sa.ForeignKeyConstraint(["source_assessment_id"], ["assessments.id"],
                                name="fk_rectification_items_source_assessment_id_assessments"),
        sa.ForeignKeyConstraint(["closed_by_assessment_id"], ["assessments.id"],
                                name="fk_rectification_items_closed_by_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("id", name="pk_rectification_items"),
        sa.UniqueConstraint("source_assessment_id", "indicator_no", "lead_unit", name="uq_rectification_items_item"),
    )
    op.create_index("ix_rectification_items_unit_id", "rectification_items", ["unit_id"])
    op.create_index("ix_rectification_items_lead_unit", "rectification_items", ["lead_unit"])
    op.create_table(
        "rectification_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status_from", sa.String(10), nullable=True),
        sa.Column("status_to", sa.String(10), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["rectification_items.id"],
                                name="fk_rectification_notes_item_id_rectification_items"),
        sa.PrimaryKeyConstraint("id", name="pk_rectification_notes"),
    )
    op.create_index("ix_rectification_notes_item_id", "rectification_notes", ["item_id"])


def downgrade() -> None:
    op.drop_table("rectification_notes")
    op.drop_table("rectification_items")
    op.drop_table("waivers")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("version")
