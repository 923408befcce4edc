"""Password-guess throttling, counted in the rate-limit store.

A wrong password is counted against the pair (account name, client address): after
``LIANXIN_LOCKOUT_ATTEMPTS`` (5) of them within ``LIANXIN_LOCKOUT_MINUTES`` (15) that
address may not try that account again until the window ends (429, ``Retry-After``).
Nobody else is affected: the real user, from their own address, still signs in, and a
device already signed in keeps refreshing its tokens. When an account gathers
``LIANXIN_LOGIN_ACCOUNT_FAILURES`` (20) failures within the window from all addresses
together (a guesser with many addresses), every address is slowed to one attempt at
that account a minute — slowed, never locked.

The counts are kept by name, whether or not an account of that name exists, so a
locked, an unknown and a mistyped account answer alike. They live in the store of
``LIANXIN_RATELIMIT_STORAGE_URI`` (the ``limits`` storage Flask-Limiter uses): in
memory each gunicorn worker counts on its own; with ``redis://…`` every worker and host
shares the counts. A shared store that goes down is replaced by this process's memory
until it answers again, as Flask-Limiter does for its limits.
"""

import logging
import math
import time
from urllib.parse import quote

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

# How long a shared store that failed is left alone before it is tried again.
RETRY_DEAD_STORE_SECONDS = 30


def _name(account):
    """The account name as a key part: lower case, "/" (the key separator) escaped."""
    return quote(account.lower(), safe="")


class LoginThrottle:
    def __init__(self, uri, *, attempts, minutes, account_failures):
        self.storage = storage_from_string(uri)
        self.fallback = MemoryStorage()
        self._dead_until = 0.0
        window = int(minutes * 60)
        self.per_pair = RateLimitItemPerSecond(attempts, window, namespace="LIANXIN-LOGIN")
        self.per_account = RateLimitItemPerSecond(account_failures, window,
                                                  namespace="LIANXIN-LOGIN-ACCOUNT")
        self.slowed = RateLimitItemPerMinute(1, namespace="LIANXIN-LOGIN-SLOW")
        self.per_session = RateLimitItemPerSecond(attempts, window, namespace="LIANXIN-REAUTH")
        # Enrollment codes refused per address: the codes cannot be guessed (128+ bits),
        # so this only keeps a script from hammering the endpoint; set well above a
        # township office's room of phones behind one address, a few of them refused.
        self.per_enroll = RateLimitItemPerSecond(attempts * 4, window, namespace="LIANXIN-ENROLL")

    # --- the store, or this process's memory while it is down ---------------------------

    def _run(self, action):
        if time.monotonic() >= self._dead_until:
            try:
                return action(FixedWindowRateLimiter(self.storage))
            except self.storage.base_exceptions as error:
                log.warning("login throttle store unreachable, counting in memory: %s", error)
                self._dead_until = time.monotonic() + RETRY_DEAD_STORE_SECONDS
        return action(FixedWindowRateLimiter(self.fallback))

    @staticmethod
    def _wait(strategy, item, *keys):
        reset = strategy.get_window_stats(item, *keys).reset_time
        return max(1, math.ceil(reset - time.time()))

    # --- login ---------------------------------------------------------------------------

    def login_attempt(self, account, address):
        """Count one login attempt; the seconds to wait when it is refused, else None.

        The attempt is counted before the password is checked, so attempts sent at once
        cannot all pass before the first failure is counted; a success takes it back
        (:meth:`login_succeeded`)."""
        account = _name(account)

        def attempt(strategy):
            if not strategy.hit(self.per_pair, account, address):
                return self._wait(strategy, self.per_pair, account, address)
            if not strategy.test(self.per_account, account) and not strategy.hit(
                    self.slowed, account, address):
                return self._wait(strategy, self.slowed, account, address)
            return None

        return self._run(attempt)

    def login_failed(self, account, address):
        """A wrong password (or an unknown name): counted for the account as a whole.
        Returns the pair's failures in this window."""
        account = _name(account)

        def failed(strategy):
            strategy.hit(self.per_account, account)
            return self.per_pair.amount - strategy.get_window_stats(
                self.per_pair, account, address).remaining

        return self._run(failed)

    def login_succeeded(self, account, address):
        account = _name(account)
        self._run(lambda strategy: strategy.clear(self.per_pair, account, address))

    # --- the password typed again by a signed-in user ------------------------------------

    def reauth_attempt(self, session_id):
        """As :meth:`login_attempt`, per login session: a wrong password typed again
        (``POST /auth/fresh``, ``/auth/password``) slows that session alone."""
        def attempt(strategy):
            if not strategy.hit(self.per_session, session_id):
                return self._wait(strategy, self.per_session, session_id)
            return None

        return self._run(attempt)

    def reauth_succeeded(self, session_id):
        self._run(lambda strategy: strategy.clear(self.per_session, session_id))

    # --- enrollment slips (server/enrollment) ----------------------------------------------

    def enroll_attempt(self, address):
        """Seconds to wait when this address had too many slips refused, else None."""
        def attempt(strategy):
            if not strategy.test(self.per_enroll, address):
                return self._wait(strategy, self.per_enroll, address)
            return None

        return self._run(attempt)

    def enroll_failed(self, address):
        self._run(lambda strategy: strategy.hit(self.per_enroll, address))

    def reset(self):
        """Forget every count (tests)."""
        self._run(lambda strategy: strategy.storage.reset())
        self.fallback.reset()
        self._dead_until = 0.0


def init_app(app):
    app.extensions["lianxin_login_throttle"] = LoginThrottle(
        app.config.get("RATELIMIT_STORAGE_URI") or "memory://",
        attempts=app.config["LIANXIN_LOCKOUT_ATTEMPTS"],
        minutes=app.config["LIANXIN_LOCKOUT_MINUTES"],
        account_failures=app.config["LIANXIN_LOGIN_ACCOUNT_FAILURES"],
    )


def throttle():
    from flask import current_app

    return current_app.extensions["lianxin_login_throttle"]
