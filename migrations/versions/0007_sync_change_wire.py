"""sync_change keeps each record as a pull sends it

A pull used to load every record it names and dump it; now the writing
transaction stores the change as the pull will send it (``wire``, JSON text;
health data sealed like its columns) with the fingerprint of the wire format
it was made with (``wire_format``). A pull answers from these columns; rows
without them, or made with another format, are dumped as before. Existing rows
are left empty here: `flask sync rebuild-wire` fills them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sync_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wire", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("wire_format", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("sync_change", schema=None) as batch_op:
        batch_op.drop_column("wire_format")
        batch_op.drop_column("wire")
