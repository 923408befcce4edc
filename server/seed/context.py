"""What every part of the seed shares: the random source, the county's clock, bulk inserts."""

import itertools
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, insert

from ..common.bulk import bind_processors, copy_rows
from ..extensions import db
from ..records.changelog import audience_scope
from ..records.entities import registry
from .changelog import RowWire

CHUNK = 4000


@dataclass(eq=False)
class Township:
    id: uuid.UUID
    code: str
    name: str
    villages: list = field(default_factory=list)
    officer_id: int | None = None


@dataclass(eq=False)
class Village:
    id: uuid.UUID
    code: str
    name: str
    township: Township
    is_community: bool
    centre: tuple  # (lat, lng) for visit locations
    liaison_id: int | None = None
    people: list = field(default_factory=list)


class Person:
    """What later steps need to know about a beneficiary (kept small: 118,000 of them)."""

    __slots__ = ("id", "village", "name", "sex", "birth", "category", "status",
                 "is_migrant", "work_city", "work_province", "phone")

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    @property
    def active(self):
        return self.status == "active"


class Seeder:
    """The random source, the county's today and the helpers that turn plans into rows."""

    def __init__(self, seed, today, now, config, echo=None):
        self.rng = random.Random(seed)
        self.today = today
        self.now = now
        self.zone = ZoneInfo(config["LIANXIN_TZ"])
        self.visit_day = config["LIANXIN_VISIT_DAY"]
        # the app's rules, with their defaults for a config that predates them
        self.grace_days = config.get("LIANXIN_OVERDUE_GRACE_DAYS", 3)
        self.sick_revisit_days = config.get("LIANXIN_SICK_REVISIT_DAYS", 7)
        self.feedback_days = config.get("LIANXIN_FEEDBACK_DAYS", 15)
        self.echo = echo or (lambda _message: None)
        self.counts = {}
        self.started = monotonic()
        # sync scope key -> [(entity, record id, wire text, wire format)] in insertion
        # order, for the change log
        self.changes = {}

    # -- identity and time ----------------------------------------------------------------

    def uuid(self):
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def moment(self, day, earliest=8, latest=18):
        """A UTC instant on ``day`` (county time) during working hours, never in the future."""
        minutes = self.rng.randrange(earliest * 60, latest * 60)
        local = datetime.combine(day, time(minutes // 60, minutes % 60), self.zone)
        return min(local.astimezone(UTC), self.now)

    def day_between(self, first, last):
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def days_ago(self, most, least=0):
        return self.today - timedelta(days=self.rng.randint(least, most))

    def months_back(self, count):
        """(year, month) of the current month and the ``count - 1`` before it, oldest first."""
        year, month = self.today.year, self.today.month
        months = []
        for _ in range(count):
            months.append((year, month))
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return months[::-1]

    def visit_day_of(self, year, month):
        return date(year, month, self.visit_day)

    def record(self, created, updated=None):
        """The bookkeeping columns of a SyncRecord row created at ``created``."""
        return {
            "id": self.uuid(),
            "version": 1,
            "created_at": created,
            "updated_at": updated or created,
            "field_versions": {},
        }

    # -- writing --------------------------------------------------------------------------

    def _note_change(self, entity, row, wire):
        key = audience_scope(registry()[entity].audience, village_id=row.get("village_id"),
                             user_id=row.get("user_id"))
        entries = self.changes.get(key)
        if entries is None:
            entries = self.changes[key] = []
        entries.append((entity, row["id"], *wire))

    def insert(self, model, rows, label=None):
        """Bulk-insert an iterable of row dicts: COPY on PostgreSQL, executemany elsewhere.

        Every row of one call has the same keys. Rows of an entity phones hold are
        also noted for the sync change log.
        """
        table = model.__table__
        entity = getattr(model, "wire_entity", "")
        if entity:
            rows = self._noted(entity, table, rows)
        connection = db.session.connection()
        dialect = connection.dialect.name
        if dialect == "postgresql":
            total = _copy(connection, table, rows)
        elif dialect == "sqlite":
            total = _executemany(connection, table, rows)
        else:
            total = 0
            for chunk in _chunks(rows):
                connection.execute(insert(table), chunk)
                total += len(chunk)
        label = label or table.name
        self.counts[label] = self.counts.get(label, 0) + total
        self.echo(f"  {table.name}: {total:,}（{monotonic() - self.started:.1f} 秒）")
        return total

    def _noted(self, entity, table, rows):
        """The rows, each noted with its wire text as it goes by (changelog.py)."""
        wire = None
        for row in rows:
            if wire is None:
                wire = RowWire(registry()[entity], table, row)
            self._note_change(entity, row, wire(row))
            yield row


def _chunks(rows):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Bound:
    """Turns row dicts into DB-API value lists the way an INSERT would.

    Each value goes through its column type's bind processing (encryption of
    EncryptedText columns, UTC stamps, UUIDs, JSON), so the stored values are
    exactly what the ORM would store. Python-side column defaults do not apply:
    rows carry every NOT NULL column themselves.
    """

    def __init__(self, connection, table, first):
        dialect = connection.dialect
        quote = dialect.identifier_preparer.quote
        self.keys = list(first)
        processors = bind_processors(table, dialect)
        if dialect.name == "postgresql":
            # COPY takes a json column's text: json.dumps, as psycopg's Json wrapper
            # (the JSON type's bind processing) would make it, without the wrapper
            processors = {**processors, **{column.key: _json_text for column in table.columns
                                          if type(column.type) is JSON}}
        self.processors = [processors[key] for key in self.keys]
        self.table = quote(table.name)
        self.columns = ", ".join(quote(key) for key in self.keys)

    def values(self, row):
        return [
            value if process is None or value is None else process(value)
            for process, value in zip(self.processors, map(row.__getitem__, self.keys),
                                      strict=True)
        ]


def _json_text(value):
    return json.dumps(value)


def _copy(connection, table, rows):
    """PostgreSQL: COPY, several times faster than an executemany of INSERTs."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    bound = _Bound(connection, table, first)
    return copy_rows(connection, table, bound.keys,
                     (bound.values(row) for row in itertools.chain((first,), rows)))


def _executemany(connection, table, rows):
    """SQLite: the driver's executemany on plain tuples, without per-row Core overhead."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    bound = _Bound(connection, table, first)
    placeholders = ", ".join("?" * len(bound.keys))
    statement = f"INSERT INTO {bound.table} ({bound.columns}) VALUES ({placeholders})"
    total = 0
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        for chunk in _chunks(itertools.chain((first,), rows)):
            cursor.executemany(statement, [bound.values(row) for row in chunk])
            total += len(chunk)
    finally:
        cursor.close()
    return total
