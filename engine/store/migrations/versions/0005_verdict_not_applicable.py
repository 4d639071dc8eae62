"""Reviewers' 不适用 verdicts: the verdict log's verdict column holds ``not_applicable`` (14 characters; it was 10).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("verdicts") as batch:
        batch.alter_column("verdict", existing_type=sa.String(10), type_=sa.String(20), existing_nullable=False)


def downgrade() -> None:
    n = op.get_bind().execute(sa.text("SELECT count(*) FROM verdicts WHERE verdict = 'not_applicable'")).scalar()
    if n:
        raise RuntimeError(f"结果库中有 {n} 条「不适用」核查结论,旧版本无法保存,不能降级")
    with op.batch_alter_table("verdicts") as batch:
        batch.alter_column("verdict", existing_type=sa.String(20), type_=sa.String(10), existing_nullable=False)
