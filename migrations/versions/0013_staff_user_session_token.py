"""Staff sessions carry the account's session token, so sign-out, a new password or
deactivation ends them server-side

Revision ID: 69d58e95dd88
Revises: 8e3f1b2c6d70
Create Date: 2026-11-29 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '69d58e95dd88'
down_revision = '8e3f1b2c6d70'
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts get a random token each before the column becomes required. The
    # sessions signed in before carry no token, so everyone signs in once more.
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    random_hex = (
        "md5(random()::text || clock_timestamp()::text || id::text)"
        if op.get_bind().dialect.name == "postgresql"
        else "lower(hex(randomblob(16)))"
    )
    op.execute(f"UPDATE staff_user SET session_token = {random_hex}")
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('session_token')
