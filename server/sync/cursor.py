"""The pull cursor: per-scope sequence numbers, packed into an opaque string.

A cursor also names the scope it was made for (role and region) and when it
was issued: a cursor for another scope, an unreadable one, or one older than
the tombstone retention cannot be served and answers a reset.
"""

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass, field

from ..common.timeutil import utcnow

FORMAT = 1
# Tombstones are kept this long (SYNC.md asks >= 180 days); older cursors reset.
MAX_AGE_SECONDS = 180 * 24 * 3600


def scope_signature(user):
    return hashlib.sha256(f"{user.role}:{user.region_id}".encode()).hexdigest()[:16]


@dataclass
class Cursor:
    signature: str
    positions: dict = field(default_factory=dict)  # scope id -> last seq seen
    issued_at: int = 0

    def encode(self):
        payload = {"f": FORMAT, "s": self.signature, "t": int(utcnow().timestamp()),
                   "p": {str(k): v for k, v in sorted(self.positions.items()) if v}}
        raw = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token, user):
    """The cursor in ``token`` if it can be served to ``user``, else None (reset)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(zlib.decompress(raw))
        positions = {int(k): int(v) for k, v in payload["p"].items()}
        issued_at = int(payload["t"])
        ok = payload["f"] == FORMAT and payload["s"] == scope_signature(user)
    except (ValueError, KeyError, TypeError, zlib.error, AttributeError):
        return None
    if not ok or utcnow().timestamp() - issued_at > MAX_AGE_SECONDS:
        return None
    return Cursor(payload["s"], positions, issued_at)
