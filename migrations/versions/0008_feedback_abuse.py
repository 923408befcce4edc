"""the public feedback form: single-use stamps, suspected forms kept for staff

``feedback_stamp`` holds the nonce of every form stamp that has sent a
feedback, so a stamp sends once. ``feedback.suspected`` marks a form kept but
looking like a robot's (the honeypot filled, the same text again);
``feedback.text_hash`` finds the same text sent again.

Revision ID: 0008_feedback_abuse
Revises: 0008_login_throttle
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_feedback_abuse"
down_revision = "0008_login_throttle"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspected", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("text_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_feedback_text_hash"), ["text_hash"], unique=False)

    op.create_table(
        "feedback_stamp",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feedback_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"],
                                name=op.f("fk_feedback_stamp_feedback_id_feedback")),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_feedback_stamp")),
    )
    with op.batch_alter_table("feedback_stamp", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_stamp_used_at"), ["used_at"], unique=False)


def downgrade():
    with op.batch_alter_table("feedback_stamp", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_stamp_used_at"))
    op.drop_table("feedback_stamp")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_text_hash"))
        batch_op.drop_column("text_hash")
        batch_op.drop_column("suspected")
