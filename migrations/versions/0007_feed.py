"""The event feed's position: outbox events numbered in commit order

Revision ID: 0007_feed
Revises: 0006_integrations
Create Date: 2026-11-30 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_feed'
down_revision = '0006_integrations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_position', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_feed_position', ['feed_position'], unique=True)
    # Every event there now has committed: its id is a sound position.
    op.execute('UPDATE outbox_events SET feed_position = id')


def downgrade():
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_feed_position')
        batch_op.drop_column('feed_position')
