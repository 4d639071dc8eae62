"""Upload jobs of the web workspace: a 填报 upload's stage and outcome kept in the store, so that a restart or a
second server process does not lose them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("unit_uid", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('running', 'failed', 'done')", name="ck_upload_jobs_state"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_upload_jobs_owner_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_upload_jobs"),
    )
    op.create_index("ix_upload_jobs_owner_id", "upload_jobs", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_upload_jobs_owner_id", table_name="upload_jobs")
    op.drop_table("upload_jobs")
