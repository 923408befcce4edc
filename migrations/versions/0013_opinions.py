"""opinions a liaison collects: feedback.source and collected_by_id, the opinion table

Every feedback stored so far came from the public form, the public API or a 连心卡 QR
code: source "form". A liaison's opinion is a feedback of source "liaison" plus the
opinion row the phone holds (server/feedback/opinions.py).

Revision ID: 0013_opinions
Revises: 0012_policies
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_opinions"
down_revision = "0012_policies"
branch_labels = None
depends_on = None


def upgrade():
    # the server default fills in the rows already there
    with op.batch_alter_table("feedback", schema=None) as batch:
        batch.add_column(sa.Column("source", sa.String(length=10), server_default="form",
                                   nullable=False))
        batch.add_column(sa.Column("collected_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_feedback_collected_by_id_user_account"),
                                 "user_account", ["collected_by_id"], ["id"])
        batch.create_index(batch.f("ix_feedback_source"), ["source"], unique=False)

    op.create_table(
        "opinion",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("relayed_on", sa.Date(), nullable=True),
        sa.Column("village_id", sa.Uuid(), nullable=False),
        sa.Column("liaison_id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Uuid(), nullable=False),
        sa.Column("receipt_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("field_versions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["beneficiary_id"], ["beneficiary.id"],
                                name=op.f("fk_opinion_beneficiary_id_beneficiary")),
        sa.ForeignKeyConstraint(["village_id"], ["region.id"],
                                name=op.f("fk_opinion_village_id_region")),
        sa.ForeignKeyConstraint(["liaison_id"], ["user_account.id"],
                                name=op.f("fk_opinion_liaison_id_user_account")),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"],
                                name=op.f("fk_opinion_feedback_id_feedback")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion")),
        sa.UniqueConstraint("feedback_id", name=op.f("uq_opinion_feedback_id")),
    )
    with op.batch_alter_table("opinion", schema=None) as batch:
        batch.create_index(batch.f("ix_opinion_beneficiary_id"), ["beneficiary_id"], unique=False)
        batch.create_index(batch.f("ix_opinion_updated_at"), ["updated_at"], unique=False)
        batch.create_index(batch.f("ix_opinion_village_id"), ["village_id"], unique=False)


def downgrade():
    with op.batch_alter_table("opinion", schema=None) as batch:
        batch.drop_index(batch.f("ix_opinion_village_id"))
        batch.drop_index(batch.f("ix_opinion_updated_at"))
        batch.drop_index(batch.f("ix_opinion_beneficiary_id"))
    op.drop_table("opinion")
    with op.batch_alter_table("feedback", schema=None) as batch:
        batch.drop_index(batch.f("ix_feedback_source"))
        batch.drop_constraint(batch.f("fk_feedback_collected_by_id_user_account"),
                              type_="foreignkey")
        batch.drop_column("collected_by_id")
        batch.drop_column("source")
