"""Outcomes: repeat, upgraded and first-contact orders, home city, liability judgments

Revision ID: 0006_outcomes
Revises: 0005
Create Date: 2026-11-30 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_outcomes'
down_revision = '0006_people'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeat_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('repeat_of', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('upgraded', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('upgrade_source', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('upgrade_reference', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('upgraded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_contact', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('city', sa.String(length=50), nullable=True))

    op.create_table('liability_judgments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('liable', sa.Boolean(), nullable=False),
    sa.Column('departments', sa.JSON(), nullable=False),
    sa.Column('cause', sa.String(length=50), nullable=True),
    sa.Column('major', sa.Boolean(), nullable=False),
    sa.Column('judged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['number'], ['work_orders.number'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number', 'version')
    )
    with op.batch_alter_table('liability_judgments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_liability_judgments_judged_at'), ['judged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_liability_judgments_number'), ['number'], unique=False)


def downgrade():
    with op.batch_alter_table('liability_judgments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_liability_judgments_number'))
        batch_op.drop_index(batch_op.f('ix_liability_judgments_judged_at'))

    op.drop_table('liability_judgments')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('city')
        batch_op.drop_column('first_contact')
        batch_op.drop_column('upgraded_at')
        batch_op.drop_column('upgrade_reference')
        batch_op.drop_column('upgrade_source')
        batch_op.drop_column('upgraded')
        batch_op.drop_column('repeat_of')
        batch_op.drop_column('repeat_count')
