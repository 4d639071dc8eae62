"""Three named figures per round for queries: 预估得分, 得分区间 upper bound, and whether the evaluation is complete.

Existing rounds get them from their stored summary (rounds stored before the figures existed: the score).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("estimate_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("range_high", sa.Float(), nullable=True))
        batch.add_column(sa.Column("complete", sa.Boolean(), nullable=False, server_default=sa.true()))
    conn = op.get_bind()
    table = sa.table("assessments", sa.column("id", sa.Integer()), sa.column("score", sa.Float()),
                     sa.column("summary_json", sa.JSON()), sa.column("estimate_score", sa.Float()),
                     sa.column("range_high", sa.Float()), sa.column("complete", sa.Boolean()))
    for aid, score, summary in conn.execute(sa.select(table.c.id, table.c.score, table.c.summary_json)).all():
        summary = summary or {}
        conn.execute(table.update().where(table.c.id == aid).values(
            estimate_score=(summary.get("estimate") or {}).get("score", score),
            range_high=(summary.get("range") or {}).get("high", score),
            complete=bool(summary.get("complete", True))))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("complete")
        batch.drop_column("range_high")
        batch.drop_column("estimate_score")
