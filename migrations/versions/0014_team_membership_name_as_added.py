"""A roster entry keeps the name a project manager typed, so adding a known email never
shows the manager the name stored for that person

Revision ID: 3b7c2d9e4f10
Revises: 69d58e95dd88
Create Date: 2026-12-03 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7c2d9e4f10'
down_revision = '69d58e95dd88'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('team_membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_as_added', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('team_membership', schema=None) as batch_op:
        batch_op.drop_column('name_as_added')
