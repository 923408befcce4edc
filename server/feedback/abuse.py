"""Keeping the public feedback form usable for migrants and useless for robots.

- Rate limits (Flask-Limiter), shared by the HTML form and the JSON API: per IP
  address on sending (``LIANXIN_FEEDBACK_IP_LIMIT``), per card token on sending
  (``LIANXIN_FEEDBACK_TOKEN_LIMIT``: a leaked card cannot flood its village), and
  per IP address on status look-ups and card-token pages
  (``LIANXIN_FEEDBACK_STATUS_LIMIT``: receipt numbers and tokens cannot be walked
  through).
- Size: a body of at most 16 KB; the text at most 2000 characters (the schema).
- A honeypot field (``website``), hidden from people by a CSS class: a form that
  fills it in is answered with a receipt like any other, and nothing is stored.
- The HTML form carries a signed time stamp: a form sent sooner than
  ``LIANXIN_FEEDBACK_MIN_SECONDS`` after it was shown is treated like a filled
  honeypot; a missing, forged or day-old stamp shows the form again.
"""

from flask import current_app, request
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from ..common.timeutil import utcnow
from ..contacts.tokens import token_hash
from ..extensions import limiter

BODY_LIMIT = 16 * 1024
FORM_MAX_AGE = 24 * 3600
HONEYPOT = "website"


def limit_body():
    """A ``before_request`` hook: the public routes take small bodies only (413 beyond)."""
    request.max_content_length = BODY_LIMIT


def request_token():
    """The card token this request uses: in the URL (``/f/<token>``) or the JSON body."""
    token = (request.view_args or {}).get("token")
    if token is None and request.is_json:
        body = request.get_json(silent=True)
        token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None


def _token_key():
    return "card:" + token_hash(request_token() or "")


def _config(name):
    return lambda: current_app.config[name]


# Shared scopes: the form and the API draw on the same allowance.
submit_per_ip = limiter.shared_limit(
    _config("LIANXIN_FEEDBACK_IP_LIMIT"), scope="feedback-submit", methods=["POST"]
)
submit_per_token = limiter.shared_limit(
    _config("LIANXIN_FEEDBACK_TOKEN_LIMIT"), scope="feedback-token", methods=["POST"],
    key_func=_token_key, exempt_when=lambda: request_token() is None,
)


def lookup_per_ip(methods):
    """Status look-ups and card-token pages: nobody walks through receipts or tokens."""
    return limiter.shared_limit(
        _config("LIANXIN_FEEDBACK_STATUS_LIMIT"), scope="feedback-status", methods=methods
    )


class _AppClockSigner(TimestampSigner):
    """Stamps and their age by the app's clock, the one the time check reads."""

    def get_timestamp(self):
        return int(utcnow().timestamp())


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="lianxin-feedback-form",
                                  signer=_AppClockSigner)


def form_stamp():
    """The signed time stamp the HTML form sends back."""
    return _serializer().dumps("feedback-form")


def stamp_problem(stamp):
    """None for a good stamp; "too_fast" for a robot's speed; "stale" for a missing,
    forged or expired one (the person is shown the form again)."""
    try:
        _payload, signed_at = _serializer().loads(
            stamp or "", max_age=FORM_MAX_AGE, return_timestamp=True
        )
    except BadSignature:  # SignatureExpired included
        return "stale"
    if (utcnow() - signed_at).total_seconds() < current_app.config["LIANXIN_FEEDBACK_MIN_SECONDS"]:
        return "too_fast"
    return None
