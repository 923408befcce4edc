"""photos out of the database: each attachment's bytes become a file of the photo store

``attachment.data`` is replaced by ``attachment.file_key``, the SHA-256 of the bytes,
naming a file under ``LIANXIN_PHOTO_DIR`` (default ``instance/photos``; the app's
setting: Flask-Migrate runs this in the app). Every stored photo is written there
(synced to disk) before its row names it, a batch of rows at a time, so a county's
photos never sit in memory together; ``data`` is dropped once every row has its key.
An upgrade stopped half-way leaves files no row names yet: a re-run writes them again
(the same names), and the purge removes any left over. The downgrade reads the files
back into ``data`` (and leaves them in the folder).

Revision ID: 0015_photo_files
Revises: 0014_outreach
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_photo_files"
down_revision = "0014_outreach"
branch_labels = None
depends_on = None

BATCH = 200

attachment = sa.table("attachment", sa.column("id", sa.Uuid), sa.column("data", sa.LargeBinary),
                      sa.column("file_key", sa.String))


def _store():
    from server.visits.photos import photo_store

    return photo_store()


def _batches(bind, *columns, where):
    """The rows matching ``where``, ``BATCH`` at a time, in id order (keyset: no offset)."""
    last = None
    while True:
        query = sa.select(attachment.c.id, *columns).where(where).order_by(attachment.c.id)
        if last is not None:
            query = query.where(attachment.c.id > last)
        rows = bind.execute(query.limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("attachment") as batch_op:
        batch_op.add_column(sa.Column("file_key", sa.String(length=64), nullable=True))

    store = _store()
    for rows in _batches(bind, attachment.c.data, where=attachment.c.file_key.is_(None)):
        for row in rows:
            bind.execute(attachment.update().where(attachment.c.id == row.id)
                         .values(file_key=store.put(bytes(row.data))))

    with op.batch_alter_table("attachment") as batch_op:
        batch_op.alter_column("file_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ix_attachment_file_key", ["file_key"], unique=False)
        batch_op.drop_column("data")


def downgrade():
    bind = op.get_bind()
    with op.batch_alter_table("attachment") as batch_op:
        batch_op.add_column(sa.Column("data", sa.LargeBinary(), nullable=True))

    store = _store()
    for rows in _batches(bind, attachment.c.file_key, where=attachment.c.data.is_(None)):
        for row in rows:
            bind.execute(attachment.update().where(attachment.c.id == row.id)
                         .values(data=store.read(row.file_key)))

    with op.batch_alter_table("attachment") as batch_op:
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_index("ix_attachment_file_key")
        batch_op.drop_column("file_key")
