"""The service clock: which clock each stage's limits count (working or elapsed)

Revision ID: 0006_clock
Revises: 0005
Create Date: 2026-11-30 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_clock'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_clock', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('department_clock', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('department_clock')
        batch_op.drop_column('stage_clock')
