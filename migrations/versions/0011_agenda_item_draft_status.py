"""Agenda items may be drafts: proposals only staff see until an organizer schedules them

Revision ID: 5c0d7a1e9b42
Revises: a16e9a3c7c60
Create Date: 2026-11-28 01:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5c0d7a1e9b42'
down_revision = 'a16e9a3c7c60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agenda_item_status_known'), type_='check')
        batch_op.create_check_constraint(
            'status_known', "status IN ('draft', 'scheduled', 'cancelled')"
        )


def downgrade():
    # A draft has never been shown to anyone: it goes back to being a scheduled session.
    op.execute("UPDATE agenda_item SET status = 'scheduled' WHERE status = 'draft'")
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_agenda_item_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', "status IN ('scheduled', 'cancelled')")
