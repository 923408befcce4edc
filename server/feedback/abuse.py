"""Keeping the public feedback form usable for migrants and useless for robots.

Migrants share addresses — a factory dormitory's Wi-Fi, a carrier's NAT — so an
address alone must not be what stops a robot. What does:

- A form stamp, signed, carrying a random nonce and the time it was shown. Each
  stamp sends one feedback: its nonce is stored when the form is received
  (``feedback_stamp``); the same stamp again answers with the receipt of what it
  sent (a double tap), never a second row. The HTML form carries one; API clients
  get one from ``GET /api/v1/feedback/public/stamp``. Handing one out stores
  nothing: a GET or HEAD never writes.
- A minimum fill time (``LIANXIN_FEEDBACK_MIN_SECONDS``) for the form and the API
  alike: sent sooner, the form is shown again with the text kept and a message to
  wait; the API answers 422 on ``stamp``. Nothing is answered with a receipt that
  was not stored.
- A honeypot field (``website``), hidden from people by a CSS class: a form that
  fills it in is stored marked ``suspected = "honeypot"`` for staff to look at.
- The same text (spacing aside) received in the last 24 hours: from the same
  phone and card it is the same feedback again and gets the earlier receipt; from
  anyone else it is stored marked ``suspected = "duplicate"``.
- Rate limits (Flask-Limiter), shared by the HTML form and the JSON API, counting
  every method that reaches the view (GET, HEAD, POST alike):
  per card token on sending (``LIANXIN_FEEDBACK_TOKEN_LIMIT``: a leaked card
  cannot flood its village); per phone number on status look-ups
  (``LIANXIN_FEEDBACK_LOOKUP_PHONE_LIMIT``: a known phone's receipts cannot be
  walked through from any number of addresses); and per address, set high enough
  for a dormitory (``LIANXIN_FEEDBACK_IP_LIMIT`` on sending,
  ``LIANXIN_FEEDBACK_STATUS_LIMIT`` on look-ups and card pages) as a ceiling for
  a flood from one place.
- Size: a body of at most 16 KB; the text at most 2000 characters (the schema).
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..common.timeutil import utcnow
from ..common.validators import normalize_phone
from ..contacts.tokens import token_hash
from ..extensions import db, limiter
from .models import Feedback, FeedbackStamp

BODY_LIMIT = 16 * 1024
FORM_MAX_AGE = 24 * 3600
HONEYPOT = "website"
DUPLICATE_WINDOW = timedelta(hours=24)
# A stamp shown "in the future" by more than this is forged or from a wrong clock.
CLOCK_SKEW = 60

STALE_STAMP = "页面停留时间过长，请检查后再提交一次。"
TOO_FAST = "提交太快了，请稍等几秒，核对内容后再点一次“提交”。"
STAMP_USED = "这张表已经提交过了。如要再反映一件事，请检查后再提交一次。"


def limit_body():
    """A ``before_request`` hook: the public routes take small bodies only (413 beyond)."""
    request.max_content_length = BODY_LIMIT


# --- rate limits ---------------------------------------------------------------------------


def request_token():
    """The card token this request uses: in the URL (``/f/<token>``) or the JSON body."""
    token = (request.view_args or {}).get("token")
    if token is None and request.is_json:
        token = _sent_value("token")
    return token if isinstance(token, str) and token else None


def _sent_value(name):
    """A field of the request, from where the views read it: the query string of a GET
    or HEAD (whatever body or content type it claims), else the JSON body or the form.
    (Route limits are checked as the view is called, after :func:`limit_body`.)"""
    if request.method in ("GET", "HEAD"):
        return request.args.get(name)
    if request.is_json:
        body = request.get_json(silent=True)
        return body.get(name) if isinstance(body, dict) else None
    return request.form.get(name)


def _token_key():
    return "card:" + token_hash(request_token() or "")


def request_phone():
    """The phone number a status look-up asks about, normalized (None when unreadable)."""
    value = _sent_value("phone")
    return normalize_phone(value) if isinstance(value, str) and value.strip() else None


def _phone_key():
    return "phone:" + hashlib.sha256((request_phone() or "").encode()).hexdigest()


def _config(name):
    return lambda: current_app.config[name]


# Shared scopes: the form and the API draw on the same allowance. No ``methods``: a
# limit counts every request that reaches its view, whatever the method.
submit_per_ip = limiter.shared_limit(_config("LIANXIN_FEEDBACK_IP_LIMIT"), scope="feedback-submit")
submit_per_token = limiter.shared_limit(
    _config("LIANXIN_FEEDBACK_TOKEN_LIMIT"), scope="feedback-token",
    key_func=_token_key, exempt_when=lambda: request_token() is None,
)
# Status look-ups and card-token pages: nobody walks through receipts or tokens.
lookup_per_ip = limiter.shared_limit(
    _config("LIANXIN_FEEDBACK_STATUS_LIMIT"), scope="feedback-status"
)
lookup_per_phone = limiter.shared_limit(
    _config("LIANXIN_FEEDBACK_LOOKUP_PHONE_LIMIT"), scope="feedback-status-phone",
    key_func=_phone_key, exempt_when=lambda: request_phone() is None,
)


# --- the form stamp -------------------------------------------------------------------------


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt="lianxin-feedback-form-v2")


def form_stamp(shown_at=None):
    """A signed stamp for one form: a fresh nonce and when the form was shown."""
    shown_at = shown_at or utcnow()
    return _serializer().dumps({"n": secrets.token_hex(16), "t": int(shown_at.timestamp())})


def read_stamp(stamp):
    """``(nonce, problem)``: problem None for a good stamp, "too_fast" when sent sooner
    than the minimum fill time, "stale" for a missing, forged or day-old one."""
    try:
        payload = _serializer().loads(stamp or "")
        nonce, shown = str(payload["n"]), int(payload["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, "stale"
    age = utcnow().timestamp() - shown
    if age > FORM_MAX_AGE or age < -CLOCK_SKEW or len(nonce) != 32:
        return None, "stale"
    if age < current_app.config["LIANXIN_FEEDBACK_MIN_SECONDS"]:
        return nonce, "too_fast"
    return nonce, None


def stamped_feedback(nonce):
    """The feedback a used stamp sent, ``False`` when the stamp has not been used."""
    used = db.session.get(FeedbackStamp, nonce)
    if used is None:
        return False
    return db.session.get(Feedback, used.feedback_id) if used.feedback_id else None


def use_stamp(nonce):
    """Store the stamp as used; False when another request has just used it."""
    now = utcnow()
    db.session.execute(delete(FeedbackStamp).where(
        FeedbackStamp.used_at < now - timedelta(seconds=FORM_MAX_AGE + CLOCK_SKEW)))
    try:
        with db.session.begin_nested():
            db.session.add(FeedbackStamp(nonce=nonce, used_at=now))
    except IntegrityError:
        return False
    return True


def link_stamp(nonce, feedback):
    db.session.get(FeedbackStamp, nonce).feedback_id = feedback.id
    db.session.flush()


# --- the same text again --------------------------------------------------------------------


def text_hash(text):
    return hashlib.sha256(" ".join((text or "").split()).encode()).hexdigest()


def earlier_with_text(digest):
    """Feedback with this text received in the last 24 hours, oldest first."""
    return db.session.scalars(
        select(Feedback).where(
            Feedback.text_hash == digest,
            Feedback.created_at >= utcnow() - DUPLICATE_WINDOW,
            Feedback.deleted_at.is_(None),
        ).order_by(Feedback.created_at)
    ).all()
