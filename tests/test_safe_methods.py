"""GET and HEAD change nothing: a walk over every rule of the URL map that answers GET.

Flask answers HEAD with a rule's GET view, so a view that decides "not GET, hence a
submission" stores on HEAD (issue 15: HEAD /f/ stored 25 forms of 25). Here every
rule accepting GET is asked with GET and with HEAD; with no body, with a form body
and with a JSON body (a complete feedback form, a status look-up and a sync push all
in one); anonymously and with a valid token of a role the route serves. Placeholders
are filled with real ids, built by the authorization matrix's own setups
(``tests/test_authz.py``) for /api/v1 and by ``WEB`` below for the rest. The whole
database — every table's every row — is dumped before and after each request, and
must be the same.

A rule is exempt from nothing unless ``ALLOWED`` names it, with the tables it may
touch and why. A rule missing from the matrix, ``PUBLIC`` or ``WEB`` fails.
"""

import re
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text

from server.contacts import printing
from server.extensions import db
from server.records.models import AuditEntry
from tests import factories
from tests.test_authz import (
    ARGUMENT,
    MATRIX,
    OWN,
    PREFIX,
    PUBLIC,
    URL_MAP_APP,
    World,
    route_key,
)
from tests.test_authz import Req as ApiReq


@dataclass(frozen=True)
class Allowed:
    """What a GET may write, and why: tables that may gain or change rows (none is
    removed), and, for the audit log, the actions of the rows it gains."""

    reason: str
    tables: frozenset
    audit_actions: frozenset = frozenset()


ALLOWED = {
    "GET /beneficiaries/<beneficiary_id>/id-number": Allowed(
        "Reading a full national ID number is audited, one row per read "
        "(docs/security.md: 'each read is audited').",
        frozenset({"audit_log"}), frozenset({"read_id_number"})),
    "GET /exports/<job_id>/file": Allowed(
        "Downloading a ledger is audited (MLPS: who took which personal data out).",
        frozenset({"audit_log"}), frozenset({"download_export"})),
    "GET /sync/pull": Allowed(
        "A pull notes the phone's last pull on its device row (docs/sync.md: the staff's "
        "device list shows when each phone last synced); nothing of the county's records.",
        frozenset({"sync_client"})),
}


# --- the rules outside /api/v1 -------------------------------------------------------------


def card_token(w):
    card = w.card(OWN)
    token = printing.reissue(card, w.user("county1"))["token"]
    w.saved(card)
    return token


def _policy(w, pdf=False):
    from tests.test_authz import _policy as published

    return published(w, pdf=pdf)


def sent_receipt(w):
    return w.feedback(OWN).receipt_number


WEB = {
    "/": lambda w: {},
    "/<path:path>": lambda w: {"path": "visits/new"},
    "/static/<path:filename>": lambda w: {"filename": "missing.css"},
    "/f/static/<path:filename>": lambda w: {"filename": "feedback.css"},
    "/f/": lambda w: {},
    "/f/<token>": lambda w: {"token": card_token(w)},
    "/f/sent": lambda w: {"_query": {"receipt": sent_receipt(w), "track": "1"}},
    "/f/status": lambda w: {"_query": {"receipt": sent_receipt(w)}},
    "/f/policies/": lambda w: {"_query": {"q": "政策"}},
    "/f/policies/<uuid:policy_id>": lambda w: {"policy_id": _policy(w).id},
    "/f/policies/<uuid:policy_id>.pdf": lambda w: {"policy_id": _policy(w, pdf=True).id},
}


def get_rules():
    return sorted(rule.rule for rule in URL_MAP_APP.url_map.iter_rules() if "GET" in rule.methods)


def api_key(rule):
    return route_key("GET", rule)


# --- the database, whole --------------------------------------------------------------------


def dump():
    """Every row of every table, as text: {table: sorted rows}."""
    tables = [table.name for table in db.metadata.sorted_tables] + ["alembic_version"]
    return {
        name: sorted(repr(tuple(row)) for row in db.session.execute(text(f'SELECT * FROM "{name}"')))
        for name in tables
    }


def changes(before, after):
    """{table: (rows gone, rows new)} for each table that changed."""
    changed = {}
    for name in before:
        gone = sorted(set(before[name]) - set(after[name]))
        new = sorted(set(after[name]) - set(before[name]))
        if gone or new or len(before[name]) != len(after[name]):
            changed[name] = (gone, new)
    return changed


def check_unchanged(key, before, after, label, audit_since):
    changed = changes(before, after)
    if not changed:
        return
    allowed = ALLOWED.get(key)
    assert allowed is not None, f"{label} changed the database: {sorted(changed)} {changed}"
    assert set(changed) <= allowed.tables, f"{label} changed {sorted(changed)}: {changed}"
    for name, (gone, _new) in changed.items():
        if name == "audit_log":
            assert not gone, f"{label} changed or removed audit rows"
    if "audit_log" in changed:
        actions = set(db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.id > audit_since)).all())
        assert actions <= allowed.audit_actions, f"{label} wrote audit rows {actions}"


# --- the walk -------------------------------------------------------------------------------


def page_stamp(client):
    """A good stamp, as the form page hands it out."""
    page = client.get("/f/").get_data(as_text=True)
    return re.search(r'name="stamp" value="([^"]+)"', page).group(1)


def everything(w, stamp):
    """A body that would send, look up or push if a GET view took it as a submission."""
    return {
        "category": "rights", "text": "工资被拖欠三个月", "phone": "13900002222", "city": "东莞",
        "stamp": stamp, "receipt": "FK20260101000000",
        "client_id": f"walk-{uuid.uuid4().hex[:8]}", "mutations": [], "read": True,
        "reply": "已答复", "region_id": str(w.county.regions["T1"]), "decision": "approve",
        "username": "liaison1", "password": factories.PASSWORD,
    }


def prepared(rule, w):
    """(url, query, headers, role) of a rule, its placeholders filled with real ids."""
    if rule.startswith(PREFIX + "/"):
        key = api_key(rule)
        if key in PUBLIC:
            req, role = PUBLIC[key](w), None
        else:
            spec = MATRIX.get(key)
            assert spec is not None, f"{key} is in neither MATRIX nor PUBLIC of test_authz.py"
            role = spec.roles[0]
            req = spec.setup(w, OWN, role) if spec.setup else ApiReq()
        values, query, headers = req.values, req.query, req.headers
    else:
        assert rule in WEB, f"GET {rule} is not in WEB of tests/test_safe_methods.py"
        values, role, headers = WEB[rule](w), None, {}
        query = values.pop("_query", {})

    def fill(match):
        converter, name = match.groups()
        if name in values:
            return str(values[name])
        return "2000000000" if converter == "int" else str(uuid.uuid4())

    return ARGUMENT.sub(fill, rule), query, headers, role


@pytest.mark.parametrize("rule", get_rules())
def test_get_and_head_change_nothing(rule, app, client, county, user, auth_headers, monkeypatch):
    # No fill time: a GET view that took the body as a form would store it at once.
    monkeypatch.setitem(app.config, "LIANXIN_FEEDBACK_MIN_SECONDS", 0)
    w = World(county, user)
    stamp = page_stamp(client)
    url, query, extra, role = prepared(rule, w)
    key = api_key(rule) if rule.startswith(PREFIX + "/") else f"GET {rule}"
    identities = {"anonymous": {}}
    for name in {role or "liaison1", "county1"}:
        identities[name] = auth_headers(name)  # a login session: made before the dumps
    db.session.commit()
    bodies = {"no body": {}, "form": {"data": everything(w, stamp)},
              "json": {"json": everything(w, stamp)}}
    statuses = []
    before = dump()
    for method in ("GET", "HEAD"):
        for body_name, body in bodies.items():
            for who, headers in identities.items():
                audit_since = db.session.scalar(select(db.func.max(AuditEntry.id))) or 0
                response = client.open(url, method=method, query_string=query,
                                       headers={**headers, **extra}, **body)
                label = f"{method} {url} ({body_name}, {who}) -> {response.status_code}"
                statuses.append(response.status_code)
                assert response.status_code < 500, label
                db.session.expire_all()
                after = dump()
                check_unchanged(key, before, after, label, audit_since)
                before = after
    assert len(statuses) == 2 * 3 * len(identities)


def test_every_get_rule_is_walked():
    """The walk covers every rule of the URL map that answers GET (HEAD with it)."""
    rules = get_rules()
    assert "/f/" in rules and "/api/v1/feedback/public/status" in rules
    for rule in rules:
        if rule.startswith(PREFIX + "/"):
            assert api_key(rule) in MATRIX or api_key(rule) in PUBLIC, rule
        else:
            assert rule in WEB, rule
    assert set(ALLOWED) <= {api_key(rule) for rule in rules}
