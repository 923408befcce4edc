import uuid

from marshmallow import fields
from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.models import SyncRecord
from ..extensions import db
from ..records.fields import shown


class Region(SyncRecord, db.Model):
    __tablename__ = "region"
    wire_entity = "region"

    code: Mapped[str] = mapped_column(
        String(20), unique=True, nullable=False, info=shown(fields.String()))
    name: Mapped[str] = mapped_column(String(60), nullable=False, info=shown(fields.String()))
    # county / township / village
    level: Mapped[str] = mapped_column(String(10), nullable=False, info=shown(fields.String()))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("region.id"), index=True,
        info=shown(fields.UUID(allow_none=True)),
    )

    parent = relationship("Region", remote_side="Region.id", lazy="joined", innerjoin=False)

    def __repr__(self):
        return f"<Region {self.code} {self.name}>"


def full_name(region):
    """A region named from the county down (巴山县, 巴山县青龙镇, 巴山县青龙镇石桥村), as
    a printed ledger's title names its area; "" for none."""
    names = []
    while region is not None:
        names.append(region.name)
        region = region.parent
    return "".join(reversed(names))
