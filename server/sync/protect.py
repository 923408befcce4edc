"""Health data stays encrypted in sync's own bookkeeping too.

A conflict row keeps both clashing values, and a stored push result keeps the
server's record for replays: for a health file that is health data, which is
only ever stored encrypted (Fernet, like the record's own columns). Values are
sealed as ``{"sealed": token}`` and opened when staff or a replay read them.
"""

import json

from ..common.crypto import EncryptedText, decrypt, encrypt


def sensitive_fields(model):
    return {c.key for c in model.__table__.columns if isinstance(c.type, EncryptedText)}


def seal(value):
    return {"sealed": encrypt(json.dumps(value, ensure_ascii=False))}


def unseal(value):
    if isinstance(value, dict) and set(value) == {"sealed"}:
        return json.loads(decrypt(value["sealed"]))
    return value


def seal_conflict_fields(fields, model):
    secret = sensitive_fields(model)
    return {name: {side: seal(value) for side, value in pair.items()} if name in secret else pair
            for name, pair in fields.items()}


def open_conflict_fields(fields):
    return {name: {side: unseal(value) for side, value in pair.items()}
            for name, pair in (fields or {}).items()}


def seal_result(result):
    """A push result as kept for replays: the server's copy of the record sealed."""
    return {**result, "server": seal(result["server"])} if "server" in result else result


def open_result(result):
    return {**result, "server": unseal(result["server"])} if "server" in result else result
