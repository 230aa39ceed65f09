"""A message replaced by a newer one about the same thing before it went out is superseded

Revision ID: 8e3f1b2c6d70
Revises: 5c0d7a1e9b42
Create Date: 2026-11-28 01:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8e3f1b2c6d70'
down_revision = '5c0d7a1e9b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_message_status_known'), type_='check')
        batch_op.create_check_constraint(
            'status_known', "status IN ('pending', 'sent', 'failed', 'superseded')"
        )
        batch_op.create_index('ix_outbox_message_about_status', ['about', 'status'], unique=False)


def downgrade():
    # A superseded message was never sent and never will be: it counts as failed.
    op.execute("UPDATE outbox_message SET status = 'failed' WHERE status = 'superseded'")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_about_status')
        batch_op.drop_constraint(op.f('ck_outbox_message_status_known'), type_='check')
        batch_op.create_check_constraint(
            'status_known', "status IN ('pending', 'sent', 'failed')"
        )
