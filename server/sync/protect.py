"""Sensitive values stay sealed in sync's own bookkeeping too.

A conflict row keeps both clashing values, and a stored push result keeps the
server's record for replays. Which wire fields are sensitive is read from the
record's columns (server/common/crypto.py: an encrypted column type, or a column
marked ``SECRET``), through the entity's ``column_of`` (``id_number`` is kept in
``id_number_hash``): a visit's summary and details, a health file's conditions, a
beneficiary's ID number. Those values are sealed as ``{"sealed": token}`` and opened
when staff or a replay read them.

A secret (an ID number) is sealed, copied and opened by its entity's keeper
(``Entity.secrets``, server/beneficiaries/identity.py), never here: the server's
value is the record's own ciphertext, copied unopened. It is shown as ``（已隐藏）``
in a listing; the officer who resolves the conflict reads it through the audited
reveal (server/sync/conflicts.py :func:`reveal_secrets`).
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


def plain(value):
    """A value as JSON keeps it (a date as its ISO text)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def conflict_fields(entity, record, clashes):
    """{field: {"mine": the phone's value, "server": the record's}} as a conflict row keeps
    them, the sensitive ones sealed; a secret sealed by its keeper, the record's copied
    sealed, so that nobody has read either on the way."""
    fields = {}
    for name, mine in clashes.items():
        keeper = entity.secrets.get(name)
        if keeper is not None:
            fields[name] = {"mine": {"sealed": keeper.seal(mine)},
                            "server": {"sealed": keeper.sealed_copy(record)}}
            continue
        pair = {"mine": plain(mine), "server": plain(getattr(record, name))}
        fields[name] = ({side: seal(value) for side, value in pair.items()}
                        if name in entity.sealed_fields else pair)
    return fields


def open_conflict_fields(fields, entity=None):
    """Both values per field as staff see them in a conflict: secrets hidden."""
    hidden = entity.secret_fields if entity is not None else set()
    return {name: {side: HIDDEN if name in hidden else unseal(value)
                   for side, value in pair.items()}
            for name, pair in (fields or {}).items()}


def phone_values(fields, names, entity):
    """{field: the phone's value} of ``names``, opened to be applied (a resolution that
    keeps the phone's value); a secret by its keeper, which shows it to nobody."""
    values = {}
    for name in names:
        mine, keeper = fields[name]["mine"], entity.secrets.get(name)
        values[name] = (keeper.opened_to_apply(mine["sealed"])
                        if keeper is not None and is_sealed(mine) else unseal(mine))
    return values


def conflict_secrets(fields, entity, open_secret):
    """{field: {"mine", "server"}} of the secret fields, each sealed value opened by
    ``open_secret`` (the audited reveal's: the caller names who reads them)."""
    return {name: {side: open_secret(value["sealed"]) if is_sealed(value) else value
                   for side, value in pair.items()}
            for name, pair in (fields or {}).items() if name in entity.secret_fields}


def seal_result(result):
    """A push result as kept for replays: the server's copy of the record sealed."""
    return {**result, "server": seal(result["server"])} if "server" in result else result


def open_result(result):
    return {**result, "server": unseal(result["server"])} if "server" in result else result
