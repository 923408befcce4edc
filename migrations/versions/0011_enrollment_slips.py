"""enrollment_slip: the printed one-time QR login of a liaison

One row per printed slip: the code's keyed hash (never the code), who issued it and
when, until when it is valid, and the phone (sync client id) that used it first.

Revision ID: 0011_enrollment_slips
Revises: 0010_roster_imports
Create Date: 2026-12-03

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_enrollment_slips"
down_revision = "0010_roster_imports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "enrollment_slip",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_client_id", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_enrollment_slip_user_id_user_account")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["user_account.id"],
                                name=op.f("fk_enrollment_slip_issued_by_id_user_account")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["user_account.id"],
                                name=op.f("fk_enrollment_slip_revoked_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_slip")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_enrollment_slip_code_hash")),
    )
    with op.batch_alter_table("enrollment_slip") as batch:
        batch.create_index(batch.f("ix_enrollment_slip_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("enrollment_slip") as batch:
        batch.drop_index(batch.f("ix_enrollment_slip_user_id"))
    op.drop_table("enrollment_slip")
