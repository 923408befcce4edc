"""the masked ID number shows nothing beyond the prefecture

``5108**********1234`` showed the last four digits beside the birth date and the
sex every list shows: with the county's area codes that left one candidate of
500 for a person's number. The mask is now ``5108**************`` (server/common/
idnumbers.py). Every copy of the old mask kept in the database is masked again:

* ``beneficiary.id_number_masked``;
* the audit log's ``id_number_masked`` values (creations, ID changes) - the
  append-only trigger is lifted for this one statement and put back;
* the stored wire text of beneficiaries in ``sync_change`` is cleared: pulls dump
  those records afresh until ``flask sync rebuild-wire`` stores them again.

Copies outside the database are not reached: backups and ledger files made
before the upgrade, and phones' stored records until the person next changes.

Revision ID: 0008_id_mask
Revises: 0008_feedback_abuse
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_id_mask"
down_revision = "0008_feedback_abuse"
branch_labels = None
depends_on = None

SHOWN, LENGTH = 4, 18
BATCH = 2000

SQLITE_NO_UPDATE = """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END"""


def _mask(value):
    if isinstance(value, str) and len(value) >= SHOWN:
        return value[:SHOWN] + "*" * (LENGTH - SHOWN)
    return value


def _remasked(changes):
    value = changes.get("id_number_masked")
    if isinstance(value, list):
        return {**changes, "id_number_masked": [_mask(v) for v in value]}
    return {**changes, "id_number_masked": _mask(value)}


def _remask_audit(bind):
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("entity", sa.String),
                     sa.column("changes", sa.JSON))
    after = 0
    while True:
        rows = bind.execute(
            sa.select(audit.c.id, audit.c.changes)
            .where(audit.c.id > after, audit.c.entity == "beneficiary",
                   sa.cast(audit.c.changes, sa.Text).like("%id_number_masked%"))
            .order_by(audit.c.id).limit(BATCH)).all()
        if not rows:
            return
        after = rows[-1].id
        values = [{"i": row.id, "c": _remasked(row.changes)} for row in rows
                  if isinstance(row.changes, dict) and "id_number_masked" in row.changes]
        if values:
            bind.execute(
                audit.update().where(audit.c.id == sa.bindparam("i"))
                .values(changes=sa.bindparam("c", type_=sa.JSON)), values)


def upgrade():
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE beneficiary SET id_number_masked = substr(id_number_masked, 1, :shown) || :stars"
    ), {"shown": SHOWN, "stars": "*" * (LENGTH - SHOWN)})
    bind.execute(sa.text(
        "UPDATE sync_change SET wire = NULL, wire_format = NULL WHERE entity = 'beneficiary'"))
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        _remask_audit(bind)
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        _remask_audit(bind)
        op.execute(SQLITE_NO_UPDATE)


def downgrade():
    # The hidden digits are not kept in clear anywhere: nothing to restore.
    pass
