"""index visit tasks by the visit that asked for or closed them, and by status and due day

Without them every saved visit scanned the whole task table: at the county
scale (125,000 tasks) a push of 100 visits took seconds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visit_task", schema=None) as batch_op:
        batch_op.create_index("ix_visit_task_source_visit_id", ["source_visit_id"], unique=False)
        batch_op.create_index("ix_visit_task_done_visit_id", ["done_visit_id"], unique=False)
        batch_op.create_index("ix_visit_task_status_due_on", ["status", "due_on"], unique=False)


def downgrade():
    with op.batch_alter_table("visit_task", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_task_status_due_on")
        batch_op.drop_index("ix_visit_task_done_visit_id")
        batch_op.drop_index("ix_visit_task_source_visit_id")
