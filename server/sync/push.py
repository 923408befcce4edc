"""Applying a push: each mutation once, in order, each to a final outcome.

The batch runs in one transaction; each mutation in a savepoint of its own. A
rejected or conflicting mutation rolls back only its savepoint, records its
result, and the queue moves on. The client's counter and every result commit
together with the changes, so a crash before commit leaves nothing half done
and the phone's retry is processed afresh; after commit a retry is answered
from the stored results.

New records of an entity that can create many at once (visits: the visit day's
bulk) are taken as a run: each is loaded by the same schema, the operation checks
every rule for every item before it writes anything, and writes the run with one
statement per table in one savepoint. Should the run fail as a whole (a value the
database refuses, a clash with another client's concurrent write), the savepoint
is rolled back and the run is applied again one mutation at a time, as above.
"""

from dataclasses import dataclass

from flask import g
from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError

from .. import scope
from ..common.bulk import insert_rows
from ..common.schemas import printable_messages
from ..common.timeutil import utcnow
from ..errors import ApiError, Conflict, Forbidden, ValidationFailed
from ..extensions import db
from ..records.audit import write_kept
from ..records.changelog import upsert
from ..records.models import AuditEntry
from .entities import registry
from .models import SyncClient, SyncConflict, SyncMutation
from .protect import conflict_fields, open_result, seal_result

UNSTORABLE = "数据中含有无法保存的字符（如空字符），请修改后再同步"
TAKEN = "与已有数据冲突（如编号已被使用），未能保存，请修改后再同步"

# What the database (or its driver) refuses in one mutation's values: that mutation's
# fault, so it is rejected, never a failed push the phone would resend forever. The
# schemas refuse such values first; this is the last line. A lost connection
# (OperationalError) is not among them: it fails the push with 503, nothing advanced.
REFUSED_BY_DATABASE = (DataError, IntegrityError, UnicodeError)

# Sent back with a record but owned by the server; ignored in a mutation's data.
BOOKKEEPING = {"id", "version", "created_at", "updated_at"}


@dataclass
class PushOutcome:
    status_code: int
    body: dict


class _Clash(Exception):
    def __init__(self, fields):
        super().__init__("conflicting fields")
        self.fields = fields


def _client_for(client_id, user, envelope):
    """Record the push in the install's row, made if new; returns its last acknowledged
    mutation. One upsert: two first pushes of a new install at the same moment do not
    fail, and the row stays locked to commit, so pushes of one install take turns."""
    table = SyncClient.__table__
    statement = upsert(table).values(
        id=client_id, user_id=user.id, last_mutation_id=0, outbox_size=envelope.get("outbox_size") or 0,
        app_version=envelope.get("app_version"), schema_version=envelope.get("schema_version"),
        last_push_at=utcnow())
    last = db.session.scalar(statement.on_conflict_do_update(
        index_elements=["id"],
        set_={name: statement.excluded[name]
              for name in ("outbox_size", "app_version", "schema_version", "last_push_at")},
        where=table.c.user_id == statement.excluded.user_id,  # nothing when another user's
    ).returning(table.c.last_mutation_id))
    if last is None:
        raise Forbidden("此客户端编号属于另一个用户", code="client_of_another_user")
    return last


def push(envelope, user):
    try:
        return _push(envelope, user)
    finally:
        # Audit rows name this client while the push runs, not later writes that share
        # the application context (tests, scripts, the CLI).
        g.pop("sync_client_id", None)


def _push(envelope, user):
    mutations = envelope["mutations"]
    ids = [m["id"] for m in mutations]
    if any(b != a + 1 for a, b in zip(ids, ids[1:], strict=False)):
        raise ApiError("变更编号必须连续递增", status=422, code="mutation_ids_not_consecutive",
                       errors={"mutations": ["变更编号必须连续递增"]})
    client_id = envelope["client_id"]
    last = _client_for(client_id, user, envelope)
    g.sync_client_id = client_id
    if ids and ids[0] > last + 1:
        db.session.commit()  # keep the telemetry; nothing else was touched
        return PushOutcome(409, {"last_mutation_id": last})

    stored = {}
    replay_ids = [i for i in ids if i <= last]
    if replay_ids:
        rows = db.session.scalars(select(SyncMutation).where(
            SyncMutation.client_id == client_id, SyncMutation.mutation_id.in_(replay_ids)))
        stored = {row.mutation_id: open_result(row.result) for row in rows}

    results = []
    fresh = []
    for mutation in mutations:
        if mutation["id"] <= last:
            original = stored.get(mutation["id"]) or {
                "id": mutation["id"], "status": "rejected", "record_id": str(mutation["record_id"]),
                "errors": {"_schema": ["该变更的结果已过保存期限"]}}
            results.append({**original, "replayed": True})
        else:
            fresh.append(mutation)
    applied = []
    for run in _runs(fresh):
        if _bulk_entity(run[0]) is not None:
            applied += _apply_run(run, client_id, user)
        else:
            applied += [_apply_one(mutation, client_id, user) for mutation in run]
    if applied:
        insert_rows(SyncMutation.__table__, [
            {"client_id": client_id, "mutation_id": mutation["id"],
             "entity": mutation["entity"][:30], "record_id": str(mutation["record_id"]),
             "status": result["status"], "result": seal_result(result)}
            for mutation, result in zip(fresh, applied, strict=True)
        ])
        # Set once, not per mutation: it commits together with the results either way.
        last = fresh[-1]["id"]
        db.session.execute(update(SyncClient.__table__)
                           .where(SyncClient.__table__.c.id == client_id)
                           .values(last_mutation_id=last))
    db.session.commit()
    return PushOutcome(200, {"last_mutation_id": last,
                             "results": results + applied})


def _bulk_entity(mutation):
    """The entity if ``mutation`` creates a record of one that creates many at once."""
    entity = registry().get(mutation["entity"])
    if (entity is not None and entity.create_many is not None
            and mutation["op"] == "upsert" and mutation["base_version"] is None):
        return entity
    return None


def _runs(mutations):
    """Consecutive creates of one bulk entity together; every other mutation alone."""
    run, run_entity = [], None
    for mutation in mutations:
        entity = _bulk_entity(mutation)
        if run and (entity is None or entity is not run_entity):
            yield run
            run = []
        run_entity = entity
        run.append(mutation)
        if entity is None:
            yield run
            run = []
    if run:
        yield run


def _apply_run(run, client_id, user):
    """Results of a run of creates, written in one go (see the module's docstring)."""
    entity = _bulk_entity(run[0])
    results = [{"id": m["id"], "record_id": str(m["record_id"])} for m in run]
    loaded = []
    for index, mutation in enumerate(run):
        try:
            loaded.append((index, entity.create_loader().load(
                {**_data(entity, mutation), "id": str(mutation["record_id"])})))
        except ValidationError as exc:
            results[index] = _rejected(results[index], exc.messages)
    savepoint = db.session.begin_nested()
    try:
        outcomes = entity.create_many([values for _, values in loaded], user)
        savepoint.commit()
    except (ApiError, *REFUSED_BY_DATABASE):
        savepoint.rollback()
        return [_apply_one(mutation, client_id, user) for mutation in run]
    for (index, _), outcome in zip(loaded, outcomes, strict=True):
        if isinstance(outcome, ApiError):
            results[index] = _refused(results[index], outcome)
        else:
            results[index] = {**results[index], "status": "applied", "version": outcome.version}
    return results


def _apply_one(mutation, client_id, user):
    base = {"id": mutation["id"], "record_id": str(mutation["record_id"])}
    entity = registry().get(mutation["entity"])
    if entity is None or not entity.writable and entity.update is None:
        return _rejected(base, {"entity": ["此类数据不能在手机上修改"]})
    savepoint = db.session.begin_nested()
    try:
        record, status = _apply(entity, mutation, client_id, user)
        savepoint.commit()
        return {**base, "status": status, "version": record.version}
    except _Clash as clash:
        savepoint.rollback()
        return _conflict(entity, mutation, client_id, user, clash.fields, base)
    except ValidationError as exc:
        savepoint.rollback()
        return _rejected(base, exc.messages)
    except ApiError as exc:
        savepoint.rollback()
        write_kept(exc)  # kept in the batch's transaction, which commits
        return _refused(base, exc)
    except REFUSED_BY_DATABASE as exc:
        savepoint.rollback()
        return _rejected(base, {"_schema": [TAKEN if isinstance(exc, IntegrityError) else UNSTORABLE]})


def _rejected(base, messages):
    return {**base, "status": "rejected", "errors": _as_field_errors(messages)}


def _refused(base, error):
    return _rejected(base, error.errors or {"_schema": [error.detail or "不能处理此变更"]})


def _as_field_errors(messages):
    # Printable: a message can echo what the phone sent (an unknown field's name).
    if isinstance(messages, list):
        return {"_schema": printable_messages(messages)}
    return printable_messages({k: v if isinstance(v, (list, dict)) else [v]
                               for k, v in messages.items()})


def _load_visible(entity, record_id, user):
    record = db.session.get(entity.model, record_id)
    if record is None or not scope.can_see(entity, record, user):
        raise ApiError("记录不存在或已不在您的管辖范围内", status=404, code="not_found",
                       errors={"record_id": ["记录不存在或已不在您的管辖范围内"]})
    return record


def _data(entity, mutation):
    """The fields of a mutation the phone may set."""
    return {k: v for k, v in mutation["data"].items()
            if k not in BOOKKEEPING and k not in entity.server_fields}


def _apply(entity, mutation, client_id, user):
    record_id = mutation["record_id"]
    data = _data(entity, mutation)
    if mutation["op"] == "delete":
        record = _load_visible(entity, record_id, user)
        if record.deleted_at is None:
            if entity.delete is None:
                raise Forbidden("此类数据不能在手机上删除")
            entity.delete(record, user)
        return record, "applied"
    if mutation["base_version"] is None:
        if entity.create is None:
            raise Forbidden("此类数据不能在手机上新建")
        values = entity.create_loader().load({**data, "id": str(record_id)})
        return entity.create(values, user), "applied"
    record = _load_visible(entity, record_id, user)
    if record.deleted_at is not None:
        raise Conflict("记录已被删除", code="record_deleted", errors={"record_id": ["记录已被删除"]})
    base_version = mutation["base_version"]
    if base_version > record.version:
        raise ApiError("版本号无效", status=422, errors={"base_version": ["版本号无效"]})
    for name in entity.immutable:
        if name in data and str(data.pop(name)) != str(getattr(record, name)):
            raise ValidationFailed({name: ["不能更改记录的归属"]})
    changes = entity.update_loader().load(data)
    clashes = {
        name: value for name, value in changes.items()
        if entity.field_version(record, name) > base_version
        and not entity.holds(record, name, value)
    }
    if clashes:
        # Edits the phone queued earlier carry the same base_version: a field this very
        # client changed last is its own change, not the server's.
        own = {name for name, by in _last_changed_by(entity, record, clashes).items()
               if by == client_id}
        clashes = {name: value for name, value in clashes.items() if name not in own}
    if clashes:
        raise _Clash(clashes)
    changed_elsewhere = record.version > base_version
    entity.update(record, changes, user)
    return record, "merged" if changed_elsewhere else "applied"


def _last_changed_by(entity, record, names):
    """{field: client id of the write that last changed it}, read from the audit log, whose
    entries list the columns each write changed and the client it came from."""
    columns = {name: entity.column_of(name) for name in names}
    rows = db.session.execute(
        select(AuditEntry.client_id, AuditEntry.changes)
        .where(AuditEntry.record_id == str(record.id),
               AuditEntry.entity == record.__tablename__)
        .order_by(AuditEntry.id.desc())
    )
    found = {}
    for client_id, changes in rows:
        if not isinstance(changes, dict):
            continue
        for name, column in columns.items():
            if name not in found and column in changes:
                found[name] = client_id
        if len(found) == len(columns):
            break
    return found


def _conflict(entity, mutation, client_id, user, clashes, base):
    record = db.session.get(entity.model, mutation["record_id"])
    # Both values are kept; the sensitive ones sealed (server/sync/protect.py).
    db.session.add(SyncConflict(
        entity=entity.name, record_id=record.id, village_id=getattr(record, "village_id", None),
        client_id=client_id, mutation_id=mutation["id"], user_id=user.id,
        base_version=mutation["base_version"], server_version=record.version,
        fields=conflict_fields(entity, record, clashes),
    ))
    return {**base, "status": "conflict", "version": record.version,
            "server": entity.dump.dump(record), "fields": sorted(clashes)}
