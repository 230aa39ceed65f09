"""Presence scans at any door, attendance corrections, credit types per program, credits per session, certificate settings and issued certificates

Revision ID: 1f52b749ca63
Revises: 0c1d5e7a2f20
Create Date: 2026-12-05 05:20:44.208333

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f52b749ca63'
down_revision = '0c1d5e7a2f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_settings',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('sponsor', sa.String(length=300), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('signature_png', sa.LargeBinary(), nullable=True),
    sa.Column('require_feedback', sa.Boolean(), nullable=False),
    sa.Column('retention_years', sa.Integer(), nullable=False),
    sa.CheckConstraint('retention_years BETWEEN 0 AND 50', name=op.f('ck_certificate_settings_retention_years_in_range')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_certificate_settings_program_id_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', name=op.f('pk_certificate_settings'))
    )
    op.create_table('credit_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('accrediting_body', sa.String(length=200), nullable=False),
    sa.Column('provider_number', sa.String(length=100), nullable=False),
    sa.Column('minutes_per_unit', sa.Integer(), nullable=False),
    sa.Column('unit_name', sa.String(length=40), nullable=False),
    sa.Column('rounding', sa.String(length=30), nullable=False),
    sa.Column('requires_exit', sa.Boolean(), nullable=False),
    sa.CheckConstraint("rounding IN ('exact', 'down_quarter_hour', 'down_half_hour', 'nearest_quarter_hour', 'down_whole_unit')", name=op.f('ck_credit_type_rounding_known')),
    sa.CheckConstraint('minutes_per_unit BETWEEN 1 AND 600', name=op.f('ck_credit_type_minutes_per_unit_in_range')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_credit_type_program_id_program'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_type')),
    sa.UniqueConstraint('program_id', 'name', name=op.f('uq_credit_type_program_id_name'))
    )
    with op.batch_alter_table('credit_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_type_program_id'), ['program_id'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('forum_id', sa.Integer(), nullable=True),
    sa.Column('issue', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('retain_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_certificate_forum_id_forum'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_certificate_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_certificate_registration_id_registration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['certificate.id'], name=op.f('fk_certificate_replaced_by_id_certificate'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_person', ['person_id'], unique=False)
        batch_op.create_index('ix_certificate_registration', ['registration_id'], unique=False)

    op.create_table('attendance_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('present_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('present_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(present_from IS NULL AND present_until IS NULL) OR (present_from IS NOT NULL AND present_until IS NOT NULL AND present_until > present_from)', name=op.f('ck_attendance_correction_times_in_order')),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_item.id'], name=op.f('fk_attendance_correction_item_id_agenda_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_attendance_correction_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['staff_user.id'], name=op.f('fk_attendance_correction_set_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_correction')),
    sa.UniqueConstraint('registration_id', 'item_id', name=op.f('uq_attendance_correction_registration_id_item_id'))
    )
    with op.batch_alter_table('attendance_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_correction_item_id'), ['item_id'], unique=False)

    op.create_table('presence_scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('day_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scanned_by_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint("direction IN ('entry', 'exit')", name=op.f('ck_presence_scan_direction_known')),
    sa.ForeignKeyConstraint(['day_id'], ['forum_day.id'], name=op.f('fk_presence_scan_day_id_forum_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_item.id'], name=op.f('fk_presence_scan_item_id_agenda_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_presence_scan_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scanned_by_id'], ['staff_user.id'], name=op.f('fk_presence_scan_scanned_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_scan')),
    sa.UniqueConstraint('request_id', name=op.f('uq_presence_scan_request_id'))
    )
    with op.batch_alter_table('presence_scan', schema=None) as batch_op:
        batch_op.create_index('ix_presence_scan_item', ['item_id'], unique=False)
        batch_op.create_index('ix_presence_scan_registration_day', ['registration_id', 'day_id'], unique=False)

    op.create_table('session_credit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('credit_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credit_type_id'], ['credit_type.id'], name=op.f('fk_session_credit_credit_type_id_credit_type'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_item.id'], name=op.f('fk_session_credit_item_id_agenda_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_credit')),
    sa.UniqueConstraint('item_id', 'credit_type_id', name=op.f('uq_session_credit_item_id_credit_type_id'))
    )
    with op.batch_alter_table('session_credit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_credit_credit_type_id'), ['credit_type_id'], unique=False)



def downgrade():
    with op.batch_alter_table('session_credit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_credit_credit_type_id'))

    op.drop_table('session_credit')
    with op.batch_alter_table('presence_scan', schema=None) as batch_op:
        batch_op.drop_index('ix_presence_scan_registration_day')
        batch_op.drop_index('ix_presence_scan_item')

    op.drop_table('presence_scan')
    with op.batch_alter_table('attendance_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_correction_item_id'))

    op.drop_table('attendance_correction')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_registration')
        batch_op.drop_index('ix_certificate_person')

    op.drop_table('certificate')
    with op.batch_alter_table('credit_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_type_program_id'))

    op.drop_table('credit_type')
    op.drop_table('certificate_settings')
