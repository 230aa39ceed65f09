"""Reminders before each forum day (offsets per day, a row per reminder sent so each goes
once), the venue's parking and accessibility contact, and what the measures count on day
seats: promotions from the waitlist and seats given back through a reminder

Revision ID: 9c1e5a7b3d20
Revises: f4815e65556a
Create Date: 2026-12-04 20:13:08.226648

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c1e5a7b3d20'
down_revision = 'f4815e65556a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_day_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('reminder', 'waitlist_note')", name=op.f('ck_sent_reminder_kind_known')),
    sa.CheckConstraint('days_before > 0', name=op.f('ck_sent_reminder_days_before_positive')),
    sa.ForeignKeyConstraint(['forum_day_id'], ['forum_day.id'], name=op.f('fk_sent_reminder_forum_day_id_forum_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_sent_reminder_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminder')),
    sa.UniqueConstraint('forum_day_id', 'days_before', 'person_id', name=op.f('uq_sent_reminder_forum_day_id_days_before_person_id'))
    )
    with op.batch_alter_table('sent_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_reminder_person_id'), ['person_id'], unique=False)

    # Seats held before this revision were never counted: no promotion or release is known.
    with op.batch_alter_table('day_seat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('released_via', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            'released_via_known', "released_via IN ('reminder')"
        )

    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parking_info', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('accessibility_contact', sa.String(length=300), nullable=False, server_default=''))

    # Every day held so far gets the default reminders, 7 and 2 days before.
    with op.batch_alter_table('forum_day', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days', sa.String(length=40), nullable=False, server_default='7,2'))


def downgrade():
    with op.batch_alter_table('forum_day', schema=None) as batch_op:
        batch_op.drop_column('reminder_days')

    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.drop_column('accessibility_contact')
        batch_op.drop_column('parking_info')

    with op.batch_alter_table('day_seat', schema=None) as batch_op:
        batch_op.drop_constraint('released_via_known', type_='check')
        batch_op.drop_column('released_via')
        batch_op.drop_column('promoted_at')

    with op.batch_alter_table('sent_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_reminder_person_id'))

    op.drop_table('sent_reminder')
