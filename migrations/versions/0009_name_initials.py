"""beneficiaries carry their name's pinyin initials, for the phone's search

``beneficiary.name_initials`` (张国强 -> ``zgq``) is set by the server whenever a
name is written (server/common/pinyin.py). The people already stored are filled
in here, and the stored wire text of beneficiaries in ``sync_change`` is cleared,
so pulls dump them afresh with the new field (``flask sync rebuild-wire`` stores
it again). Phones that already hold a person get the initials when the person
next changes or the phone pulls afresh; until then it finds them by name, 组 or
phone.

Revision ID: 0009_name_initials
Revises: 0008_seal_visits
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

from server.common.pinyin import name_initials

# revision identifiers, used by Alembic.
revision = "0009_name_initials"
down_revision = "0008_seal_visits"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    with op.batch_alter_table("beneficiary") as batch:
        batch.add_column(sa.Column("name_initials", sa.String(40), nullable=True))
    bind = op.get_bind()
    people = sa.table("beneficiary", sa.column("id", sa.Uuid), sa.column("name", sa.String),
                      sa.column("name_initials", sa.String))
    after = None
    while True:
        statement = sa.select(people.c.id, people.c.name).order_by(people.c.id).limit(BATCH)
        if after is not None:
            statement = statement.where(people.c.id > after)
        rows = bind.execute(statement).all()
        if not rows:
            break
        after = rows[-1].id
        bind.execute(
            people.update().where(people.c.id == sa.bindparam("i"))
            .values(name_initials=sa.bindparam("n")),
            [{"i": row.id, "n": name_initials(row.name)} for row in rows])
    bind.execute(sa.text(
        "UPDATE sync_change SET wire = NULL, wire_format = NULL WHERE entity = 'beneficiary'"))


def downgrade():
    with op.batch_alter_table("beneficiary") as batch:
        batch.drop_column("name_initials")
