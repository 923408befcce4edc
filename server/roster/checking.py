"""Checking a roster's rows: each read into a person's values, with its problems by
Excel row number and column header, in Chinese.

Two steps, because some rules need the whole file or the database:

1. :meth:`RowReader.read` reads one row's cells (server/roster/columns.py): the value
   each cell holds, the village it names (by code, or by name under its township), and
   the ID number's lookup hash;
2. :func:`check_batch` checks a batch of read rows against the file (the same number
   twice: both rows) and the database (one query per batch, by lookup hash): a new
   person is loaded with the beneficiary's create schema (its field rules and
   :func:`beneficiary_rule_errors`), a registered one with the update schema and the
   rules on the merged record — the same rules as every other write. What differs from
   the stored person is the change; nothing differs, nothing is written.

A person registered in a village the importer does not serve is refused with the same
words as a single write (该身份证号已登记), which tell nothing more; each such answer is
audited and counted against the importer as it is for a single write
(server/beneficiaries/operations.py ``_check_unique_id_number``).
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import select

from ..beneficiaries.models import Beneficiary
from ..beneficiaries.operations import TAKEN, TAKEN_LIMIT_REACHED, current_values, taken_hits
from ..beneficiaries.schemas import (
    BeneficiaryCreateSchema,
    BeneficiaryUpdateSchema,
    beneficiary_rule_errors,
)
from ..common.idnumbers import IdNumber
from ..extensions import db
from ..regions.models import Region
from . import columns
from .columns import BY_KEY, CellProblem

# the person's fields a row may set, and the column a field's problem is shown under
FIELD_COLUMNS = {
    "name": ("name",), "sex": ("sex",), "birth_date": ("birth_date",),
    "id_number": ("id_number",), "phone": ("phone",),
    "village_id": ("village_code", "village_name", "township_name"),
    "address": ("address",), "category": ("category",),
    "disability_grade": ("disability_grade",), "is_migrant": ("is_migrant",),
    "work_city": ("work_city", "is_migrant"), "notes": ("notes",), "status": ("status",),
}
UNKNOWN_VILLAGE = "村（居）“{}”不存在或不在您的管辖范围内"
AMBIGUOUS_VILLAGE = "村（居）名称“{}”有重名，请同时填写“乡镇（街道）”，或填写村（居）代码"
NO_VILLAGE = "此项必填：请填写村（居）代码，或村（居）名称和乡镇（街道）"
DUPLICATE = "与第{}行是同一个人（身份证号相同），请只保留一行"
DELETED = "该身份证号的人员已从系统中删除，不能导入，请联系县民政局"
MIGRANT_CITY = "外出务工人员须填写务工城市：可在“是”后写城市，如“是（广东东莞）”"

_CREATE = BeneficiaryCreateSchema()
_UPDATE = BeneficiaryUpdateSchema()


def _key(text):
    return unicodedata.normalize("NFKC", text or "").replace(" ", "")


class VillageIndex:
    """The county's villages, read once: by code, by (township, village) name, by
    village name alone; ``allowed`` the ids the importer serves (None: all)."""

    def __init__(self, allowed):
        self.allowed = allowed
        self.by_code, self.by_names, self.by_name = {}, {}, {}
        townships = dict(db.session.execute(
            select(Region.id, Region.name).where(Region.level == "township",
                                                 Region.deleted_at.is_(None))).all())
        for village_id, code, name, parent_id in db.session.execute(
                select(Region.id, Region.code, Region.name, Region.parent_id)
                .where(Region.level == "village", Region.deleted_at.is_(None))):
            self.by_code[code] = village_id
            self.by_names[(_key(townships.get(parent_id)), _key(name))] = village_id
            self.by_name.setdefault(_key(name), []).append(village_id)

    def find(self, code, name, township):
        """The village's id, or raise CellProblem."""
        if code:
            village_id = self.by_code.get(code)
            shown = code
        elif township:
            village_id = self.by_names.get((_key(township), _key(name)))
            shown = f"{township}{name}"
        else:
            found = self.by_name.get(_key(name), [])
            if len(found) > 1:
                raise CellProblem(AMBIGUOUS_VILLAGE.format(name))
            village_id = found[0] if found else None
            shown = name
        if village_id is None or (self.allowed is not None and village_id not in self.allowed):
            raise CellProblem(UNKNOWN_VILLAGE.format(shown[:30]))
        return village_id


@dataclass
class ReadRow:
    number: int
    values: dict  # field -> value as a request would send it (only cells that hold one)
    problems: dict = field(default_factory=dict)  # column key -> [messages]
    lookup_hash: str | None = None

    def problem(self, key, message):
        messages = self.problems.setdefault(key, [])
        if message not in messages:
            messages.append(message)


_READERS = {
    "name": columns.free_text, "sex": columns.sex, "birth_date": columns.birth_date,
    "phone": columns.plain, "address": columns.free_text, "category": columns.category,
    "disability_grade": columns.disability_grade, "notes": columns.free_text,
    "status": columns.status, "work_city": columns.free_text,
}


class RowReader:
    """Reads the rows of one file, whose header put the columns at ``keys``
    ({column key: index}); ``headers`` are the header's texts as written."""

    def __init__(self, keys, headers, villages):
        self.keys, self.headers, self.villages = keys, headers, villages

    def column_name(self, key):
        index = self.keys.get(key)
        if index is not None and index < len(self.headers) and self.headers[index]:
            return self.headers[index]
        return BY_KEY[key].label

    def field_column(self, field_name):
        """The column key a field's problem is shown under (one the file has)."""
        keys = FIELD_COLUMNS.get(field_name, ("name",))
        return next((key for key in keys if key in self.keys), keys[0])

    def _cell(self, row, key):
        index = self.keys.get(key)
        return row.cells[index] if index is not None and index < len(row.cells) else None

    def is_person(self, row):
        """A row naming nobody (a total, 填表人 …) is no person: skipped, like a blank one."""
        return any(self._cell(row, key) not in (None, "") for key in ("name", "id_number"))

    def read(self, row):
        read = ReadRow(row.number, {})
        values = read.values
        for key, reader in _READERS.items():
            if key not in self.keys:
                continue
            try:
                value = reader(self._cell(row, key))
            except CellProblem as problem:
                read.problem(key, problem.message)
                continue
            if value is not None:
                values[key] = value.isoformat() if key == "birth_date" else value
        try:
            number = columns.id_number(self._cell(row, "id_number"))
        except CellProblem as problem:
            read.problem("id_number", problem.message)
            number = None
        if number is not None:
            values["id_number"] = number
            if IdNumber.problem(number) is None:
                read.lookup_hash = IdNumber(number).lookup_hash
        if "is_migrant" in self.keys:
            try:
                migrant, city = columns.is_migrant(self._cell(row, "is_migrant"))
            except CellProblem as problem:
                read.problem("is_migrant", problem.message)
            else:
                if migrant is not None:
                    values["is_migrant"] = migrant
                if city and "work_city" not in values:
                    values["work_city"] = city
        self._village(row, read)
        return read

    def _village(self, row, read):
        try:
            code = columns.code(self._cell(row, "village_code"))
            name = columns.plain(self._cell(row, "village_name"))
            township = columns.plain(self._cell(row, "township_name"))
        except CellProblem as problem:
            read.problem(self.field_column("village_id"), problem.message)
            return
        if not code and not name:
            read.problem(self.field_column("village_id"), NO_VILLAGE)
            return
        try:
            read.values["village_id"] = str(self.villages.find(code, name, township))
        except CellProblem as problem:
            read.problem(self.field_column("village_id"), problem.message)


@dataclass
class Outcome:
    """What a batch comes to: people to create (their loaded values), people to change
    ((record, changes)), how many are unchanged, and the refused rows' problems."""

    creates: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    unchanged: int = 0
    refused: list = field(default_factory=list)  # (row number, column key, message)
    taken: list = field(default_factory=list)  # ids of registered people refused as TAKEN


def _schema_problems(reader, read, error):
    """The schema's messages, under their columns; a column whose cell could not be read
    keeps that (more precise) problem alone."""
    unreadable = set(read.problems)
    for field_name, messages in error.messages.items():
        if isinstance(messages, dict):
            messages = [message for part in messages.values() for message in part]
        if reader.field_column(field_name) in unreadable:
            continue
        for message in messages:
            if field_name == "work_city" and "work_city" not in reader.keys:
                message = MIGRANT_CITY
            read.problem(reader.field_column(field_name), message)


def _rule_problems(reader, read, errors):
    _schema_problems(reader, read, ValidationError(errors))


class TakenBudget:
    """How many more times the importer may be told a number is registered elsewhere
    (LIANXIN_ID_TAKEN_LIMIT within LIANXIN_ID_TAKEN_HOURS, as for a single write);
    the system (no actor) is never limited."""

    def __init__(self, actor, limit):
        self.left = None if actor is None else max(0, limit - taken_hits(actor))

    def take(self):
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def check_batch(reader, batch, duplicates, budget):
    """Check ``batch`` (ReadRows); ``duplicates`` maps a lookup hash to the row numbers
    holding it in the whole file."""
    outcome = Outcome()
    hashes = [read.lookup_hash for read in batch if read.lookup_hash]
    existing = {person.id_number_hash: person for person in db.session.scalars(
        select(Beneficiary).where(Beneficiary.id_number_hash.in_(hashes)))} if hashes else {}
    allowed = reader.villages.allowed
    for read in batch:
        rows = duplicates.get(read.lookup_hash, ()) if read.lookup_hash else ()
        if len(rows) > 1:
            others = "、".join(str(number) for number in rows if number != read.number)
            read.problem("id_number", DUPLICATE.format(others))
        person = existing.get(read.lookup_hash) if read.lookup_hash else None
        outside = person is not None and allowed is not None and person.village_id not in allowed
        if outside and reader.field_column("village_id") in read.problems:
            # refused for its village already (another township's row in a county-wide
            # file): nothing is said of the number, and nothing counted
            _load_new(reader, read)
        elif person is not None and (person.deleted_at is not None or outside):
            if outside:
                if budget.take():
                    read.problem("id_number", TAKEN)
                    outcome.taken.append(person.id)
                else:
                    read.problem("id_number", TAKEN_LIMIT_REACHED)
            else:
                read.problem("id_number", DELETED)
            person = None
            _load_new(reader, read)  # its other problems too
        elif person is None:
            loaded = _load_new(reader, read)
            if loaded is not None and not read.problems:
                outcome.creates.append(loaded)
        else:
            changes = _load_changes(reader, read, person)
            if changes is not None and not read.problems:
                if changes:
                    outcome.updates.append((person, changes))
                else:
                    outcome.unchanged += 1
        for key, messages in read.problems.items():
            for message in messages:
                outcome.refused.append((read.number, key, message))
    return outcome


def _load_new(reader, read):
    values = dict(read.values)
    try:
        loaded = _CREATE.load(values)
    except ValidationError as error:
        _schema_problems(reader, read, error)
        return None
    loaded.pop("id", None)
    return loaded


def holds_already(read, person):
    """The row says exactly what ``person``'s record holds (each value as a request would
    send it): a re-import of the same file. Such a row needs no schema load and no rule
    check — the record passed both when it was written — and that load was a third of
    a re-import's time. Any difference, a mere spelling of the same value included,
    goes the whole way through :func:`_load_changes`."""
    for name, value in read.values.items():
        if name == "id_number":
            continue  # found by it: the same number
        held = getattr(person, name)
        if isinstance(held, date):
            held = held.isoformat()
        elif isinstance(held, UUID):
            held = str(held)
        if held != value:
            return False
    return True


def _load_changes(reader, read, person):
    """What the row changes on ``person`` ({} when nothing), or None when refused."""
    if not read.problems and holds_already(read, person):
        return {}
    values = {name: value for name, value in read.values.items() if name != "id_number"}
    try:
        loaded = _UPDATE.load(values)
    except ValidationError as error:
        _schema_problems(reader, read, error)
        return None
    current = current_values(person)
    merged = {**current, **loaded, "id_number": read.values["id_number"]}
    errors = beneficiary_rule_errors(merged)
    if errors:
        _rule_problems(reader, read, errors)
        return None
    return {name: value for name, value in loaded.items() if current.get(name) != value}
