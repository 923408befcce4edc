"""A tiny sync client for tests: an outbox with per-client ids, push and pull."""

import uuid

from tests import factories


class Phone:
    def __init__(self, client, headers, client_id=None):
        self.client = client
        self.headers = headers
        self.client_id = client_id or f"test-{uuid.uuid4().hex[:12]}"
        self.next_id = 1
        self.cursor = None
        self.records = {}  # (entity, id) -> data
        self.last_mutation_id = 0

    def mutation(self, entity, record_id, data, base_version=None, op="upsert"):
        m = {"id": self.next_id, "entity": entity, "op": op, "record_id": str(record_id),
             "base_version": base_version, "data": data,
             "client_time": "2026-11-18T09:31:00+08:00"}
        self.next_id += 1
        return m

    def push(self, mutations, **extra):
        body = {"client_id": self.client_id, "schema_version": 1, "app_version": "test",
                "outbox_size": len(mutations), "mutations": mutations, **extra}
        return self.client.post("/api/v1/sync/push", json=body, headers=self.headers)

    def pull(self, limit=500, cursor="keep"):
        response = self.client.get(
            "/api/v1/sync/pull",
            query_string={"limit": limit, **({"cursor": self.cursor} if cursor == "keep" and self.cursor else {})},
            headers={**self.headers, "X-Client-Id": self.client_id},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        if body["reset"]:
            self.records.clear()
        for change in body["changes"]:
            key = (change["entity"], change["record_id"])
            if change["op"] == "upsert":
                self.records[key] = change["data"]
            else:
                self.records.pop(key, None)
        self.cursor = body["cursor"]
        self.last_mutation_id = body["last_mutation_id"]
        return body

    def pull_all(self):
        pages = [self.pull()]
        while pages[-1]["has_more"]:
            pages.append(self.pull())
        return pages

    def ids(self, entity):
        return {rid for (name, rid) in self.records if name == entity}


def new_beneficiary_data(village_id, **overrides):
    values = factories.beneficiary_values(village_id, **overrides)
    values["village_id"] = str(values["village_id"])
    return values


def assert_stored_wire_is_current():
    """Every change row's stored wire text (server/records/wire.py) says what the record
    says now: a write that changed a record without storing its new text would show."""
    import json

    from sqlalchemy import select

    from server.extensions import db
    from server.records.models import SyncChange
    from server.records.wire import open_wire, stored_format, upsert_text
    from server.sync.entities import registry

    entities = registry()
    rows = db.session.execute(select(SyncChange.entity, SyncChange.record_id, SyncChange.kind,
                                     SyncChange.wire, SyncChange.wire_format)
                              .where(SyncChange.wire.is_not(None))).all()
    for row in rows:
        entity = entities[row.entity]
        assert row.kind == "upsert", row
        if row.wire_format != stored_format(entity):
            continue
        record = db.session.get(entity.model, row.record_id)
        assert record is not None and record.deleted_at is None, row
        assert json.loads(open_wire(row.wire)) == json.loads(upsert_text(entity, record)), row
    return len(rows)
