"""The service clock: which clock each stage's limits count (working or elapsed), and
pausing a stage's clock (挂起), notifications held to working hours

Revision ID: 0006_clock
Revises: 0005
Create Date: 2026-11-30 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_clock'
down_revision = '0006_outcomes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stage_pauses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('stage', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_by', sa.String(length=200), nullable=False),
    sa.Column('resume_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stopped', sa.JSON(), nullable=False),
    sa.Column('resumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resumed_by', sa.String(length=200), nullable=True),
    sa.Column('resumed_how', sa.String(length=20), nullable=True),
    sa.Column('paused_seconds', sa.Double(), nullable=True),
    sa.Column('paused_working_seconds', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stage_pauses', schema=None) as batch_op:
        batch_op.create_index('ix_stage_pauses_instance', ['instance_id', 'paused_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_pauses_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deliver_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_clock', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('department_clock', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_seconds', sa.Double(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('paused_working_seconds', sa.Double(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('paused_working_seconds')
        batch_op.drop_column('paused_seconds')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('department_clock')
        batch_op.drop_column('stage_clock')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('deliver_at')

    with op.batch_alter_table('stage_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_pauses_task_id'))
        batch_op.drop_index('ix_stage_pauses_instance')

    op.drop_table('stage_pauses')
