"""Fuzzing of the whole API from its OpenAPI description (schemathesis).

Every operation of ``/api/v1/openapi.json`` is called with generated valid and
invalid input, once per role and once anonymously, on each backend:

* ``not_a_server_error`` — no 5xx, whatever comes in;
* ``response_schema_conformance`` — every answer matches the description, the
  problem+json of errors included;
* ``negative_data_rejection`` — input the description calls invalid is refused;
* ``ignored_auth`` — an operation that declares a bearer token refuses a
  request without one and one with a wrong one;
* ``use_after_free`` — a deleted record is gone: a stateful run per identity
  starts from the lists of deletable records and chains read → change →
  delete → read on their real ids.

Schemathesis draws only text UTF-8 can encode; the server must take any JSON string.
So in the single-request test half the generated bodies get one troublesome character (a lone surrogate, NUL, a
control, an RTL override, a 4-byte emoji) put into one of their strings, and half the
queries one that a URL can carry (``TROUBLE``; tests/test_any_text.py fuzzes every
text field on purpose).

The database is the demo county (``seed-demo``: 300 people, visits, cases,
cards, feedback …) on a database of this module's own, so that lists and
records answer with real rows, nulls included. Every test runs inside a
transaction that is rolled back (tests/conftest.py's ``app``), so nothing the
fuzzer writes outlives it. The run is seeded and derandomized: a failure here
fails the same way on the next run.

Environment: ``LIANXIN_FUZZ_EXAMPLES`` (random examples per operation, beyond
the deterministic coverage cases), ``LIANXIN_FUZZ_SCENARIOS`` and
``LIANXIN_FUZZ_STEPS`` (stateful runs and their length), and
``LIANXIN_FUZZ_REPORT``, a file that receives the number of cases run
(``make bench`` runs many more examples: bench/fuzz_bench.py).
"""

import json
import os
from collections import Counter

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.generation.stateful.state_machine import normalize_name

from server import create_app
from tests.apps import make_config

EXAMPLES = int(os.environ.get("LIANXIN_FUZZ_EXAMPLES", "5"))
SCENARIOS = int(os.environ.get("LIANXIN_FUZZ_SCENARIOS", "10"))
STEPS = int(os.environ.get("LIANXIN_FUZZ_STEPS", "8"))
SEED = 20260118

CHECKS = ("not_a_server_error", "response_schema_conformance", "negative_data_rejection",
          "ignored_auth", "use_after_free")

# The demo accounts, one per role (shared/docs/INTERFACES.md), and nobody.
IDENTITIES = ("admin", "county1", "township1", "liaison1", None)

# Sync pull gzips for a client that accepts it; the WSGI transport would check the
# zipped bytes against the description, so every request asks for plain bodies.
PLAIN = {"Accept-Encoding": "identity"}

# The records that can be deleted, with everything reached from them: the stateful
# run stays among these, so that chains reach a DELETE and what follows it.
DELETABLE = (r"^/api/v1/(beneficiaries|health-events|visits|mediation-cases|mediation-sessions"
             r"|contact-cards|contact-logs)\b")

CASES = Counter()

# Lone surrogates are valid JSON but cannot go into a URL (the client encodes it as UTF-8).
SURROGATES = ("\ud83d", "\udc4d")
TROUBLE = (*SURROGATES, "\x00", "\x07", "\x1b", "\u202e", "\u200f", "\U0001f44d")


def _string_paths(value, path=()):
    """The paths (keys and indexes) to every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, ("key", key))
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _troubled(value, path, character):
    CASES["any_unicode"] += 1
    return _put(value, path, character)


def _put(value, path, character):
    """``value`` with ``character`` added to the string (or key) at ``path``."""
    if not path:
        return value + character
    step, rest = path[0], path[1:]
    if isinstance(step, tuple):  # a key of this dict
        key = step[1]
        return {(k + character if k == key else k): v for k, v in value.items()}
    if isinstance(value, dict):
        return {**value, step: _put(value[step], rest, character)}
    return [_put(item, rest, character) if index == step else item
            for index, item in enumerate(value)]


def _with_trouble(value, characters):
    paths = list(_string_paths(value))
    if not paths:
        return st.just(value)
    return st.one_of(st.just(value), st.builds(_troubled, st.just(value), st.sampled_from(paths),
                                               st.sampled_from(characters)))


def _multipart(operation):
    """Whether ``operation`` may take its body as multipart/form-data (an upload)."""
    return any(alternative.media_type.startswith("multipart/")
               for alternative in getattr(operation, "body", None) or ())


def flatmap_body(context, body):
    # A lone surrogate has no UTF-8 form: a multipart part cannot carry one at all.
    multipart = context.operation is not None and _multipart(context.operation)
    return _with_trouble(body, tuple(c for c in TROUBLE if c not in SURROGATES)
                         if multipart else TROUBLE)


def flatmap_query(context, query):
    return _with_trouble(query, tuple(c for c in TROUBLE if c not in SURROGATES))


def _config(headers=None, mode="all"):
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "headers": {**PLAIN, **(headers or {})},
        # Among them function_scoped_fixture: one identity's examples of one
        # operation share the test's rolled-back transaction, on purpose.
        "suppress-health-check": ["all"],
        "generation": {
            "mode": mode, "max-examples": EXAMPLES, "deterministic": True, "database": "none",
            # The bearer header is the identity's, sent with every request; not fuzzed.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"max-steps": STEPS}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    })


def _description(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _schema(app, headers=None, mode="all", *, any_unicode=False):
    schema = schemathesis.openapi.from_dict(_description(app), config=_config(headers, mode))
    schema.app = app
    if any_unicode:
        for hook in (flatmap_body, flatmap_query):
            schema.hooks.register_hook_with_name(hook, hook.__name__)
    return schema


# The description as the app serves it, read at collection (one test per operation).
schema = _schema(create_app(make_config("sqlite://")), any_unicode=True)


@pytest.fixture(scope="module")
def base_app(backend, databases):
    """Replaces conftest's for this module: the demo county instead of the small one,
    so ``app``, ``auth_headers`` … work as everywhere, on richer data."""
    with databases.committed_app(backend, "fuzz", county="demo",
                                 LIANXIN_EXPORT_INLINE=True) as app:
        yield app


@pytest.fixture(params=IDENTITIES, ids=lambda name: name or "anonymous")
def identity(request, app, auth_headers):
    """The bearer header of one demo account (none for anonymous)."""
    return auth_headers(request.param) if request.param else {}


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    yield
    report = os.environ.get("LIANXIN_FUZZ_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as file:
            file.write(json.dumps(dict(CASES)) + "\n")


@schema.parametrize()
def test_fuzz(case, app, identity):
    CASES["stateless"] += 1
    case.call_and_validate(app=app, headers={**PLAIN, **identity})


def test_stateful(app, identity):
    """Chains of calls on ids from earlier answers: what was deleted must be gone."""
    # Valid input only: the chains are about real records; invalid input is the
    # single-request test's. No creation either: a random body is rarely a valid
    # record (ID numbers have check digits), and the demo county has the records.
    stateful = _schema(app, identity, "positive").include(path_regex=DELETABLE)
    stateful = stateful.exclude(method="POST")
    machine = stateful.as_state_machine()

    class Counted(machine):
        def before_call(self, case):
            # One record per list page: every link from a list then names the same
            # record, so a chain that deletes it goes on to use it again.
            if any(parameter.name == "per_page" for parameter in case.operation.query):
                case.query = {**(case.query or {}), "per_page": 1}
            super().before_call(case)

        def after_call(self, response, case):
            CASES["stateful"] += 1
            super().after_call(response, case)

    # Scenarios start from the lists only: a chain that starts with a random id is a
    # 404 and ends there. (Each root is a Hypothesis rule named after its operation.)
    for result in stateful.get_all_operations():
        operation = result.ok()
        name = normalize_name(f"RANDOM -> {operation.label}")
        if operation.path_parameters and name in machine.root_rules:
            setattr(Counted, name, None)
    Counted.root_rules = frozenset(
        name for name in machine.root_rules if getattr(Counted, name) is not None)

    Counted.run(settings=hypothesis.settings(
        max_examples=SCENARIOS, stateful_step_count=STEPS, derandomize=True, database=None,
        deadline=None, suppress_health_check=list(hypothesis.HealthCheck),
    ))
