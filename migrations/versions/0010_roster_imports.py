"""roster imports: one row per uploaded roster, checked or applied by a background job

Revision ID: 0010_roster_imports
Revises: 0009_name_initials
Create Date: 2026-12-03

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_roster_imports"
down_revision = "0009_name_initials"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("applied_from_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("stored_file", sa.String(length=80), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("errors_total", sa.Integer(), nullable=False),
        sa.Column("has_report", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_roster_import_user_id_user_account")),
        sa.ForeignKeyConstraint(["applied_from_id"], ["roster_import.id"],
                                name=op.f("fk_roster_import_applied_from_id_roster_import")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_import")),
    )
    op.create_index(op.f("ix_roster_import_user_id"), "roster_import", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_roster_import_user_id"), table_name="roster_import")
    op.drop_table("roster_import")
