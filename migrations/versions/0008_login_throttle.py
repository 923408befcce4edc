"""user_account loses failed_logins and locked_until

Wrong passwords no longer lock an account (anyone could lock any liaison out):
they are counted per account and client address in the rate-limit store
(server/users/throttle.py), so the two columns are unused.

Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch rebuild of
user_account would drop and recreate a table that every audit row, session and
visit refers to.

Revision ID: 0008_login_throttle
Revises: 0007
Create Date: 2026-12-02

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_login_throttle"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE user_account DROP COLUMN failed_logins")
    op.execute("ALTER TABLE user_account DROP COLUMN locked_until")


def downgrade():
    op.add_column("user_account", sa.Column("failed_logins", sa.Integer(), nullable=False,
                                            server_default="0"))
    op.add_column("user_account", sa.Column("locked_until", sa.DateTime(timezone=True),
                                            nullable=True))
