"""Field encryption for national ID numbers and health data.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package) under a key derived from ``LIANXIN_DATA_KEY``. An exact
lookup by ID number uses a keyed HMAC of the number, derived from the same
secret with a different label, so the hash cannot be reversed by brute force
without the key.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class _Keyring:
    fernet = None
    lookup_key = None


_keys = _Keyring()


def _derive(secret, label):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


def configure(data_key):
    secret = data_key.encode()
    _keys.fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"lianxin-field-encryption")))
    _keys.lookup_key = _derive(secret, b"lianxin-lookup-hash")


def init_app(app):
    configure(app.config["LIANXIN_DATA_KEY"])


def encrypt(plaintext):
    return _keys.fernet.encrypt(plaintext.encode()).decode()


def decrypt(token):
    try:
        return _keys.fernet.decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong LIANXIN_DATA_KEY must not pass silently
        raise RuntimeError("cannot decrypt a protected field: check LIANXIN_DATA_KEY") from exc


def lookup_hash(value):
    return hmac.new(_keys.lookup_key, value.upper().encode(), hashlib.sha256).hexdigest()


class EncryptedText(TypeDecorator):
    """A text column stored encrypted; Python code sees the plain value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
