"""audit rows are append-only in the database itself

No code path updates or deletes audit rows; these triggers make the database
refuse it too, whoever connects: an UPDATE is always refused, a DELETE of a row
younger than 180 days is refused (MLPS level 3 asks that audit records be kept
at least six months; older rows may be archived and purged by an operator).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

POSTGRESQL_UP = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit_log is append-only: rows cannot be changed';
    END IF;
    IF OLD.at > now() - interval '180 days' THEN
        RAISE EXCEPTION 'audit_log rows are kept at least 180 days';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_keep_180_days BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""

POSTGRESQL_DOWN = """
DROP TRIGGER IF EXISTS audit_log_keep_180_days ON audit_log;
DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
"""

SQLITE_UP = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END""",
    # "at" is stored as naive UTC text ("YYYY-MM-DD HH:MM:SS…"), comparable with datetime()
    """CREATE TRIGGER audit_log_keep_180_days BEFORE DELETE ON audit_log
       WHEN OLD.at > datetime('now', '-180 days')
       BEGIN SELECT RAISE(ABORT, 'audit_log rows are kept at least 180 days'); END""",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_UP)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_DOWN)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_keep_180_days")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
