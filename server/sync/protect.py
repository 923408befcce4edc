"""Sensitive values stay sealed in sync's own bookkeeping too.

A conflict row keeps both clashing values, and a stored push result keeps the
server's record for replays. Which wire fields are sensitive is read from the
record's columns (server/common/crypto.py: an encrypted column type, or a column
marked ``SECRET``), through the entity's ``column_of`` (``id_number`` is kept in
``id_number_hash``): a visit's summary and details, a health file's conditions, a
beneficiary's ID number. Those values are sealed as ``{"sealed": token}`` (Fernet,
like the columns) and opened when staff or a replay read them. A secret (an ID
number) is shown as ``（已隐藏）`` in a listing; its value is kept for the officer
who resolves the conflict (:func:`reveal_conflict_secrets`, audited).
"""

import json

from ..common.crypto import decrypt, encrypt

HIDDEN = "（已隐藏）"


def seal(value):
    return {"sealed": encrypt(json.dumps(value, ensure_ascii=False))}


def is_sealed(value):
    return isinstance(value, dict) and set(value) == {"sealed"}


def unseal(value):
    if is_sealed(value):
        return json.loads(decrypt(value["sealed"]))
    return value


def seal_conflict_fields(fields, entity):
    secret = entity.sealed_fields
    return {name: {side: seal(value) for side, value in pair.items()} if name in secret else pair
            for name, pair in fields.items()}


def open_conflict_fields(fields, entity=None):
    """Both values per field as staff see them in a conflict: secrets hidden."""
    hidden = entity.secret_fields if entity is not None else set()
    return {name: {side: HIDDEN if name in hidden else unseal(value)
                   for side, value in pair.items()}
            for name, pair in (fields or {}).items()}


def conflict_values(fields):
    """Both values per field, every one opened: for applying a resolution."""
    return {name: {side: unseal(value) for side, value in pair.items()}
            for name, pair in (fields or {}).items()}


def conflict_secrets(fields, entity):
    """{field: {"mine", "server"}} of the secret fields, opened (the caller audits)."""
    hidden = entity.secret_fields
    return {name: pair for name, pair in conflict_values(fields).items() if name in hidden}


def seal_result(result):
    """A push result as kept for replays: the server's copy of the record sealed."""
    return {**result, "server": seal(result["server"])} if "server" in result else result


def open_result(result):
    return {**result, "server": unseal(result["server"])} if "server" in result else result
