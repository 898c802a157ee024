"""People: staff accounts and logins, the case log and attachments of an order, customer profiles, remedies and refund audits

Revision ID: 0006_people
Revises: 0005
Create Date: 2026-11-30 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_people'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff',
    sa.Column('staff_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('departments', sa.JSON(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('staff_id')
    )
    op.create_table('staff_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.staff_id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_staff_sessions_staff', ['staff_id', 'revoked_at'],
                              unique=False)
    op.create_table('case_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['number'], ['work_orders.number'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.create_index('ix_case_entries_order', ['number', 'kind', 'at'], unique=False)
    op.create_table('attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['number'], ['work_orders.number'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_order', ['number', 'uploaded_at'], unique=False)
    op.create_table('customer_profiles',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.String(length=20), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=True),
    sa.Column('markers', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('phone')
    )
    op.create_table('customer_profile_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['phone'], ['customer_profiles.phone'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_profile_changes', schema=None) as batch_op:
        batch_op.create_index('ix_customer_profile_changes_phone', ['phone', 'id'],
                              unique=False)
    op.create_table('order_remedies',
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('demands', sa.JSON(), nullable=False),
    sa.Column('refund_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('compensation_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('apology', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['number'], ['work_orders.number'], ),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_table('refund_audits',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('refund_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('audited_by', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('audited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['number'], ['work_orders.number'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('refund_audits', schema=None) as batch_op:
        batch_op.create_index('ix_refund_audits_order', ['number', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('refund_audits', schema=None) as batch_op:
        batch_op.drop_index('ix_refund_audits_order')
    op.drop_table('refund_audits')
    op.drop_table('order_remedies')
    with op.batch_alter_table('customer_profile_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_profile_changes_phone')
    op.drop_table('customer_profile_changes')
    op.drop_table('customer_profiles')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_order')
    op.drop_table('attachments')
    with op.batch_alter_table('case_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_case_entries_order')
    op.drop_table('case_entries')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_sessions_staff')
    op.drop_table('staff_sessions')
    op.drop_table('staff')
