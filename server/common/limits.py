"""What a request that ran into a rate limit (Flask-Limiter) is told: how long to wait."""

import math
import time

from ..extensions import limiter


def seconds_to_wait():
    """How long until the limit this request ran into lets it through again (whole
    seconds, at least 1), or None when no limit was hit. The limiter's windows run on
    the real clock, as its own Retry-After does."""
    hit = limiter.current_limit
    if hit is None or not hit.breached:
        return None
    return max(1, math.ceil(hit.reset_at - time.time()))


def wait_words(seconds):
    """A wait a person reads: 40秒, 3分钟, 约5小时."""
    if seconds < 90:
        return f"{seconds}秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)}分钟"
    return f"约{math.ceil(seconds / 3600)}小时"
