"""visits' health content is sealed like the health file

A visit's summary, needs, actions and details (a sick visit's illness, hospital
and treatment, a monthly visit's health notes …) become encrypted columns
(Fernet under LIANXIN_DATA_KEY, server/common/crypto.py); ``details`` changes
from JSON to the encrypted text of its JSON. Existing rows are encrypted here,
and so are the copies sync and the audit log keep of them:

* ``sync_change.wire`` of visits: the stored text is sealed as a whole, as the
  health file's is (AES-GCM, opened fast at pull time: server/common/crypto.py);
* ``sync_conflict.fields`` and ``sync_mutation.result["server"]`` of visits: sealed
  (``{"sealed": token}``, server/sync/protect.py);
* ``audit_log.changes`` of visits: these fields' values replaced by the redaction
  mark. The audit log refuses updates (0006); its update trigger is lifted for
  this one statement per row and put back in the same transaction.

Also an index for the per-user photo quota (uploads of a user since a moment).

Revision ID: 0008_seal_visits
Revises: 0008_id_mask
Create Date: 2026-12-02

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_seal_visits"
down_revision = "0008_id_mask"
branch_labels = None
depends_on = None

SEALED = ("summary", "needs", "actions", "details")
REDACTED = "（已加密，不记录）"
SQLITE_NO_UPDATE = """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END"""


def _crypto():
    from server.common.crypto import decrypt, encrypt

    return encrypt, decrypt


def _seal_wire(text):
    from server.common.crypto import seal_text

    return seal_text(text)


def _loaded(value):
    return json.loads(value) if isinstance(value, str) else value


def _seal(value, encrypt):
    return {"sealed": encrypt(json.dumps(value, ensure_ascii=False))}


def _is_sealed(value):
    return isinstance(value, dict) and set(value) == {"sealed"}


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    encrypt, decrypt = _crypto()

    if postgresql:  # in place; the ciphertext written below is no JSON
        _details_type(sa.JSON(), sa.Text(), "details::text")

    visit = sa.table("visit", sa.column("id", sa.Uuid), sa.column("summary", sa.Text),
                     sa.column("needs", sa.Text), sa.column("actions", sa.Text),
                     sa.column("details", sa.Text))
    rows = bind.execute(sa.select(visit)).all()
    for row in rows:
        details = row.details if row.details is not None else "{}"
        bind.execute(visit.update().where(visit.c.id == row.id).values(
            summary=encrypt(row.summary),
            needs=None if row.needs is None else encrypt(row.needs),
            actions=None if row.actions is None else encrypt(row.actions),
            details=encrypt(json.dumps(json.loads(details), ensure_ascii=False,
                                       separators=(",", ":")))))

    change = sa.table("sync_change", sa.column("scope_id", sa.Integer),
                      sa.column("entity", sa.String), sa.column("record_id", sa.Uuid),
                      sa.column("wire", sa.Text))
    for row in bind.execute(sa.select(change).where(change.c.entity == "visit",
                                                    change.c.wire.is_not(None))).all():
        if row.wire.startswith("{"):
            bind.execute(change.update().where(
                change.c.scope_id == row.scope_id, change.c.entity == row.entity,
                change.c.record_id == row.record_id).values(wire=_seal_wire(row.wire)))

    conflict = sa.table("sync_conflict", sa.column("id", sa.Uuid),
                        sa.column("entity", sa.String), sa.column("fields", sa.JSON))
    for row in bind.execute(sa.select(conflict).where(conflict.c.entity == "visit")).all():
        fields = _loaded(row.fields) or {}
        sealed = {name: {side: _seal(value, encrypt) if name in SEALED
                         and not _is_sealed(value) else value for side, value in pair.items()}
                  for name, pair in fields.items()}
        if sealed != fields:
            bind.execute(conflict.update().where(conflict.c.id == row.id).values(fields=sealed))

    mutation = sa.table("sync_mutation", sa.column("client_id", sa.String),
                        sa.column("mutation_id", sa.BigInteger),
                        sa.column("entity", sa.String), sa.column("result", sa.JSON))
    for row in bind.execute(sa.select(mutation).where(mutation.c.entity == "visit")).all():
        result = _loaded(row.result) or {}
        if "server" in result and not _is_sealed(result["server"]):
            bind.execute(mutation.update().where(
                mutation.c.client_id == row.client_id,
                mutation.c.mutation_id == row.mutation_id,
            ).values(result={**result, "server": _seal(result["server"], encrypt)}))

    _redact_audit(bind, postgresql)
    if not postgresql:  # a table rebuild: after the rows, inside their transaction
        _details_type(sa.JSON(), sa.Text(), None)

    op.create_index("ix_attachment_uploaded_by_created", "attachment",
                    ["uploaded_by_id", "created_at"])


def _details_type(old, new, using):
    """visit.details from ``old`` to ``new``. On SQLite that rebuilds the table while
    visit_task and visit_photo point at it: migrations/env.py runs migrations with the
    foreign keys off and checks them all after."""
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("visit", "details", existing_type=old, type_=new,
                        existing_nullable=False, postgresql_using=using)
        return
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.alter_column("details", existing_type=old, type_=new, existing_nullable=False)


def _redacted(changes):
    if not isinstance(changes, dict):
        return changes
    out = {}
    for name, value in changes.items():
        if name in SEALED:
            value = [REDACTED, REDACTED] if isinstance(value, list) else REDACTED
        out[name] = value
    return out


def _redact_audit(bind, postgresql):
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("entity", sa.String),
                     sa.column("changes", sa.JSON))
    rows = [(row.id, _loaded(row.changes)) for row in bind.execute(
        sa.select(audit.c.id, audit.c.changes).where(audit.c.entity == "visit")).all()]
    todo = [(row_id, _redacted(changes)) for row_id, changes in rows
            if _redacted(changes) != changes]
    if not todo:
        return
    if postgresql:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    for row_id, changes in todo:
        bind.execute(audit.update().where(audit.c.id == row_id).values(changes=changes))
    if postgresql:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    else:
        op.execute(SQLITE_NO_UPDATE)


def downgrade():
    """Decrypts the visits again (the audit redaction and sealed sync copies stay)."""
    bind = op.get_bind()
    _, decrypt = _crypto()
    op.drop_index("ix_attachment_uploaded_by_created", table_name="attachment")
    visit = sa.table("visit", sa.column("id", sa.Uuid), sa.column("summary", sa.Text),
                     sa.column("needs", sa.Text), sa.column("actions", sa.Text),
                     sa.column("details", sa.Text))
    for row in bind.execute(sa.select(visit)).all():
        bind.execute(visit.update().where(visit.c.id == row.id).values(
            summary=decrypt(row.summary),
            needs=None if row.needs is None else decrypt(row.needs),
            actions=None if row.actions is None else decrypt(row.actions),
            details=decrypt(row.details)))
    change = sa.table("sync_change", sa.column("entity", sa.String),
                      sa.column("wire", sa.Text), sa.column("wire_format", sa.String))
    bind.execute(change.update().where(change.c.entity == "visit")
                 .values(wire=None, wire_format=None))
    _details_type(sa.Text(), sa.JSON(), "details::json")
