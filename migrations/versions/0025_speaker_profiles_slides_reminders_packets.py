"""Speaker profile proposals, slides reminders and the packet after a forum

Revision ID: 56a9140241cb
Revises: 3076bdd09f25
Create Date: 2026-12-06 21:36:06.158667

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '56a9140241cb'
down_revision = '3076bdd09f25'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('materials_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('slides_reminder_days', sa.Integer(), nullable=True),
    sa.Column('packet_timing', sa.String(length=20), nullable=True),
    sa.Column('packet_send_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("packet_timing IS NULL OR packet_timing != 'at_time' OR packet_send_at IS NOT NULL", name=op.f('ck_materials_plan_packet_time_given')),
    sa.CheckConstraint("packet_timing IS NULL OR packet_timing IN ('feedback_closes', 'at_time')", name=op.f('ck_materials_plan_packet_timing_known')),
    sa.CheckConstraint('slides_reminder_days IS NULL OR slides_reminder_days BETWEEN 1 AND 60', name=op.f('ck_materials_plan_slides_reminder_days_in_range')),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_materials_plan_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_materials_plan_updated_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials_plan')),
    sa.UniqueConstraint('forum_id', name=op.f('uq_materials_plan_forum_id'))
    )
    op.create_table('packet_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('materials', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_packet_delivery_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_packet_delivery_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packet_delivery')),
    sa.UniqueConstraint('forum_id', 'person_id', name=op.f('uq_packet_delivery_forum_id_person_id'))
    )
    with op.batch_alter_table('packet_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_packet_delivery_person_id'), ['person_id'], unique=False)

    op.create_table('speaker_mailing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('speaker_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('link', 'slides_reminder')", name=op.f('ck_speaker_mailing_kind_known')),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_speaker_mailing_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['speaker_id'], ['speaker.id'], name=op.f('fk_speaker_mailing_speaker_id_speaker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_speaker_mailing')),
    sa.UniqueConstraint('forum_id', 'speaker_id', 'kind', name=op.f('uq_speaker_mailing_forum_id_speaker_id_kind'))
    )
    with op.batch_alter_table('speaker_mailing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_speaker_mailing_speaker_id'), ['speaker_id'], unique=False)

    op.create_table('speaker_profile_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('speaker_id', sa.Integer(), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('bio_es', sa.Text(), nullable=False),
    sa.Column('photo_filename', sa.String(length=64), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['speaker_id'], ['speaker.id'], name=op.f('fk_speaker_profile_proposal_speaker_id_speaker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_speaker_profile_proposal')),
    sa.UniqueConstraint('speaker_id', name=op.f('uq_speaker_profile_proposal_speaker_id'))
    )


def downgrade():
    op.drop_table('speaker_profile_proposal')
    with op.batch_alter_table('speaker_mailing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_speaker_mailing_speaker_id'))

    op.drop_table('speaker_mailing')
    with op.batch_alter_table('packet_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_packet_delivery_person_id'))

    op.drop_table('packet_delivery')
    op.drop_table('materials_plan')
