"""A hand-moved clock for the login-session rules (idle timeout, session expiry).

``server.users.operations`` reads the time through its module-level ``utcnow``;
``freeze(monkeypatch)`` replaces it with a ``Clock`` that starts at the real now
and moves only when told. Token expiry (flask-jwt-extended) keeps the real
time, so moving this clock tests the session rules alone.
"""

from datetime import timedelta

from server.common.timeutil import utcnow
from server.users import operations


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.now


def freeze(monkeypatch):
    """Freeze the users module's clock for one test; returns the ``Clock``."""
    frozen = Clock(utcnow())
    monkeypatch.setattr(operations, "utcnow", frozen)
    return frozen
