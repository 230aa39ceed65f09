"""Messages an organizer writes to a group of a forum's people (days, sessions, teams,
roles, statuses), sent now or scheduled

Revision ID: f4815e65556a
Revises: 3b7c2d9e4f10
Create Date: 2026-12-04 13:23:34.624180

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4815e65556a'
down_revision = '3b7c2d9e4f10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('group_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_group_message_created_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_group_message_forum_id_forum'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_message'))
    )
    with op.batch_alter_table('group_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_message_forum_id'), ['forum_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_message_send_at'), ['send_at'], unique=False)



def downgrade():
    with op.batch_alter_table('group_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_message_send_at'))
        batch_op.drop_index(batch_op.f('ix_group_message_forum_id'))

    op.drop_table('group_message')
