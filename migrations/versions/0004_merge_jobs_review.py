"""merge the scheduler and review branches

Revision ID: 0004
Revises: 0003_jobs, 0003_review
Create Date: 2026-11-26

"""

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = ("0003_jobs", "0003_review")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
