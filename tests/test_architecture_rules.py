"""House rules the import layers cannot see (pyproject.toml checks those): blueprints
leave authorization to the operations and scope.py, and only the ways in commit.

Read from the source with ``ast``, so a comment or a docstring naming a rule is not a
breach; each check is also run on a snippet that breaks it, so it can fail.
"""

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parent.parent / "server"

# Who may decide a role: scope.py, called by the operations - never a blueprint.
ROLE_CHECKS = {"require_role", "require_staff", "is_staff", "STAFF_ROLES"}

# The modules that own a transaction and so commit: the ways in, each a caller of the
# operations. Everything else flushes. Every entry must still commit (checked below).
TRANSACTION_OWNERS = {
    "api": "the REST requests: a handler commits what its operations flushed",
    "cli.py": "the flask commands",
    "jobs": "the scheduler: each job, and the end of a read between jobs",
    "seed": "the demo county's bulk load",
    "users/auth.py": "the JWT callbacks: a session's idle end and last-seen time, written "
                     "in a transaction of their own before the request's",
    "feedback/public.py": "the public feedback pages (/f/), a blueprint of plain HTML",
    "exports/runner.py": "the export thread, which commits its progress as it goes",
    "roster/runner.py": "the roster import thread (and the CLI's run): each batch committed "
                        "with the job's progress, so a crash leaves what a re-run completes",
    "sync/push.py": "a sync batch commits its mutations' results and the client's "
                    "position together (SYNC.md)",
    "sync/pull.py": "a pull ends its read, then stamps the client in a write of its own",
    "sync/rebuild.py": "`flask sync rebuild-wire`: a batch at a time beside live writers",
}


def _modules(*parts):
    return sorted(SERVER.joinpath(*parts).rglob("*.py"))


def _name(path):
    return path.relative_to(SERVER).as_posix()


def role_rules(source):
    """The role checks in a blueprint's ``source``: (line, what)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in ROLE_CHECKS:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in ROLE_CHECKS | {"role"}:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.alias) and node.name in ROLE_CHECKS:
            found.append((getattr(node, "lineno", 0), f"import {node.name}"))
    return found


def commits(source):
    """The lines of ``source`` that call ``<...>.session.commit()``."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit" and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "session"]


def _owner(path):
    name = _name(path)
    return next((owner for owner in TRANSACTION_OWNERS
                 if name == owner or name.startswith(owner + "/")), None)


@pytest.mark.parametrize("path", _modules("api"), ids=_name)
def test_a_blueprint_leaves_roles_to_the_operations(path):
    """A handler parses, calls an operation, commits and serializes: who may do it is
    decided in the operation (through scope.py), so sync and CLI meet the same rule."""
    assert role_rules(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", [p for p in _modules() if _owner(p) is None], ids=_name)
def test_operations_flush_and_leave_the_commit_to_their_caller(path):
    assert commits(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("owner", sorted(TRANSACTION_OWNERS))
def test_every_transaction_owner_listed_still_commits(owner):
    """The list says who commits, not who might: an entry that stopped committing goes."""
    path = SERVER / owner
    sources = _modules(owner) if path.is_dir() else [path]
    assert any(commits(source.read_text(encoding="utf-8")) for source in sources)


def test_the_checks_see_a_breach():
    blueprint = (
        "from ..scope import require_role\n"
        "def handler():\n"
        "    scope.require_staff(current_user)\n"
        "    if current_user.role == 'admin':\n"
        "        pass\n"
    )
    assert role_rules(blueprint) == [
        (1, "import require_role"), (3, ".require_staff"), (4, ".role")]
    assert role_rules('"""require_staff, current_user.role: said, not done."""\n') == []
    operation = "def change(record):\n    record.x = 1\n    db.session.commit()\n"
    assert commits(operation) == [3]
    assert commits("def change(record):\n    db.session.flush()\n") == []
