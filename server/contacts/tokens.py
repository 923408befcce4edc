"""The token in a 连心卡's QR code: what links a feedback form to its card.

A token is 24 random bytes (``secrets.token_urlsafe``): it says nothing of the
person and cannot be derived from the card's number, id or dates. The server
keeps only its SHA-256 in ``ContactCard.token_hash``, so the token itself exists
only on the printed card (and in the one answer that issued it). A keyed hash
would add nothing against guessing 192 random bits, and a plain one keeps the
printed cards working if the server's keys are ever rotated.

Because the token cannot be read back, a card's QR code can only be printed
together with a fresh token: issuing one replaces the hash, and the card's
previous token is refused from then on (see docs/feedback.md).
"""

import hashlib
import secrets

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..records.versioning import update_record
from .models import ContactCard

TOKEN_BYTES = 24
# token_urlsafe(24) gives 32 characters of [A-Za-z0-9_-]; anything else is not a token.
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
TOKEN_LENGTH = 32


def token_hash(token):
    # surrogatepass: a body may name any string (a lone surrogate is valid JSON); such a
    # string is no token, but it is counted by the per-token limit before it is refused.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(token):
    return (isinstance(token, str) and len(token) == TOKEN_LENGTH
            and set(token) <= TOKEN_ALPHABET)


def card_for_token(token):
    """The live card whose current token is ``token``, or None (unknown, revoked, deleted)."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(
        select(ContactCard).where(
            ContactCard.token_hash == token_hash(token), ContactCard.deleted_at.is_(None)
        )
    )


def issue_token(card, actor, *, action="issue_card_token", **changes):
    """Give ``card`` a fresh token, revoking its previous one; returns the new token.

    Goes through versioning like every change of a card (the audit shows the
    hash as redacted). ``changes`` are other fields changed in the same version.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    update_record(card, {**changes, "token_hash": token_hash(token)}, actor, action=action)
    return token


def policies_url():
    """The public policy library's address, printed on every card beside its QR code."""
    base = current_app.config["LIANXIN_PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/f/policies"


def feedback_url(token):
    """The absolute address of the feedback form for a card's token (its QR code)."""
    base = current_app.config["LIANXIN_PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/f/{token}"
