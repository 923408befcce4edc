"""What a request that ran into a rate limit (Flask-Limiter) is told: how long to wait;
and the few uploads whose body may be larger than every other request's."""

import functools
import math
import time

from flask import current_app, request

from ..extensions import limiter

# Room for the multipart form around an uploaded file (its headers, other fields).
FORM_SLACK = 64 * 1024


def larger_body(config_key):
    """A view whose upload may be as large as ``config_key`` says (a roster, a policy's
    PDF), beyond ``MAX_CONTENT_LENGTH``: the file's own check then answers a file over
    its limit in words, not the server's bare 413. Put it right under the route, so it
    runs before the body is read."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            request.max_content_length = current_app.config[config_key] + FORM_SLACK
            return view(*args, **kwargs)
        return wrapped
    return decorate


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
