"""Materials: files and links of a forum or a session, with who may see them

Revision ID: 3076bdd09f25
Revises: aee0dea52ba0
Create Date: 2026-12-05 06:11:58.118903

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3076bdd09f25'
down_revision = 'aee0dea52ba0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_es', sa.String(length=200), nullable=False),
    sa.Column('visibility', sa.String(length=12), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('storage_key', sa.String(length=100), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_speaker_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("visibility IN ('public', 'registrants', 'teams', 'staff')", name=op.f('ck_material_visibility_known')),
    sa.CheckConstraint('(url IS NULL) != (storage_key IS NULL)', name=op.f('ck_material_either_a_file_or_a_link')),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_material_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_item.id'], name=op.f('fk_material_item_id_agenda_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_user.id'], name=op.f('fk_material_uploaded_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_speaker_id'], ['speaker.id'], name=op.f('fk_material_uploaded_by_speaker_id_speaker'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_material_storage_key'))
    )
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.create_index('ix_material_forum_item', ['forum_id', 'item_id', 'position'], unique=False)



def downgrade():
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.drop_index('ix_material_forum_item')

    op.drop_table('material')
