"""The attacker's view of ID numbers: what every answer and the database leave of them.

A GB 11643 number is area code (6) + birth date (8) + sequence (3, the last one's
parity the sex) + check digit. Lists show the birth date and the sex, and the
county has few area codes: a person's number is one of 500 per area code before
anything else is seen. This test plays an attacker who knows all of that for
everybody, reads everything one role can read - every list (every page), every
person's detail, a sync pull from scratch, the conflicts, each masked ledger
(.xlsx) - and, separately, every row of every table of a copy of the database,
and counts for each person the numbers still consistent with what was seen:

* a masked form (18 characters of digits, ``X`` and ``*``) in a record (a JSON
  object, a ledger row, a table row) that names the person (id or name) keeps
  only the candidates whose digits it shows;
* a hex digest seen anywhere that equals an unkeyed hash (MD5, SHA-1, SHA-256)
  of a candidate gives the number away;
* so does the full number anywhere.

A hit is a person left with fewer than 100 candidates. The demo county (300
people) on a database of its own; the figures are printed (``-s``).
"""

import hashlib
import json
import re
import uuid
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from server.beneficiaries.models import Beneficiary
from server.common.idnumbers import IdNumber
from server.extensions import db
from tests import factories
from tests.sync_helpers import Phone

ROLES = ("admin", "county1", "township1", "liaison1", "liaison2", "liaison3")
LEDGERS = ("visits", "health_events", "mediation_cases", "contacts")
ENOUGH = 100  # candidates a person's number must keep
PATTERN = re.compile(r"(?<![0-9Xx*])[0-9Xx*]{18}(?![0-9Xx*])")
DIGEST = re.compile(r"(?<![0-9a-fA-F])(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{40}|[0-9a-fA-F]{32})"
                    r"(?![0-9a-fA-F])")
# Not about people. (The monthly report, a PDF of counts, is not read.)
SKIPPED_ROUTES = {"/api/v1/openapi.json", "/api/v1/reports/monthly.pdf"}


@pytest.fixture(scope="module")
def base_app(backend, databases):
    """The demo county on a database of its own (replaces conftest's small county)."""
    with databases.committed_app(backend, "attack", county="demo",
                                 LIANXIN_EXPORT_INLINE=True) as app:
        yield app


class Person:
    def __init__(self, record, number):
        self.id = record.id
        self.name = record.name
        self.number = number
        self.links = (str(record.id), record.id.hex, record.name)


def _candidates(person, areas):
    birth = person.number[6:14]
    parity = int(person.number[16]) % 2
    out = []
    for area in areas:
        for sequence in range(parity, 1000, 2):
            first17 = f"{area}{birth}{sequence:03d}"
            out.append(first17 + IdNumber.check_digit(first17))
    return out


def _consistent(candidates, pattern):
    shown = [(i, ch) for i, ch in enumerate(pattern.upper()) if ch != "*"]
    return sum(all(c[i] == ch for i, ch in shown) for c in candidates)


def _strings(value):
    """Every scalar of a JSON value as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _json_records(value):
    """Each JSON object as a record: its scalars and those of the objects inside it
    (not of its lists: a page is not one record)."""
    if isinstance(value, dict):
        own = []
        for item in value.values():
            if isinstance(item, dict):
                own.extend(_strings(item))
            elif not isinstance(item, list) and item is not None:
                own.append(str(item))
        yield own
        for item in value.values():
            yield from _json_records(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_records(item)


class Seen:
    """What one attacker read: records (lists of texts)."""

    def __init__(self):
        self.records = []
        self.answers = 0  # answers (200) read
        self.refused = []  # list routes that did not answer this role 200

    def add_json(self, body):
        self.answers += 1
        self.records.extend(_json_records(body))

    def add_workbook(self, data):
        self.answers += 1
        for sheet in load_workbook(BytesIO(data)).worksheets:
            for row in sheet.iter_rows(values_only=True):
                self.add_row(row)

    def add_row(self, cells):
        self.records.append([json.dumps(c, ensure_ascii=False, default=str)
                             if isinstance(c, (dict, list)) else str(c)
                             for c in cells if c is not None])


def _get_all(client, headers, path, seen, params=None):
    """A GET, every page of it; the items of the answer."""
    page, items = 1, []
    while True:
        query = {**(params or {}), "page": page, "per_page": 500}
        response = client.get(path, query_string=query, headers=headers)
        if response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet"):
            seen.add_workbook(response.data)
            return items
        if response.status_code != 200 or not response.is_json:
            response = client.get(path, query_string=params or {}, headers=headers)
            if response.status_code == 200 and response.is_json:
                seen.add_json(response.json)
            elif page == 1:
                seen.refused.append(path)
            return items
        body = response.json
        seen.add_json(body)
        if not (isinstance(body, dict) and "items" in body and "total" in body):
            return body if isinstance(body, list) else items
        items += body["items"]
        if page * 500 >= body["total"] or not body["items"]:
            return items
        page += 1


def _routes(app):
    lists, details = [], []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if "GET" not in rule.methods or not path.startswith("/api/v1/") or path in SKIPPED_ROUTES:
            continue
        if path.endswith("/id-number") or path.endswith("/file") or "/attachments/" in path:
            continue  # the audited reveal; files (ledgers are read below, photos are photos)
        if not rule.arguments:
            lists.append(path)
        elif len(rule.arguments) == 1 and path.count("<") == 1 and path.endswith(">"):
            details.append((path[:path.index("<") - 1], path))
    return sorted(lists), details


def _read_as(client, headers, app, seen):
    lists, details = _routes(app)
    listed = {path: _get_all(client, headers, path, seen) for path in lists}
    for parent, path in details:
        items = [i for i in listed.get(parent) or [] if isinstance(i, dict) and "id" in i]
        if parent != "/api/v1/beneficiaries":
            items = items[:20]
        for item in items:
            url = re.sub(r"<[^>]+>", str(item["id"]), path)
            response = client.get(url, headers=headers)
            if response.is_json:
                seen.add_json(response.json)
    phone = Phone(client, headers)
    for page in phone.pull_all():
        seen.add_json(page)
    for kind in LEDGERS:
        response = client.post("/api/v1/exports", json={"kind": kind}, headers=headers)
        if response.status_code != 202:
            continue
        job = response.json
        assert job["status"] == "done", job
        response = client.get(f"/api/v1/exports/{job['job_id']}/file", headers=headers)
        assert response.status_code == 200
        seen.add_workbook(response.data)


def _read_database(seen):
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            seen.add_row(row)


def _unkeyed_digests(number):
    plain = number.encode()
    return {hashlib.md5(plain).hexdigest(), hashlib.sha1(plain).hexdigest(),
            hashlib.sha256(plain).hexdigest()}


def _score(people, areas, seen):
    """(people named in what was seen, hits, fewest candidates left)."""
    everything = "\n".join(t for record in seen.records for t in record)
    digests = {d.lower() for d in DIGEST.findall(everything)}
    masked = []
    for record in seen.records:
        found = {p for t in record for p in PATTERN.findall(t)}
        if found:
            masked.append(("\n".join(record), found))
    named, hits, fewest = set(), 0, None
    for person in people:
        candidates = _candidates(person, areas)
        left = len(candidates)
        if person.number in everything:
            left = 1
        for joined, patterns in masked:
            if any(link in joined for link in person.links):
                named.add(person.id)
                for pattern in patterns:
                    count = _consistent(candidates, pattern)
                    if count:  # a pattern of somebody else's number is not this one's
                        left = min(left, count)
        if digests and any(_unkeyed_digests(c) & digests for c in candidates):
            left = 1
        hits += left < ENOUGH
        fewest = left if fewest is None else min(fewest, left)
    return len(named), hits, fewest


def _make_conflicts(client, auth_headers, people):
    """Conflict rows on an ID number and a birth date: staff changed both, a phone
    with an older copy changes them too."""
    liaison = auth_headers("liaison1")
    phone = Phone(client, liaison)
    phone.pull_all()
    mine = [rid for entity, rid in phone.records if entity == "beneficiary"][:1]
    assert mine
    person = people[uuid.UUID(mine[0])]
    number = person.number
    birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    taken = {p.number for p in people.values()}
    fresh = [IdNumber.compose(number[:6], date.fromisoformat(birth), s).digits
             for s in range(int(number[16]) % 2, 1000, 2)]
    fresh = [n for n in fresh if n not in taken][:2]
    staff = auth_headers("admin")
    response = client.patch(f"/api/v1/beneficiaries/{person.id}", json={
        "id_number": fresh[0], "address": "县城新址"}, headers=staff)
    assert response.status_code == 200, response.json
    response = phone.push([phone.mutation("beneficiary", person.id, {
        "id_number": fresh[1], "address": "村里旧址"}, base_version=1)])
    assert response.status_code == 200, response.json
    assert response.json["results"][0]["status"] == "conflict", response.json
    person.number = fresh[0]


def test_no_answer_and_no_column_narrows_an_id_number(app, client, auth_headers, capsys):
    people = {}
    for record in db.session.scalars(select(Beneficiary)):
        people[record.id] = Person(record, factories.stored_id_number(record))
    areas = sorted({p.number[:6] for p in people.values()})
    _make_conflicts(client, auth_headers, people)

    figures, total = [], 0
    for role in ROLES:
        seen = Seen()
        _read_as(client, auth_headers(role), app, seen)
        named, hits, fewest = _score(people.values(), areas, seen)
        figures.append(f"{role:10} people named {named:3}  hits {hits:3}  fewest candidates "
                       f"{fewest}  ({seen.answers} answers; lists refused: {len(seen.refused)}"
                       + (f" {seen.refused}" if len(seen.refused) <= 5 else "") + ")")
        total += hits
    seen = Seen()
    _read_database(seen)
    named, hits, fewest = _score(people.values(), areas, seen)
    figures.append(f"{'database':10} people named {named:3}  hits {hits:3}  fewest candidates {fewest}")
    total += hits
    with capsys.disabled():
        print(f"\nID attack over {len(people)} people, area codes {areas}:")
        print("\n".join(figures))
    assert total == 0, "\n".join(figures)
