"""Language requests (interpreters and translated materials) per registration, and each forum's interpreter booking deadline

Revision ID: 0c1d5e7a2f20
Revises: 644d7e077c88
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0c1d5e7a2f20'
down_revision = '644d7e077c88'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'language_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('spanish_interpreter', sa.Boolean(), nullable=False),
        sa.Column('asl_interpreter', sa.Boolean(), nullable=False),
        sa.Column('spanish_materials', sa.Boolean(), nullable=False),
        sa.Column('other_language', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('staff_note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'arranged', 'not possible')",
            name=op.f('ck_language_request_status_known'),
        ),
        sa.ForeignKeyConstraint(
            ['owner_id'], ['staff_user.id'],
            name=op.f('fk_language_request_owner_id_staff_user'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['registration_id'], ['registration.id'],
            name=op.f('fk_language_request_registration_id_registration'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_language_request')),
        sa.UniqueConstraint('registration_id', name=op.f('uq_language_request_registration_id')),
    )
    with op.batch_alter_table('language_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_language_request_owner_id'), ['owner_id'], unique=False)

    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('interpreter_booking_days', sa.Integer(), nullable=False, server_default='10')
        )
        batch_op.create_check_constraint(
            'interpreter_booking_days_not_negative', 'interpreter_booking_days >= 0'
        )


def downgrade():
    with op.batch_alter_table('forum', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('ck_forum_interpreter_booking_days_not_negative'), type_='check'
        )
        batch_op.drop_column('interpreter_booking_days')

    with op.batch_alter_table('language_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_language_request_owner_id'))

    op.drop_table('language_request')
