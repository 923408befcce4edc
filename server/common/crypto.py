"""Field encryption for national ID numbers and health data.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package) under a key derived from ``LIANXIN_DATA_KEY``. An exact
lookup by ID number uses a keyed HMAC of the number, derived from the same
secret with a different label, so the hash cannot be reversed by brute force
without the key.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class _Keyring:
    fernet = None
    lookup_key = None
    wire = None


_keys = _Keyring()


def _derive(secret, label):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


def configure(data_key):
    secret = data_key.encode()
    _keys.fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"lianxin-field-encryption")))
    _keys.lookup_key = _derive(secret, b"lianxin-lookup-hash")
    _keys.wire = AESGCM(_derive(secret, b"lianxin-wire-seal"))


def init_app(app):
    configure(app.config["LIANXIN_DATA_KEY"])


def encrypt(plaintext):
    return _keys.fernet.encrypt(plaintext.encode()).decode()


def decrypt(token):
    try:
        return _keys.fernet.decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong LIANXIN_DATA_KEY must not pass silently
        raise RuntimeError("cannot decrypt a protected field: check LIANXIN_DATA_KEY") from exc


# Sync's change log keeps each record as a pull sends it, sealed when it holds
# sensitive fields; a first pull opens thousands. AES-256-GCM (one pass, authenticated)
# opens one in ≈ 3 µs where a Fernet token takes ≈ 18 µs. Random 96-bit nonces: far
# below the 2^32 seals per key where their collision would start to matter.
SEALED_PREFIX = "s1:"


def seal_text(plaintext):
    nonce = os.urandom(12)
    sealed = _keys.wire.encrypt(nonce, plaintext.encode(), None)
    return SEALED_PREFIX + binascii.b2a_base64(nonce + sealed, newline=False).decode()


def open_text(token):
    """Text sealed by :func:`seal_text` (or, from before it, a Fernet token)."""
    if not token.startswith(SEALED_PREFIX):
        return decrypt(token)
    raw = binascii.a2b_base64(token[len(SEALED_PREFIX):])
    try:
        return _keys.wire.decrypt(raw[:12], raw[12:], None).decode()
    except InvalidTag as exc:
        raise RuntimeError("cannot open sealed text: check LIANXIN_DATA_KEY") from exc


def lookup_hash(value):
    return hmac.new(_keys.lookup_key, value.upper().encode(), hashlib.sha256).hexdigest()


class EncryptedText(TypeDecorator):
    """A text column stored encrypted; Python code sees the plain value.

    The column type is the one declaration that a field is sensitive: the audit log
    redacts it, sync seals it in the change log, conflict rows and stored push
    results (:func:`sealed_columns`), and the raw-database scan checks it."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


class EncryptedJSON(EncryptedText):
    """A JSON value (a visit's details) stored encrypted as text."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(
            json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(decrypt(value))


# ``mapped_column(..., info=SECRET)``: a column holding a secret that is not encrypted by
# its type (a keyed lookup hash, a token's hash, a value encrypted by hand) but must
# never be logged: redacted in the audit log like the encrypted columns.
SECRET = {"secret": True}


@cache
def encrypted_columns(table):
    """The column keys of ``table`` (a model's ``__table__``) stored encrypted: what
    they hold is sensitive wherever it is copied (the change log, conflicts)."""
    return frozenset(c.key for c in table.columns if isinstance(c.type, EncryptedText))


@cache
def sealed_columns(table):
    """The column keys of ``table`` never written in clear outside it: the encrypted
    ones and the secrets (``SECRET``)."""
    return encrypted_columns(table) | frozenset(
        c.key for c in table.columns if c.info.get("secret"))
