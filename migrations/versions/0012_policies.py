"""policy, policy_revision, policy_document: the county's policy library (法规政策)

A policy is a synced record (phones hold the current version, rendered); each
published version keeps its author's Markdown in policy_revision; its PDF, if any,
in policy_document.

Revision ID: 0012_policies
Revises: 0011_enrollment_slips
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_policies"
down_revision = "0011_enrollment_slips"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('policy',
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('title_initials', sa.String(length=40), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('has_pdf', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('field_versions', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy'))
    )
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_updated_at'), ['updated_at'], unique=False)

    op.create_table('policy_document',
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=120), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_document_policy_id_policy')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_policy_document_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('policy_id', name=op.f('pk_policy_document'))
    )
    op.create_table('policy_revision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_revision_policy_id_policy')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_policy_revision_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_revision')),
    sa.UniqueConstraint('policy_id', 'version', name=op.f('uq_policy_revision_policy_id'))
    )
    with op.batch_alter_table('policy_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_revision_policy_id'), ['policy_id'], unique=False)



def downgrade():
    with op.batch_alter_table('policy_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_revision_policy_id'))

    op.drop_table('policy_revision')
    op.drop_table('policy_document')
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_updated_at'))

    op.drop_table('policy')
