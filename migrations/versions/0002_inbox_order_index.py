"""Inbox index in exactly the inbox's order.

(state, department, due_at IS NULL, due_at, created_at, id)

SQLite keeps NULLs first in an index, so `ORDER BY due_at NULLS LAST` made it sort a
department's whole inbox for every page, and neither database could order ties from
the old index. With the order's own expressions indexed, a page is read straight
from the index on both databases.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COLUMNS = ['state', 'department', sa.text('(due_at IS NULL)'), 'due_at', 'created_at', 'id']


def upgrade():
    op.drop_index('ix_human_tasks_inbox', table_name='human_tasks')
    op.create_index('ix_human_tasks_inbox', 'human_tasks', COLUMNS, unique=False)


def downgrade():
    op.drop_index('ix_human_tasks_inbox', table_name='human_tasks')
    op.create_index('ix_human_tasks_inbox', 'human_tasks', ['state', 'department', 'due_at'],
                    unique=False)
