"""Scans an offline door let through that could not become check-ins when they synced (conflicts for organizers)

Revision ID: aee0dea52ba0
Revises: 1f52b749ca63
Create Date: 2026-12-05 05:51:21.729163

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'aee0dea52ba0'
down_revision = '1f52b749ca63'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_in_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scanned_by_id', sa.Integer(), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('check_in_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['check_in_id'], ['check_in.id'], name=op.f('fk_check_in_conflict_check_in_id_check_in'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['day_id'], ['forum_day.id'], name=op.f('fk_check_in_conflict_day_id_forum_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_check_in_conflict_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scanned_by_id'], ['staff_user.id'], name=op.f('fk_check_in_conflict_scanned_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_conflict')),
    sa.UniqueConstraint('request_id', name=op.f('uq_check_in_conflict_request_id'))
    )
    with op.batch_alter_table('check_in_conflict', schema=None) as batch_op:
        batch_op.create_index('ix_check_in_conflict_day', ['day_id', 'scanned_at'], unique=False)



def downgrade():
    with op.batch_alter_table('check_in_conflict', schema=None) as batch_op:
        batch_op.drop_index('ix_check_in_conflict_day')

    op.drop_table('check_in_conflict')
