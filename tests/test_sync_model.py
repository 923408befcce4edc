"""A model of phones and staff working on one township at once (Hypothesis, stateful).

Three phones (liaison1 in V11, liaison2 in V12, the township1 officer holding
both) queue creates, edits and deletes offline, push them whole, in part, or
with the response lost, and pull in pages of random size; staff edit and move
beneficiaries and edit visits through REST in between. After every step the
server's books must add up (each mutation answered once, ids consecutive,
conflicts stored, applied creates present), and whenever a phone has pulled
with an empty outbox it must hold exactly what a fresh pull gives its user.

Every example runs inside a savepoint of the test's rolled-back transaction
and is rolled back at its end. Size: ``LIANXIN_HYPOTHESIS_EXAMPLES`` examples
(else by ``HYPOTHESIS_PROFILE``: ci 25, dev 10, bench 500) of up to
``LIANXIN_HYPOTHESIS_STEPS`` (30) steps.
"""

import os
import uuid
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from server import scope
from server.beneficiaries.models import Beneficiary
from server.common.timeutil import county_today
from server.extensions import db
from server.records.models import AuditEntry
from server.sync.models import SyncClient, SyncConflict, SyncMutation
from server.sync.protect import open_result
from server.users.models import User
from server.visits.models import Visit
from server.visits.operations import create_visit
from tests import factories
from tests.sync_helpers import assert_stored_wire_is_current, new_beneficiary_data

PROFILE_EXAMPLES = {"ci": 25, "dev": 10, "bench": 500}


def _examples():
    explicit = os.environ.get("LIANXIN_HYPOTHESIS_EXAMPLES")
    if explicit:
        return int(explicit)
    return PROFILE_EXAMPLES.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), 25)


SETTINGS = settings(
    max_examples=_examples(),
    stateful_step_count=int(os.environ.get("LIANXIN_HYPOTHESIS_STEPS", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# What the runs did (results by status, checks made); printed with LIANXIN_MODEL_STATS=1.
STATS = Counter()

PHONES = ("liaison1", "liaison2", "township1")
VILLAGES = {"liaison1": ("V11",), "liaison2": ("V12",), "township1": ("V11", "V12")}
STATUSES = {"applied", "merged", "conflict", "rejected"}
MODELS = {"beneficiary": Beneficiary, "visit": Visit}
RESOURCES = {"beneficiary": "beneficiaries", "visit": "visits"}
EDITABLE = {"beneficiary": ("phone", "address", "notes"), "visit": ("summary", "needs")}

TEXT = st.text(alphabet="一二三组号村东西新老 abcXY09-", max_size=12)
NONBLANK = TEXT.map(lambda text: text.strip() or "无异常")
PHONE_NUMBERS = st.sampled_from(["13800138000", "13911112222", "13700000000", "0838-1234567",
                                 "15000000001", "123"])  # the last one is invalid
# Device clocks are wrong, far off, or not clocks at all: none of it may matter.
CLIENT_TIMES = st.one_of(
    st.none(),
    st.sampled_from(["2026-11-18T09:31:00+08:00", "1970-01-01T00:00:00Z", "2099-12-31T23:59:59-12:00",
                     "昨天下午三点", "", "NaN", "x" * 200]),
    st.text(max_size=60),
)


def field_values(entity, name):
    """Values a phone or staff may type into ``name``: now and then an invalid one."""
    if name == "phone":
        return PHONE_NUMBERS
    if name == "summary":  # required: a blank one is rejected
        return st.tuples(st.integers(0, 9), NONBLANK).map(lambda t: " " if t[0] == 9 else t[1])
    return st.one_of(TEXT, st.none())


@dataclass
class Env:
    client: object
    headers: dict
    county: object
    connection: object
    beneficiaries: int  # how many there are before any example


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@dataclass
class PhoneModel:
    name: str
    user_id: int
    headers: dict
    client_id: str = field(default_factory=lambda: f"model-{uuid.uuid4().hex[:12]}")
    next_id: int = 1
    outbox: list = field(default_factory=list)
    records: dict = field(default_factory=dict)  # (entity, id) -> data, as last pulled
    cursor: str | None = None

    def queue(self, entity, record_id, data, client_time, base_version=None, op="upsert"):
        mutation = {"id": self.next_id, "entity": entity, "op": op, "record_id": str(record_id),
                    "base_version": base_version, "data": data, "client_time": client_time}
        self.next_id += 1
        self.outbox.append(mutation)
        return mutation

    def held(self, entity):
        return sorted(rid for (name, rid) in self.records if name == entity)


class SyncMachine(RuleBasedStateMachine):
    def __init__(self, env):
        super().__init__()
        self.env = env
        db.session.remove()
        self.savepoint = env.connection.begin_nested()
        county = env.county
        self.region = county.regions
        self.phones = {name: PhoneModel(name, county.users[name], env.headers[name]) for name in PHONES}
        # (client_id, mutation id) -> (mutation, its first result): what the server answered
        self.answered = {}
        self.created = {}  # (entity, id) -> the create mutation the server applied
        self.deleted_by_phone = set()
        self.deleted_by_staff = set()
        # (entity, id, field) -> who last changed it: "staff", a phone's client id, or
        # nothing for the records the example starts with
        self.writers = {}
        self.dirty = True  # the server changed since the books were last checked
        try:
            self._start(county)
        except BaseException:
            self.teardown()
            raise

    def _start(self, county):
        assert _count(Beneficiary) == self.env.beneficiaries, "the last example was not rolled back"
        admin = db.session.get(User, county.users["admin"])
        self._serial = 0
        for village, liaison in (("V11", "liaison1"), ("V11", "liaison1"), ("V12", "liaison2"),
                                 ("V12", "liaison2")):
            person = factories.beneficiary(county.regions[village], admin, name=f"原有{village}",
                                           id=self.new_id())
            create_visit({"id": self.new_id(), "beneficiary_id": person.id, "visit_type": "monthly",
                          "visited_on": county_today(), "summary": "上月走访"},
                         db.session.get(User, county.users[liaison]))
            db.session.commit()
        db.session.remove()
        for phone in self.phones.values():  # every phone starts in step with the server
            self._pull(phone, lambda: 500)

    def teardown(self):
        STATS["examples"] += 1
        db.session.remove()
        self.savepoint.rollback()

    # --- helpers ---------------------------------------------------------------------

    def new_id(self):
        """Ids in creation order: random ones would make the choices of a replayed example
        (which record, in which order) differ from the original's."""
        self._serial += 1
        return uuid.UUID(int=(0x5A << 120) + self._serial)

    def _post_push(self, phone, mutations):
        self.dirty = True
        before = self._snapshot(mutations)
        body = {"client_id": phone.client_id, "schema_version": 1, "app_version": "model",
                "outbox_size": len(phone.outbox), "mutations": mutations}
        response = self.env.client.post("/api/v1/sync/push", json=body, headers=phone.headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        results = body["results"]
        assert [r["id"] for r in results] == [m["id"] for m in mutations]
        assert body["last_mutation_id"] >= mutations[-1]["id"]
        fresh = []
        for mutation, result in zip(mutations, results, strict=True):
            assert result["status"] in STATUSES, result
            STATS[f"{'replayed' if result.get('replayed') else 'result'}:{result['status']}"] += 1
            assert result["record_id"] == mutation["record_id"]
            key = (phone.client_id, mutation["id"])
            if result.get("replayed"):
                assert key in self.answered, "replayed a mutation the server never answered"
                original = self.answered[key][1]
                assert {k: v for k, v in result.items() if k != "replayed"} == original
            else:
                assert key not in self.answered, "a mutation was processed twice"
                self.answered[key] = (mutation, result)
                fresh.append((mutation, result))
            if result["status"] == "conflict":
                assert result["fields"] and "server" in result
            if result["status"] == "rejected":
                assert result["errors"]
                STATS[f"rejected: {sorted(result['errors'].items())[0]}"] += 1
        self._note_outcomes(fresh)
        self._check_merges(phone, fresh, before)
        self._check_applied_values(fresh)
        return results

    def _snapshot(self, mutations):
        """Version, field versions and values of the records a push names, before it."""
        state = {}
        for entity, record_id in {(m["entity"], m["record_id"]) for m in mutations}:
            record = db.session.get(MODELS[entity], uuid.UUID(record_id))
            if record is not None:
                state[(entity, record_id)] = {
                    "version": record.version,
                    "fields": {f: (record.field_versions.get(f, 1), getattr(record, f))
                               for f in EDITABLE[entity]}}
        db.session.remove()
        return state

    def _check_merges(self, phone, fresh, state):
        """The merge rule, replayed on the model: an edit based on version n clashes on a
        field that someone else (not this phone) changed after n to another value; a
        clash is a conflict listing exactly those fields, and nothing else is one."""
        for mutation, result in fresh:
            key = (mutation["entity"], mutation["record_id"])
            status = result["status"]
            if mutation["op"] == "delete" or status == "rejected":
                if status != "rejected" and key in state:
                    state[key]["version"] = result["version"]
                continue
            if mutation["base_version"] is None:
                state[key] = {"version": 1, "fields": {
                    f: (1, mutation["data"].get(f)) for f in EDITABLE[mutation["entity"]]}}
                for name in EDITABLE[mutation["entity"]]:
                    self.writers[(*key, name)] = phone.client_id
                continue
            record = state[key]
            base = mutation["base_version"]
            clashing = {name for name, value in mutation["data"].items()
                        if record["fields"][name][0] > base and record["fields"][name][1] != value
                        and self.writers.get((*key, name)) != phone.client_id}
            if status == "conflict":
                assert set(result["fields"]) == clashing, (result["fields"], clashing)
                assert result["version"] == record["version"]
                STATS["conflicts confirmed by the model"] += 1
                continue
            assert not clashing, f"{phone.name}: {sorted(clashing)} should have been a conflict"
            assert status == ("merged" if record["version"] > base else "applied"), status
            changed = {name: value for name, value in mutation["data"].items()
                       if record["fields"][name][1] != value}
            assert result["version"] == record["version"] + (1 if changed else 0)
            record["version"] = result["version"]
            for name, value in changed.items():
                record["fields"][name] = (result["version"], value)
                self.writers[(*key, name)] = phone.client_id
        for (entity, record_id), record in state.items():  # the server's own books agree
            row = db.session.get(MODELS[entity], uuid.UUID(record_id))
            assert row.version == record["version"]
            assert {f: row.field_versions.get(f, 1) for f in EDITABLE[entity]} == {
                f: v for f, (v, _value) in record["fields"].items()}
        db.session.remove()

    def _note_outcomes(self, fresh):
        for mutation, result in fresh:
            key = (mutation["entity"], mutation["record_id"])
            if result["status"] not in ("applied", "merged"):
                continue
            if mutation["op"] == "delete":
                self.deleted_by_phone.add(key)
            elif mutation["base_version"] is None:
                self.created[key] = mutation

    def _check_applied_values(self, fresh):
        """What an applied or merged edit set is what the server now holds (nothing else
        wrote in between: one push is one transaction)."""
        last = {}
        for mutation, result in fresh:
            if mutation["op"] != "upsert" or mutation["base_version"] is None:
                continue
            if result["status"] in ("applied", "merged"):
                for name, value in mutation["data"].items():
                    last[(mutation["entity"], mutation["record_id"], name)] = value
        for (entity, record_id, name), value in last.items():
            record = db.session.get(MODELS[entity], uuid.UUID(record_id))
            assert getattr(record, name) == value, (entity, name)
        db.session.remove()

    def _known_beneficiaries(self, phone):
        """Beneficiaries the phone holds or has queued itself."""
        ids = set(phone.held("beneficiary"))
        ids |= {m["record_id"] for m in phone.outbox
                if m["entity"] == "beneficiary" and m["base_version"] is None}
        return sorted(ids)

    def _live(self, model):
        """Live records of township 1, where all the actors work."""
        ids = db.session.scalars(select(model.id).where(
            model.deleted_at.is_(None),
            model.village_id.in_([self.region["V11"], self.region["V12"]]))).all()
        db.session.remove()
        return sorted(str(i) for i in ids)

    def _staff(self, method, url, username, json=None):
        self.dirty = True
        headers = self.env.headers[username]
        return self.env.client.open(url, method=method, json=json, headers=headers)

    # --- phones working offline ------------------------------------------------------

    @rule(name=st.sampled_from(PHONES), data=st.data())
    def create_beneficiary(self, name, data):
        phone = self.phones[name]
        village = data.draw(st.sampled_from(VILLAGES[name]))
        values = new_beneficiary_data(self.region[village], name=data.draw(NONBLANK),
                                      phone=data.draw(PHONE_NUMBERS), address=data.draw(TEXT))
        phone.queue("beneficiary", self.new_id(), values, data.draw(CLIENT_TIMES))

    @rule(name=st.sampled_from(PHONES), data=st.data())
    def create_visit(self, name, data):
        phone = self.phones[name]
        candidates = self._known_beneficiaries(phone)
        if not candidates:
            return
        values = {"beneficiary_id": data.draw(st.sampled_from(candidates)),
                  "visit_type": data.draw(st.sampled_from(["monthly", "sick", "good_news"])),
                  "visited_on": county_today().isoformat(),
                  "summary": data.draw(field_values("visit", "summary")),
                  "needs": data.draw(st.one_of(st.none(), TEXT))}
        phone.queue("visit", self.new_id(), values, data.draw(CLIENT_TIMES))

    @rule(name=st.sampled_from(PHONES), entity=st.sampled_from(sorted(EDITABLE)), data=st.data())
    def edit_held_record(self, name, entity, data):
        phone = self.phones[name]
        held = phone.held(entity)
        if not held:
            return
        record_id = data.draw(st.sampled_from(held))
        changes = {}
        for field_name in data.draw(st.lists(st.sampled_from(EDITABLE[entity]), min_size=1,
                                             max_size=2, unique=True)):
            changes[field_name] = data.draw(field_values(entity, field_name))
        version = phone.records[(entity, record_id)]["version"]
        phone.queue(entity, record_id, changes, data.draw(CLIENT_TIMES), base_version=version)

    @rule(name=st.sampled_from(PHONES), data=st.data())
    def edit_again(self, name, data):
        """The liaison corrects an edit still queued (or sent, unconfirmed): same record, same
        base_version, since the phone has seen nothing newer."""
        phone = self.phones[name]
        queued = [m for m in phone.outbox if m["op"] == "upsert" and m["base_version"] is not None]
        if not queued:
            return
        earlier = data.draw(st.sampled_from(queued))
        entity = earlier["entity"]
        changes = {name: data.draw(field_values(entity, name)) for name in earlier["data"]}
        phone.queue(entity, earlier["record_id"], changes, data.draw(CLIENT_TIMES),
                    base_version=earlier["base_version"])

    @rule(name=st.sampled_from(PHONES), data=st.data())
    def delete_own_visit(self, name, data):
        phone = self.phones[name]
        own = [rid for rid in phone.held("visit")
               if phone.records[("visit", rid)]["liaison_id"] == phone.user_id]
        if not own:
            return
        phone.queue("visit", data.draw(st.sampled_from(own)), {}, data.draw(CLIENT_TIMES), op="delete")

    # --- staff at their desks --------------------------------------------------------

    @rule(data=st.data(), username=st.sampled_from(["township1", "county1"]))
    def staff_edit_beneficiary(self, data, username):
        live = self._live(Beneficiary)
        if not live:
            return
        record_id = data.draw(st.sampled_from(live))
        changes = {name: data.draw(field_values("beneficiary", name)) for name in data.draw(
            st.lists(st.sampled_from(EDITABLE["beneficiary"]), min_size=1, max_size=3, unique=True))}
        self._staff_edit("beneficiary", record_id, username, changes)

    def _staff_edit(self, entity, record_id, username, changes):
        record = db.session.get(MODELS[entity], uuid.UUID(record_id))
        old = {name: getattr(record, name) for name in changes}
        db.session.remove()
        url = f"/api/v1/{RESOURCES[entity]}/{record_id}"
        response = self._staff("PATCH", url, username, changes)
        assert response.status_code in (200, 422), response.json
        if response.status_code == 200:
            for name in changes:
                if response.json[name] != old[name]:
                    self.writers[(entity, record_id, name)] = "staff"

    @rule(data=st.data())
    def staff_move_beneficiary(self, data):
        live = self._live(Beneficiary)
        if not live:
            return
        record_id = data.draw(st.sampled_from(live))
        record = db.session.get(Beneficiary, uuid.UUID(record_id))
        target = self.region["V12"] if record.village_id == self.region["V11"] else self.region["V11"]
        db.session.remove()
        response = self._staff("PATCH", f"/api/v1/beneficiaries/{record_id}", "county1",
                               {"village_id": str(target)})
        assert response.status_code == 200, response.json

    @rule(data=st.data())
    def staff_edit_visit(self, data):
        live = self._live(Visit)
        if not live:
            return
        record_id = data.draw(st.sampled_from(live))
        changes = {"summary": data.draw(NONBLANK)}
        if data.draw(st.booleans()):
            changes["needs"] = data.draw(TEXT)
        self._staff_edit("visit", record_id, "township1", changes)

    @rule(data=st.data())
    def staff_delete_beneficiary(self, data):
        live = self._live(Beneficiary)
        if len(live) < 3:
            return
        record_id = data.draw(st.sampled_from(live))
        response = self._staff("DELETE", f"/api/v1/beneficiaries/{record_id}", "township1")
        assert response.status_code == 204
        self.deleted_by_staff.add(("beneficiary", record_id))

    # --- phones online ---------------------------------------------------------------

    @rule(name=st.sampled_from(PHONES))
    def push(self, name):
        phone = self.phones[name]
        if phone.outbox:
            self._post_push(phone, phone.outbox)
            phone.outbox = []

    @rule(name=st.sampled_from(PHONES), data=st.data())
    def push_prefix(self, name, data):
        phone = self.phones[name]
        if phone.outbox:
            count = data.draw(st.integers(1, len(phone.outbox)))
            self._post_push(phone, phone.outbox[:count])
            phone.outbox = phone.outbox[count:]

    @rule(name=st.sampled_from(PHONES), data=st.data())
    def push_response_lost(self, name, data):
        """The server answers; the phone never hears it and keeps its whole outbox."""
        phone = self.phones[name]
        if phone.outbox:
            count = data.draw(st.integers(1, len(phone.outbox)))
            self._post_push(phone, phone.outbox[:count])

    @rule(name=st.sampled_from(PHONES), data=st.data())
    def pull(self, name, data):
        phone = self.phones[name]
        self._pull(phone, lambda: data.draw(st.integers(1, 25), label="limit"))
        if not phone.outbox:
            STATS["pulled with an empty outbox: compared"] += 1
            assert phone.records == self._fresh_view(phone), f"{name} differs from its scope"

    def _pull(self, phone, next_limit):
        while True:
            limit = next_limit()
            query = {"limit": limit, **({"cursor": phone.cursor} if phone.cursor else {})}
            response = self.env.client.get("/api/v1/sync/pull", query_string=query,
                                           headers={**phone.headers, "X-Client-Id": phone.client_id})
            assert response.status_code == 200
            page = response.json
            assert page["reset"] is False
            assert len(page["changes"]) <= limit
            keys = [(c["entity"], c["record_id"]) for c in page["changes"]]
            assert len(keys) == len(set(keys)), "a record twice in one page"
            for change in page["changes"]:
                key = (change["entity"], change["record_id"])
                if change["op"] == "upsert":
                    phone.records[key] = change["data"]
                else:
                    assert change["reason"] in ("deleted", "out_of_scope")
                    phone.records.pop(key, None)
            phone.cursor = page["cursor"]
            phone.outbox = [m for m in phone.outbox if m["id"] > page["last_mutation_id"]]
            if not page["has_more"]:
                break

    def _fresh_view(self, phone):
        """What a new install of the same user would hold: a pull without cursor, checked
        against the records scope.py lets the user see."""
        response = self.env.client.get("/api/v1/sync/pull", query_string={"limit": 2000},
                                       headers=phone.headers)
        page = response.json
        assert not page["has_more"]
        view = {(c["entity"], c["record_id"]): c["data"] for c in page["changes"] if c["op"] == "upsert"}
        user = db.session.get(User, phone.user_id)
        for entity, model in MODELS.items():
            visible = scope.visible(select(model.id), model, user)
            assert {rid for (name, rid) in view if name == entity} == {
                str(i) for i in db.session.scalars(visible)}
        db.session.remove()
        return view

    # --- the server's books ----------------------------------------------------------

    @invariant()
    def the_books_add_up(self):
        STATS["steps"] += 1
        if not self.dirty:  # nothing written since the last look (offline work, pulls)
            return
        self.dirty = False
        self._every_mutation_answered_once_in_order()
        self._applied_creates_exist_once()
        self._phone_writes_match_their_answers()
        assert_stored_wire_is_current()
        db.session.remove()

    def _every_mutation_answered_once_in_order(self):
        clients = {phone.client_id for phone in self.phones.values()}
        last = dict(db.session.execute(select(SyncClient.id, SyncClient.last_mutation_id)
                                       .where(SyncClient.id.in_(clients))).all())
        rows = db.session.execute(
            select(SyncMutation.client_id, SyncMutation.mutation_id, SyncMutation.status,
                   SyncMutation.result)
            .where(SyncMutation.client_id.in_(clients))
            .order_by(SyncMutation.client_id, SyncMutation.mutation_id)).all()
        stored_conflicts = db.session.execute(
            select(SyncConflict.client_id, SyncConflict.mutation_id)
            .where(SyncConflict.client_id.in_(clients))).all()
        assert sorted(stored_conflicts) == sorted(
            (r.client_id, r.mutation_id) for r in rows if r.status == "conflict"), \
            "every conflict answer has one stored conflict, and no other is stored"
        for client_id in clients:
            ids = [r.mutation_id for r in rows if r.client_id == client_id]
            assert ids == list(range(1, last.get(client_id, 0) + 1))
        for client_id, mutation_id, status, result in rows:
            assert status in STATUSES
            assert result["status"] == status and result["id"] == mutation_id
            # stored results keep the server's copy sealed (server/sync/protect.py)
            assert self.answered[(client_id, mutation_id)][1] == open_result(result)

    def _applied_creates_exist_once(self):
        for entity, model in MODELS.items():
            wanted = [uuid.UUID(rid) for (name, rid) in self.created if name == entity]
            found = dict(db.session.execute(
                select(model.id, model.deleted_at).where(model.id.in_(wanted))).all())
            for record_id in wanted:
                key = (entity, str(record_id))
                assert record_id in found, f"an applied {entity} is missing"
                if key not in self.deleted_by_phone | self.deleted_by_staff:
                    assert found[record_id] is None, f"an applied {entity} was deleted"
        creates = dict(db.session.execute(
            select(AuditEntry.record_id, func.count())
            .where(AuditEntry.action == "create", AuditEntry.entity.in_(MODELS))
            .group_by(AuditEntry.record_id)).all())
        assert all(count == 1 for count in creates.values()), "a record created twice"
        assert {rid for (_entity, rid) in self.created} <= set(creates)

    def _phone_writes_match_their_answers(self):
        """Each audit row a phone's writes left is backed by one applied or merged answer:
        a replayed mutation writes nothing."""
        writes = db.session.execute(
            select(AuditEntry.client_id, AuditEntry.record_id, func.count())
            .where(AuditEntry.client_id.in_([p.client_id for p in self.phones.values()]),
                   AuditEntry.action.in_(["create", "update", "delete"]),
                   AuditEntry.entity.in_(MODELS))
            .group_by(AuditEntry.client_id, AuditEntry.record_id)).all()
        answers = Counter(
            (client_id, mutation["record_id"])
            for (client_id, _id), (mutation, result) in self.answered.items()
            if result["status"] in ("applied", "merged"))
        for client_id, record_id, count in writes:
            assert count <= answers[(client_id, record_id)], "a write without an answer"


def test_phones_and_staff_keep_the_books_straight(client, auth_headers, county):
    headers = {name: auth_headers(name) for name in (*PHONES, "county1")}
    env = Env(client, headers, county, db.session.get_bind(), _count(Beneficiary))
    STATS.clear()
    run_state_machine_as_test(lambda: SyncMachine(env), settings=SETTINGS)
    if os.environ.get("LIANXIN_MODEL_STATS"):
        print(dict(sorted(STATS.items())))
