"""Outbox messages whose bodies are rendered when they are sent

Revision ID: 7b1d4e9a2c53
Revises: 56a9140241cb
Create Date: 2026-12-07 13:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7b1d4e9a2c53"
down_revision = "56a9140241cb"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rendered_by", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("render_arguments", sa.JSON(), nullable=True))


def downgrade():
    # The older code cannot write these bodies, and would send them empty.
    waiting = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM outbox_message "
            "WHERE rendered_by IS NOT NULL AND status = 'pending'"
        )
    )
    if waiting:
        raise RuntimeError(
            f"{waiting} queued messages are still to be written by the mail worker: run "
            "`flask --app forumapp mail send` until the outbox has none pending, then downgrade"
        )
    # Those that failed can no longer be retried: they are kept as never to be sent.
    op.execute(
        "UPDATE outbox_message SET status = 'superseded', "
        "last_error = 'not written: forumapp was downgraded before it was sent' "
        "WHERE rendered_by IS NOT NULL AND status = 'failed'"
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("render_arguments")
        batch_op.drop_column("rendered_by")
