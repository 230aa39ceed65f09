"""Outbox messages whose bodies are rendered when they are sent

Revision ID: 7b1d4e9a2c53
Revises: 56a9140241cb
Create Date: 2026-12-07 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b1d4e9a2c53'
down_revision = '56a9140241cb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rendered_by', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('render_arguments', sa.JSON(), nullable=True))


def downgrade():
    # The older code cannot write these bodies: rather than send them empty, they fail with a
    # reason staff can read on the outbox page.
    op.execute(
        "UPDATE outbox_message SET status = 'failed', "
        "last_error = 'to be written by a newer forumapp; it was downgraded before sending' "
        "WHERE rendered_by IS NOT NULL AND status IN ('pending', 'failed')"
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('render_arguments')
        batch_op.drop_column('rendered_by')
