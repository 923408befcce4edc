"""policy outreach: visits record the policies explained and the 便民服务 done; villages'
outreach meetings (outreach_meeting)

The two visit columns are added with a constant default, so existing visits read as
"none" at once (PostgreSQL adds such a column without rewriting the table).

Revision ID: 0014_outreach
Revises: 0013_opinions
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

NONE = sa.text("'[]'")

# revision identifiers, used by Alembic.
revision = "0014_outreach"
down_revision = "0013_opinions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outreach_meeting',
    sa.Column('village_id', sa.Uuid(), nullable=False),
    sa.Column('liaison_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('policies_explained', sa.JSON(), nullable=False),
    sa.Column('attendee_ids', sa.JSON(), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('field_versions', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['liaison_id'], ['user_account.id'], name=op.f('fk_outreach_meeting_liaison_id_user_account')),
    sa.ForeignKeyConstraint(['village_id'], ['region.id'], name=op.f('fk_outreach_meeting_village_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_meeting'))
    )
    with op.batch_alter_table('outreach_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_meeting_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_meeting_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_meeting_village_id'), ['village_id'], unique=False)

    op.add_column("visit", sa.Column("policies_explained", sa.JSON(), nullable=False,
                                     server_default=NONE))
    op.add_column("visit", sa.Column("services", sa.JSON(), nullable=False, server_default=NONE))



def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('services')
        batch_op.drop_column('policies_explained')

    with op.batch_alter_table('outreach_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_meeting_village_id'))
        batch_op.drop_index(batch_op.f('ix_outreach_meeting_updated_at'))
        batch_op.drop_index(batch_op.f('ix_outreach_meeting_held_on'))

    op.drop_table('outreach_meeting')
