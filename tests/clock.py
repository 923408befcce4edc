"""The tests' clocks: no test depends on the day it runs.

``APP_CLOCK`` is the app's ``LIANXIN_CLOCK`` in every test app (``make_config``).
It starts each test at ``DEFAULT_NOW`` and ticks with the real time from there,
so records made one after another still get increasing times. Tests marked
``calendar`` run once per instant of ``CALENDAR``: the whole process is moved
there with time-machine (the app's clock, flask-jwt-extended's token times, the
standard library) so the system-clock path is the one under test.

A browser test's live app has a ``TickingClock`` of its own from ``DEFAULT_NOW``
(tests/browser/conftest.py), and each browser context starts its page clock —
Playwright's ``clock.install``: Date, timers, performance — at that app's now, from
where it runs on in real time (conftest's ``new_context``): Chromium and the server
agree on the instant, and neither is the machine's.

``freeze(monkeypatch)`` is the hand-moved clock of the login-session rules
(idle timeout, session expiry): it replaces ``server.users.operations.utcnow``
and moves only when told. Token expiry (flask-jwt-extended) keeps its own time,
so moving this clock tests the session rules alone.
"""

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from server.common.timeutil import system_clock, utcnow
from server.users import operations

COUNTY = ZoneInfo("Asia/Shanghai")

# A Saturday ten days after the visit day, past its grace days: an ordinary day.
# LIANXIN_TEST_NOW (ISO, with its offset) moves it, to look for tests that assume a day.
DEFAULT_NOW = (datetime.fromisoformat(os.environ["LIANXIN_TEST_NOW"])
               if os.environ.get("LIANXIN_TEST_NOW")
               else datetime(2026, 11, 28, 10, 0, tzinfo=COUNTY))

# The days whose edges date rules get wrong; county time.
CALENDAR = {
    "1st": datetime(2026, 12, 1, 9, 0, tzinfo=COUNTY),
    "18th": datetime(2026, 12, 18, 15, 0, tzinfo=COUNTY),
    "31st": datetime(2026, 12, 31, 12, 0, tzinfo=COUNTY),
    # half an hour into the new year in the county, still the old year in UTC
    "new-year": datetime(2027, 1, 1, 0, 30, tzinfo=COUNTY),
    "29-feb": datetime(2028, 2, 29, 11, 0, tzinfo=COUNTY),
}


class TickingClock:
    """Now = a chosen start plus the real time elapsed since it was chosen; or,
    after ``follow_system()``, the system's clock (which time-machine may move)."""

    def __init__(self, start):
        self.set(start)

    def set(self, start):
        self._start, self._since, self._system = start.astimezone(UTC), time.monotonic(), False

    def follow_system(self):
        self._system = True

    def __call__(self):
        if self._system:
            return system_clock()
        return self._start + timedelta(seconds=time.monotonic() - self._since)


APP_CLOCK = TickingClock(DEFAULT_NOW)


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
