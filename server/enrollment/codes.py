"""The one-time code of an enrollment slip.

A code is 18 random bytes (144 bits, ``secrets.token_urlsafe``: 24 characters of
[A-Za-z0-9_-]), so it cannot be guessed and says nothing of the liaison. The server
keeps only an HMAC-SHA256 of it under a key derived from ``SECRET_KEY``: a copy of
the database (a backup) holds nothing that signs a phone in. The code exists on the
printed slip alone.
"""

import hashlib
import hmac
import secrets

from flask import current_app

CODE_BYTES = 18
CODE_LENGTH = 24
CODE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_code():
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(code):
    return isinstance(code, str) and len(code) == CODE_LENGTH and set(code) <= CODE_ALPHABET


def _key():
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"lianxin-enrollment-slip", hashlib.sha256).digest()


def code_hash(code):
    return hmac.new(_key(), code.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def enroll_url(code):
    """What the slip's QR code opens: the app, which signs in with the code."""
    base = current_app.config["LIANXIN_PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/#/enroll/{code}"
